"""A synthetic image–spoken-caption corpus in the FaST-VGS authors' SpokenCOCO layout.

    >>> root = build_vg_corpus(Path("vg"), images=200, captions_per_image=2, seed=0)   # doctest: +SKIP

Files under ``root`` (the authors' ``data_root``; the same paths as FaST-VGS's SpokenCOCO loader):

- ``SpokenCOCO/SpokenCOCO_{train,val,test}_unrolled_karpathy.json``:
  ``{"data": [{"image": "<folder>/<img_id>.png", "caption": {"wav": "wavs/<split>/<img_id>_<k>.wav",
  "text": "...", "speaker": "<speaker id>", "uttid": "<img_id>_<k>"}}, ...]}``, one entry per spoken
  caption ("unrolled"); ``<folder>`` is ``train2014`` for train images, ``val2014`` for val and test.
  The image id is the file stem, e.g. ``SYN_train2014_000000000007`` (≤ 27 bytes, like COCO ids).
- ``SpokenCOCO/wavs/<split>/<img_id>_<k>.wav``: 16 kHz mono PCM-16; a manifest's ``wav`` is relative to
  ``SpokenCOCO/``. Each caption is spoken by ``captions_per_image`` different speakers; under the
  ``realistic`` difficulty (default) with prosody variation and ``clean``-tier recording conditions
  (``conditions.py``), under ``clean`` as espeak says it.
- ``SpokenCOCO/wavs/<split>/<img_id>_<k>.TextGrid``: the caption's word and phone alignment (Praat
  TextGrid, tiers ``words`` and ``phones``), and ``SpokenCOCO/SpokenCOCO_<split>_words.json``: the word
  alignments of the split, ``{"<img_id>_<k>": [[onset_s, offset_s, word], ...]}`` (``alignment_files.py``).
- ``coco_img/<folder>/<img_id>.png``: the 224 × 224 RGB images (``scenes.py``).
- ``coco_img_feat/SpokenCOCO_train_imgfeat.hdf5`` (train images) and
  ``coco_img_feat/SpokenCOCO_val_imgfeat.hdf5`` (val and test images, as in the authors' setup): datasets
  ``img_id`` (n,) utf-8 strings of 27 bytes, ``img_h`` / ``img_w`` (n,) int64, ``features``
  (n, 36, feature_dim) float32, ``boxes`` (n, 36, 4) float32 pixel xyxy (``regions.py``: shapes, a 3 × 3
  background grid, the whole image, then zero rows with box (0, 0, 0, 0)).
- ``SpokenCOCO/SpokenCOCO_{train,val}_imgid2idex.json``: image id -> row of the HDF5 file.
- ``SpokenCOCO/SpokenCOCO_{train,val}_imgid2ordered_indices.json``: image id -> region order (the
  identity, 0..35). The authors ship these as pickles; vgprobe writes JSON and never reads pickles.
- ``vgprobe-synth.json``: kind and configuration.

Splits: images are shuffled (seeded) and cut 80 % / 10 % / 10 % (train / val / test), with at least one
val and one test image when there are 3 images or more.
"""

from __future__ import annotations

import json
import random
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np

from vgprobe.audio import SAMPLE_RATE
from vgprobe.errors import ConfigError
from vgprobe.synth.alignment_files import write_textgrid, write_words_json
from vgprobe.synth.conditions import DEFAULT_DIFFICULTY, check_difficulty
from vgprobe.synth.output import atomic_dataset
from vgprobe.synth.regions import N_REGIONS, region_features
from vgprobe.synth.scenes import Scene, random_scene, render
from vgprobe.synth.speakers import pick_speakers
from vgprobe.synth.speech import Line, speak_all

SPLITS = ("train", "val", "test")
_FOLDER = {"train": "train2014", "val": "val2014", "test": "val2014"}
_H5 = {"train": "train", "val": "val", "test": "val"}


@dataclass(frozen=True)
class VGConfig:
    images: int = 200
    captions_per_image: int = 2
    seed: int = 0
    feature_dim: int = 2048
    speakers: int = 8
    difficulty: str = DEFAULT_DIFFICULTY


def _split_sizes(n: int) -> dict[str, int]:
    n_val = n_test = max(1, n // 10) if n >= 3 else 0
    return {"train": n - n_val - n_test, "val": n_val, "test": n_test}


def build_vg_corpus(
    out: Path,
    *,
    images: int = 200,
    captions_per_image: int = 2,
    seed: int = 0,
    feature_dim: int = 2048,
    speakers: int = 8,
    difficulty: str = DEFAULT_DIFFICULTY,
    processes: int = 1,
) -> Path:
    """Build the corpus under ``out`` (see the module docstring) and return ``out``.

    Deterministic: the same arguments give byte-identical files. An ``out`` already built with the same
    arguments is returned as is.
    """
    cfg = VGConfig(images, captions_per_image, seed, feature_dim, speakers, difficulty)
    check_difficulty(difficulty)
    if images < 1 or feature_dim < 1:
        raise ConfigError(f"--images and the feature width must be positive: {cfg}")
    if not 1 <= captions_per_image <= speakers:
        raise ConfigError(f"--captions-per-image must be between 1 and the number of speakers ({speakers})")
    rng = random.Random(seed)
    voices = pick_speakers(rng, n=speakers, pool="clean", first_id=400)
    scenes = [random_scene(rng) for _ in range(images)]
    order = list(range(images))
    rng.shuffle(order)
    sizes = _split_sizes(images)
    split_of: dict[int, str] = {}
    start = 0
    for split in SPLITS:
        for i in order[start : start + sizes[split]]:
            split_of[i] = split
        start += sizes[split]
    img_ids = [f"SYN_{_FOLDER[split_of[i]]}_{i:012d}" for i in range(images)]

    lines, entries = [], []
    for i, scene in enumerate(scenes):
        for k, spk in enumerate(rng.sample(voices, captions_per_image)):
            uttid = f"{img_ids[i]}_{k}"
            lines.append(Line(scene.caption, spk, "clean", seed * 1_000_003 + len(lines)))
            entries.append((i, uttid, spk.name))

    with atomic_dataset(out, kind="vg", config=asdict(cfg)) as tmp:
        if tmp is None:
            return Path(out)
        utts = speak_all(lines, seed=seed, difficulty=difficulty, processes=processes)
        coco = tmp / "SpokenCOCO"
        manifests: dict[str, list] = {s: [] for s in SPLITS}
        alignments: dict[str, dict] = {s: {} for s in SPLITS}
        for split in SPLITS:
            (coco / "wavs" / split).mkdir(parents=True, exist_ok=True)
        for (i, uttid, spk_name), utt in zip(entries, utts):
            split = split_of[i]
            wav = f"wavs/{split}/{uttid}.wav"
            _write_wav(coco / wav, utt.audio)
            write_textgrid(coco / "wavs" / split / f"{uttid}.TextGrid", utt.alignment, duration=utt.duration)
            alignments[split][uttid] = utt.alignment
            manifests[split].append(
                {
                    "image": f"{_FOLDER[split]}/{img_ids[i]}.png",
                    "caption": {"wav": wav, "text": scenes[i].caption, "speaker": spk_name, "uttid": uttid},
                }
            )
        for split in SPLITS:
            text = json.dumps({"data": manifests[split]}, indent=1)
            (coco / f"SpokenCOCO_{split}_unrolled_karpathy.json").write_text(text + "\n")
            write_words_json(coco / f"SpokenCOCO_{split}_words.json", alignments[split])
        _write_images(tmp, scenes, img_ids, split_of, feature_dim)
    return Path(out)


def _write_wav(path: Path, audio: np.ndarray) -> None:
    import soundfile as sf

    sf.write(str(path), audio, SAMPLE_RATE, subtype="PCM_16", format="WAV")


def _write_images(tmp: Path, scenes: list[Scene], img_ids: list[str], split_of: dict[int, str], dim: int) -> None:
    import h5py
    from PIL import Image

    groups: dict[str, list[int]] = {"train": [], "val": []}
    for i in range(len(scenes)):
        groups[_H5[split_of[i]]].append(i)
    feat_dir = tmp / "coco_img_feat"
    feat_dir.mkdir()
    for name, members in groups.items():
        id2index, ordered = {}, {}
        path = feat_dir / f"SpokenCOCO_{name}_imgfeat.hdf5"
        utf8 = h5py.string_dtype("utf-8", 27)
        n = len(members)
        with h5py.File(path, "w", track_order=False) as f:
            d_id = f.create_dataset("img_id", (n,), dtype=utf8, track_times=False)
            d_h = f.create_dataset("img_h", (n,), dtype="int64", track_times=False)
            d_w = f.create_dataset("img_w", (n,), dtype="int64", track_times=False)
            d_f = f.create_dataset("features", (n, N_REGIONS, dim), dtype="float32", track_times=False)
            d_b = f.create_dataset("boxes", (n, N_REGIONS, 4), dtype="float32", track_times=False)
            for row, i in enumerate(members):
                pixels, boxes = render(scenes[i])
                folder = tmp / "coco_img" / _FOLDER[split_of[i]]
                folder.mkdir(parents=True, exist_ok=True)
                Image.fromarray(pixels).save(folder / f"{img_ids[i]}.png", format="PNG")
                feats, rboxes = region_features(pixels, boxes, feature_dim=dim)
                d_id[row] = img_ids[i].encode()
                d_h[row], d_w[row] = pixels.shape[0], pixels.shape[1]
                d_f[row] = feats
                d_b[row] = rboxes
                id2index[img_ids[i]] = row
                ordered[img_ids[i]] = list(range(N_REGIONS))
        (tmp / "SpokenCOCO" / f"SpokenCOCO_{name}_imgid2idex.json").write_text(json.dumps(id2index) + "\n")
        (tmp / "SpokenCOCO" / f"SpokenCOCO_{name}_imgid2ordered_indices.json").write_text(json.dumps(ordered) + "\n")
