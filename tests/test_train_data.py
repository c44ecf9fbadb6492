"""Loaders: up-front validation (all problems at once, or dropped and listed), audio and box preprocessing."""

import json
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf
import torch

from vgprobe.errors import InputError
from vgprobe.train.data import CaptionDataset, ImageDataset, collate, load_audio, load_split

from vgcorpus_data import write_corpus


@pytest.fixture()
def corpus(tmp_path):
    return write_corpus(tmp_path / "vg", images={"train": 4, "val": 2, "test": 2}, feature_dim=2048)


def test_split_maps_captions_to_distinct_images(corpus):
    s = load_split(corpus, "val")
    assert len(s.captions) == 4 and len(s.images) == 2
    assert s.caption_image == (0, 0, 1, 1) and s.dropped == ()
    assert all(c.wav.is_file() for c in s.captions)


def test_missing_wavs_and_images_reported_all_at_once_or_dropped(corpus):
    (corpus / "SpokenCOCO" / "wavs" / "train" / "COCO_train2014_000000000000_1.wav").unlink()
    m = corpus / "SpokenCOCO" / "SpokenCOCO_train_unrolled_karpathy.json"
    data = json.loads(m.read_text())
    data["data"][3]["image"] = "train2014/NOT_AN_IMAGE.jpg"
    m.write_text(json.dumps(data))
    with pytest.raises(InputError) as e:
        load_split(corpus, "train")
    msg = str(e.value)
    assert "2 of 8 captions cannot be loaded" in msg and "--drop-missing" in msg
    assert "entry 1: wav" in msg and "entry 3: image id 'NOT_AN_IMAGE' not in the feature files" in msg
    s = load_split(corpus, "train", drop_missing=True)
    assert len(s.captions) == 6 and len(s.dropped) == 2


@pytest.mark.parametrize(
    "content, match",
    [("{", "cannot read JSON"), ('{"rows": []}', "'data' list"), ('{"data": [{"image": "x"}]}', "entry 0 is not")],
)
def test_bad_manifests_name_the_file(corpus, content, match):
    m = corpus / "SpokenCOCO" / "SpokenCOCO_test_unrolled_karpathy.json"
    m.write_text(content)
    with pytest.raises(InputError, match=match) as e:
        load_split(corpus, "test")
    assert str(m) in str(e.value)


def test_missing_manifest(tmp_path):
    with pytest.raises(InputError, match="manifest not found"):
        load_split(tmp_path, "train")


def test_audio_is_cut_znormalised_and_padded(tmp_path):
    x = np.linspace(-0.5, 0.9, 12000).astype(np.float32)
    sf.write(tmp_path / "a.wav", x, 16000, subtype="FLOAT")
    wav, mask = load_audio(tmp_path / "a.wav", seconds=0.5)  # 8000 kept samples
    kept = x[:8000]
    np.testing.assert_allclose(wav.numpy(), (kept - kept.mean()) / kept.std(), rtol=1e-5, atol=1e-5)
    assert not mask.any()
    wav, mask = load_audio(tmp_path / "a.wav", seconds=1.0)  # padded to 16000
    assert wav.shape == (16000,) and int((~mask).sum()) == 12000 and torch.all(wav[12000:] == 0)
    assert abs(float(wav[:12000].mean())) < 1e-5 and float(wav[:12000].std(unbiased=False)) == pytest.approx(1, 1e-4)


def test_other_sample_rates_are_resampled_and_bad_audio_refused(tmp_path):
    sf.write(tmp_path / "b.wav", np.random.default_rng(0).standard_normal(8000).astype(np.float32), 8000)
    wav, mask = load_audio(tmp_path / "b.wav", seconds=2.0)
    assert int((~mask).sum()) == 16000
    sf.write(tmp_path / "s.wav", np.zeros(4000, np.float32), 16000)
    with pytest.raises(InputError, match="s.wav: audio is too short or silent"):
        load_audio(tmp_path / "s.wav", seconds=1.0)
    sf.write(tmp_path / "st.wav", np.zeros((4000, 2), np.float32), 16000)
    with pytest.raises(InputError, match="expected mono"):
        load_audio(tmp_path / "st.wav", seconds=1.0)


def test_items_and_boxes(corpus):
    s = load_split(corpus, "test")
    item = CaptionDataset(s, seconds=0.25)[1]
    assert item["wav"].shape == (4000,) and item["feats"].shape == (36, 2048) and item["image"] == 0
    assert 0 <= float(item["boxes"].min()) and float(item["boxes"].max()) <= 1
    img = ImageDataset(s)[1]
    assert img["image"] == 1 and torch.equal(img["boxes"], CaptionDataset(s, seconds=0.25)[2]["boxes"])
    b = collate([CaptionDataset(s, seconds=0.25)[i] for i in range(3)])
    assert b["wav"].shape == (3, 4000) and b["image"].tolist() == [0, 0, 1]


@pytest.mark.parametrize("dataset", ["flickr8k", "places"])
def test_flickr8k_and_places_layouts_give_the_same_split(corpus, tmp_path, dataset):
    """The same captions laid out as the authors' Flickr8k / Places loaders expect them."""
    import shutil

    root = tmp_path / dataset
    for split in ("train", "val", "test"):
        name = {"val": "dev"}.get(split, split)
        coco = json.loads((corpus / "SpokenCOCO" / f"SpokenCOCO_{split}_unrolled_karpathy.json").read_text())
        feats = corpus / "coco_img_feat" / f"SpokenCOCO_{'train' if split == 'train' else 'val'}_imgfeat.hdf5"
        if dataset == "flickr8k":
            entries = [{"image": Path(d["image"]).stem, "wav": Path(d["caption"]["wav"]).name} for d in coco["data"]]
            manifest, feat_path = root / f"flickr8k_{name}.json", root / "img_feat" / f"flickr8k_{name}_obj36.hdf5"
            (root / "wavs").mkdir(parents=True, exist_ok=True)
            for d in coco["data"]:
                shutil.copy(corpus / "SpokenCOCO" / d["caption"]["wav"], root / "wavs")
        else:
            entries = [{"image": Path(d["image"]).stem, "wav": f"SpokenCOCO/{d['caption']['wav']}"} for d in coco["data"]]
            manifest, feat_path = root / "metadata" / f"{name}_2020.json", root / "places_imgfeat" / f"{name}_2020.hdf5"
            if not (root / "SpokenCOCO").exists():
                shutil.copytree(corpus / "SpokenCOCO", root / "SpokenCOCO")
        manifest.parent.mkdir(parents=True, exist_ok=True)
        manifest.write_text(json.dumps({"data": entries}))
        feat_path.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(feats, feat_path)
    for split in ("train", "val", "test"):
        want = load_split(corpus, split)
        got = load_split(root, split, dataset=dataset)
        assert got.images == want.images and got.caption_image == want.caption_image
        assert [c.wav.name for c in got.captions] == [c.wav.name for c in want.captions]
