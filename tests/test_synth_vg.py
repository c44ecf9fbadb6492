import json
import random
from pathlib import Path

import h5py
import numpy as np
import pytest
import soundfile as sf
from PIL import Image

from vgprobe.errors import ConfigError
from vgprobe.synth.alignment import text_words
from vgprobe.synth.regions import N_REGIONS, region_features
from vgprobe.synth.scenes import IMAGE_SIZE, Item, Scene, radius, random_scene, render

pytest.importorskip("espeakng_loader")

from vgprobe.synth import build_vg_corpus  # noqa: E402

SMALL = dict(images=12, captions_per_image=2, seed=4, feature_dim=64)


@pytest.fixture(scope="module")
def vg(tmp_path_factory) -> Path:
    return build_vg_corpus(tmp_path_factory.mktemp("vg") / "set", **SMALL)


def _manifest(root: Path, split: str) -> list[dict]:
    return json.loads((root / "SpokenCOCO" / f"SpokenCOCO_{split}_unrolled_karpathy.json").read_text())["data"]


def test_manifests_split_images_and_point_at_existing_files(vg):
    images = {}
    for split in ("train", "val", "test"):
        data = _manifest(vg, split)
        assert data, split
        for entry in data:
            wav = vg / "SpokenCOCO" / entry["caption"]["wav"]
            info = sf.info(str(wav))
            assert (info.samplerate, info.channels) == (16000, 1)
            assert entry["caption"]["text"].endswith(("grass", "sand", "water", "snow"))
            img_id = entry["image"].split("/")[-1].split(".")[0]
            images.setdefault(img_id, set()).add(split)
            assert (vg / "coco_img" / entry["image"]).is_file()
    assert len(images) == 12 and all(len(s) == 1 for s in images.values())
    counts = {}
    for split in ("train", "val", "test"):
        for e in _manifest(vg, split):
            counts.setdefault(e["image"], set()).add(e["caption"]["speaker"])
    assert all(len(s) == 2 for s in counts.values())  # two different speakers per caption


def test_caption_word_alignments_lie_beside_the_audio(vg):
    from praatio import textgrid

    for split in ("train", "val", "test"):
        table = json.loads((vg / "SpokenCOCO" / f"SpokenCOCO_{split}_words.json").read_text())
        entries = _manifest(vg, split)
        assert set(table) == {e["caption"]["uttid"] for e in entries}
        for e in entries:
            words = table[e["caption"]["uttid"]]
            spoken = " ".join(w for _, _, w in words)
            assert spoken == " ".join(w for _, w in text_words(e["caption"]["text"]))
            wav = vg / "SpokenCOCO" / e["caption"]["wav"]
            duration = sf.info(str(wav)).duration
            assert all(0 < on < off <= duration for on, off, _ in words)
            grid = textgrid.openTextgrid(str(wav.with_suffix(".TextGrid")), includeEmptyIntervals=False)
            assert [list(x) for x in grid.getTier("words").entries] == words


def test_hdf5_features_follow_the_authors_layout(vg):
    for name, splits in (("train", ("train",)), ("val", ("val", "test"))):
        path = vg / "coco_img_feat" / f"SpokenCOCO_{name}_imgfeat.hdf5"
        index = json.loads((vg / "SpokenCOCO" / f"SpokenCOCO_{name}_imgid2idex.json").read_text())
        with h5py.File(path, "r") as f:
            n = len(f["img_id"])
            assert f["features"].shape == (n, N_REGIONS, 64) and f["features"].dtype == np.float32
            assert f["boxes"].shape == (n, N_REGIONS, 4) and f["boxes"].dtype == np.float32
            assert f["img_h"].dtype == np.int64 and f["img_w"].dtype == np.int64
            ids = [x.decode() for x in f["img_id"][:]]
            assert {i: r for r, i in enumerate(ids)} == index
            boxes = f["boxes"][:]
            w, h = f["img_w"][:][:, None, None], f["img_h"][:][:, None, None]
            assert (boxes[..., 0::2] <= w).all() and (boxes[..., 1::2] <= h).all() and (boxes >= 0).all()
        wanted = {e["image"].split("/")[-1][:-4] for s in splits for e in _manifest(vg, s)}
        assert set(ids) == wanted


def test_images_are_224_pixel_rgb_pngs(vg):
    for path in (vg / "coco_img").rglob("*.png"):
        with Image.open(path) as im:
            assert im.format == "PNG" and im.mode == "RGB" and im.size == (IMAGE_SIZE, IMAGE_SIZE)


def test_same_arguments_give_byte_identical_files(vg, tmp_path):
    again = build_vg_corpus(tmp_path / "again", **SMALL)
    files = lambda root: {str(p.relative_to(root)): p.read_bytes() for p in root.rglob("*") if p.is_file()}  # noqa: E731
    assert files(again) == files(vg)


def test_too_many_captions_per_image_is_refused(tmp_path):
    with pytest.raises(ConfigError, match="captions-per-image"):
        build_vg_corpus(tmp_path / "x", images=2, captions_per_image=9)
    assert not (tmp_path / "x").exists()


def test_scenes_have_one_to_three_non_overlapping_shapes_named_in_the_caption():
    rng = random.Random(0)
    for _ in range(50):
        scene = random_scene(rng)
        assert 1 <= len(scene.items) <= 3
        pixels, boxes = render(scene)
        for it, (x1, y1, x2, y2) in zip(scene.items, boxes):
            assert f"{it.size} {it.colour} {it.shape}" in scene.caption
            assert 0 <= x1 < x2 <= IMAGE_SIZE and 0 <= y1 < y2 <= IMAGE_SIZE
        for a, b in [(a, b) for a in range(len(scene.items)) for b in range(a + 1, len(scene.items))]:
            ia, ib = scene.items[a], scene.items[b]
            assert np.hypot(ia.cx - ib.cx, ia.cy - ib.cy) >= radius(ia.size) + radius(ib.size)


def _shape_feature(shape: str, colour: str, size: str, cx: float = 112, cy: float = 112) -> np.ndarray:
    scene = Scene((Item(shape, colour, size, cx, cy),), "sand")
    pixels, boxes = render(scene)
    feats, _ = region_features(pixels, boxes, feature_dim=256)
    return feats[0]


def test_the_region_feature_tells_shape_colour_and_size_apart():
    ref = _shape_feature("circle", "red", "big")
    same_elsewhere = _shape_feature("circle", "red", "big", cx=80, cy=140)
    for other in (_shape_feature("square", "red", "big"), _shape_feature("circle", "blue", "big"),
                  _shape_feature("circle", "red", "small")):
        assert np.linalg.norm(ref - other) > 2 * np.linalg.norm(ref - same_elsewhere)


def test_padding_regions_are_zero():
    pixels, boxes = render(Scene((Item("star", "green", "small", 60, 60),), "snow"))
    feats, rboxes = region_features(pixels, boxes, feature_dim=32)
    used = 1 + 9 + 1
    assert (feats[used:] == 0).all() and (rboxes[used:] == 0).all()
    assert (feats[:used] >= 0).all() and (feats[:used].sum(1) > 0).all()
