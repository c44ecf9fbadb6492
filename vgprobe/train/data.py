"""Image–spoken-caption data in the authors' on-disk layouts, validated up front.

Layouts (``data_dir`` is the authors' ``data_root``):

- ``spokencoco``: ``SpokenCOCO/SpokenCOCO_{train,val,test}_unrolled_karpathy.json`` =
  ``{"data": [{"image": "val2014/<img_id>.jpg", "caption": {"wav": "wavs/...", ...}}, ...]}``, wavs relative
  to ``SpokenCOCO/`` (or ``audio_root``); features in ``coco_img_feat/SpokenCOCO_{train,val}_imgfeat.hdf5``.
- ``flickr8k``: ``flickr8k_{train,dev,test}.json`` = ``{"data": [{"image": "<img_id>", "wav": "<name>.wav"}]}``,
  wavs under ``<audio_root or data_dir>/wavs/``; features in ``img_feat/flickr8k_{split}_obj36.hdf5``.
- ``places``: ``metadata/{train,dev,test}_2020.json`` = ``{"data": [{"image": "<img_id>", "wav": "<rel path>"}]}``,
  wavs relative to ``audio_root`` (the authors' ``raw_audio_base_path``, PlacesAudio_400k_distro) or ``data_dir``;
  features in ``places_imgfeat/{split}_2020.hdf5``.

The HDF5 files hold ``img_id`` (n,), ``img_h``/``img_w`` (n,), ``features`` (n, R, F) and ``boxes`` (n, R, 4)
pixel xyxy; boxes are normalised to ``[x1/w, y1/h, x2/w, y2/h]``. The image id → row map is read from
``img_id`` itself. All R regions are used, so the authors' region-order pickles are not needed (the image
encoder has no positions other than the boxes: its output does not depend on region order).

Audio: 16 kHz mono (other rates are resampled with soxr), cut to ``seconds``, z-normalised
``(x − mean) / std`` over the kept samples, zero-padded to exactly ``seconds`` (as the authors' loaders).

Example::

    split = load_split(root, "train", dataset="spokencoco")      # raises InputError listing what is missing
    ds = CaptionDataset(split, seconds=8.0)
    item = ds[0]   # {"wav": (128000,), "padding_mask": (128000,), "feats": (36, 2048), "boxes": (36, 4), "image": int}
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch

from vgprobe.audio import SAMPLE_RATE, read_audio, znorm
from vgprobe.errors import ConfigError, InputError

DATASETS = ("spokencoco", "flickr8k", "places")


@dataclass(frozen=True)
class Caption:
    wav: Path
    image_id: str


@dataclass(frozen=True)
class Split:
    """A validated split: ``captions`` in manifest order; ``images`` = distinct image ids in order of first
    appearance; ``caption_image[i]`` = index into ``images``; ``rows[image_id]`` = (HDF5 path, row)."""

    name: str
    manifest: Path
    captions: tuple[Caption, ...]
    images: tuple[str, ...]
    caption_image: tuple[int, ...]
    rows: dict[str, tuple[Path, int]]
    dropped: tuple[str, ...]


def _layout(data_dir: Path, dataset: str, split: str, audio_root: Path | None):
    if dataset == "spokencoco":
        manifest = data_dir / "SpokenCOCO" / f"SpokenCOCO_{split}_unrolled_karpathy.json"
        feats = [data_dir / "coco_img_feat" / f"SpokenCOCO_{n}_imgfeat.hdf5" for n in ("train", "val")]
        return manifest, (audio_root or data_dir / "SpokenCOCO"), feats
    if dataset == "flickr8k":
        name = {"val": "dev"}.get(split, split)
        manifest = data_dir / f"flickr8k_{name}.json"
        return manifest, (audio_root or data_dir) / "wavs", [data_dir / "img_feat" / f"flickr8k_{name}_obj36.hdf5"]
    if dataset == "places":
        name = {"val": "dev"}.get(split, split)
        manifest = data_dir / "metadata" / f"{name}_2020.json"
        return manifest, (audio_root or data_dir), [data_dir / "places_imgfeat" / f"{name}_2020.hdf5"]
    raise ConfigError(f"unknown dataset {dataset!r}; choose from {list(DATASETS)}")


def _entries(manifest: Path, dataset: str) -> list[tuple[str, str]]:
    """[(wav relative path, image id)] from a manifest, with errors naming the entry."""
    try:
        data = json.loads(manifest.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise InputError(f"{manifest}: manifest not found") from None
    except (OSError, json.JSONDecodeError) as exc:
        raise InputError(f"{manifest}: cannot read JSON ({exc})") from exc
    items = data.get("data") if isinstance(data, dict) else None
    if not isinstance(items, list):
        raise InputError(f"{manifest}: expected an object with a 'data' list")
    out = []
    for k, d in enumerate(items):
        try:
            if dataset == "spokencoco":
                wav, image = d["caption"]["wav"], Path(d["image"]).stem
            else:
                wav, image = d["wav"], str(d["image"])
        except (KeyError, TypeError):
            want = '{"image": ..., "caption": {"wav": ...}}' if dataset == "spokencoco" else '{"image": ..., "wav": ...}'
            raise InputError(f"{manifest}: entry {k} is not of the form {want}: {str(d)[:120]}") from None
        if not isinstance(wav, str) or not wav:
            raise InputError(f"{manifest}: entry {k} has no wav path")
        out.append((wav, image))
    return out


def _feature_rows(files: list[Path]) -> dict[str, tuple[Path, int]]:
    import h5py

    rows: dict[str, tuple[Path, int]] = {}
    for path in files:
        if not path.is_file():
            continue
        try:
            with h5py.File(path, "r") as f:
                missing = [k for k in ("img_id", "img_h", "img_w", "features", "boxes") if k not in f]
                if missing:
                    raise InputError(f"{path}: missing datasets {missing}")
                ids = f["img_id"].asstr()[()] if f["img_id"].dtype.kind in "OSU" else f["img_id"][()]
        except OSError as exc:
            raise InputError(f"{path}: cannot read HDF5 ({exc})") from exc
        for r, i in enumerate(ids):
            rows.setdefault(str(i), (path, r))
    if not rows:
        raise InputError(f"no image feature file found; expected one of {[str(p) for p in files]}")
    return rows


def load_split(
    data_dir: str | Path,
    split: str,
    *,
    dataset: str = "spokencoco",
    audio_root: str | Path | None = None,
    drop_missing: bool = False,
) -> Split:
    """Read and validate a split. Missing wavs and image ids absent from the feature files are reported
    all at once (count + first examples) as an :class:`InputError`, or dropped with ``drop_missing``
    (listed in ``Split.dropped``)."""
    data_dir = Path(data_dir)
    manifest, audio_dir, feature_files = _layout(data_dir, dataset, split, Path(audio_root) if audio_root else None)
    entries = _entries(manifest, dataset)
    rows = _feature_rows(feature_files)
    kept: list[Caption] = []
    problems: list[str] = []
    for k, (wav, image) in enumerate(entries):
        path = audio_dir / wav
        why = []
        if not path.is_file():
            why.append(f"wav {path} not found")
        if image not in rows:
            why.append(f"image id {image!r} not in the feature files")
        if why:
            problems.append(f"entry {k}: " + "; ".join(why))
        else:
            kept.append(Caption(path, image))
    if problems and not drop_missing:
        head = "\n  ".join(problems[:5])
        raise InputError(
            f"{manifest}: {len(problems)} of {len(entries)} captions cannot be loaded "
            f"(pass --drop-missing to skip them):\n  {head}" + ("\n  ..." if len(problems) > 5 else "")
        )
    if not kept:
        raise InputError(f"{manifest}: no usable captions")
    images: dict[str, int] = {}
    caption_image = tuple(images.setdefault(c.image_id, len(images)) for c in kept)
    return Split(split, manifest, tuple(kept), tuple(images), caption_image,
                 {i: rows[i] for i in images}, tuple(problems))


def load_audio(path: Path, *, seconds: float) -> tuple[torch.Tensor, torch.Tensor]:
    """(wav (L,), padding_mask (L,) True = padding) with L = seconds · 16000, as described above."""
    samples = read_audio(path).samples  # mono, 16 kHz, checked
    length = int(SAMPLE_RATE * seconds)
    kept = samples[:length]
    try:
        z = znorm(kept)
    except InputError as exc:
        raise InputError(f"{path}: audio is too short or silent; {exc}") from None
    wav = torch.zeros(length)
    wav[: kept.size] = torch.from_numpy(z)
    mask = torch.arange(length) >= kept.size
    return wav, mask


class ImageFeatures:
    """Reads (feats (R, F), normalised boxes (R, 4)) by image id; HDF5 files are opened lazily per process."""

    def __init__(self, rows: dict[str, tuple[Path, int]]) -> None:
        self.rows = rows
        self._files: dict[Path, object] = {}

    def __getstate__(self):
        return {"rows": self.rows, "_files": {}}

    def __call__(self, image_id: str) -> tuple[torch.Tensor, torch.Tensor]:
        import h5py

        path, row = self.rows[image_id]
        f = self._files.get(path)
        if f is None:
            f = self._files[path] = h5py.File(path, "r")
        feats = np.asarray(f["features"][row], dtype=np.float32)
        boxes = np.asarray(f["boxes"][row], dtype=np.float32).copy()
        h, w = float(f["img_h"][row]), float(f["img_w"][row])
        boxes[:, (0, 2)] /= w
        boxes[:, (1, 3)] /= h
        if not (np.all(boxes > -1e-5) and np.all(boxes < 1 + 1e-5)):
            raise InputError(f"{path}: row {row} ({image_id}) has boxes outside its {w:g} x {h:g} image")
        return torch.from_numpy(feats), torch.from_numpy(boxes)


class CaptionDataset(torch.utils.data.Dataset):
    """One item per caption (see the module docstring for the fields)."""

    def __init__(self, split: Split, *, seconds: float) -> None:
        self.split = split
        self.seconds = seconds
        self.images = ImageFeatures(split.rows)

    def __len__(self) -> int:
        return len(self.split.captions)

    def __getitem__(self, i: int) -> dict:
        c = self.split.captions[i]
        wav, mask = load_audio(c.wav, seconds=self.seconds)
        feats, boxes = self.images(c.image_id)
        return {"wav": wav, "padding_mask": mask, "feats": feats, "boxes": boxes,
                "image": self.split.caption_image[i], "index": i}


class ImageDataset(torch.utils.data.Dataset):
    """One item per distinct image of a split: {"feats", "boxes", "image"}."""

    def __init__(self, split: Split) -> None:
        self.split = split
        self.images = ImageFeatures(split.rows)

    def __len__(self) -> int:
        return len(self.split.images)

    def __getitem__(self, i: int) -> dict:
        feats, boxes = self.images(self.split.images[i])
        return {"feats": feats, "boxes": boxes, "image": i}


def collate(items: list[dict]) -> dict:
    """Stack a list of items into a batch (``image`` and ``index`` become long tensors)."""
    out = {}
    for k in items[0]:
        vals = [it[k] for it in items]
        out[k] = torch.stack(vals) if isinstance(vals[0], torch.Tensor) else torch.tensor(vals, dtype=torch.long)
    return out


def retrieval_batch(
    data_dir: str | Path, split: str = "val", *, dataset: str = "spokencoco", seconds: float = 10.0,
    max_captions: int | None = None, audio_root: str | Path | None = None,
) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor, torch.Tensor, torch.Tensor]:
    """The first ``max_captions`` captions (all by default) of ``split`` and the images they describe, in memory,
    as the retrieval evaluation encodes them: ``(wav (N, L), padding (N, L), feats (M, R, F), boxes (M, R, 4),
    audio_image (N,))`` with ``audio_image[i]`` the row of caption i's image among the M distinct images."""
    split_ = load_split(data_dir, split, dataset=dataset, audio_root=audio_root)
    captions = CaptionDataset(split_, seconds=seconds)
    n = len(captions) if max_captions is None else min(max_captions, len(captions))
    batch = collate([captions[i] for i in range(n)])
    used = sorted({int(i) for i in batch["image"]})
    images = ImageDataset(split_)
    img = collate([images[i] for i in used])
    row = {old: new for new, old in enumerate(used)}
    audio_image = torch.tensor([row[int(i)] for i in batch["image"]], dtype=torch.long)
    return batch["wav"], batch["padding_mask"], img["feats"], img["boxes"], audio_image

