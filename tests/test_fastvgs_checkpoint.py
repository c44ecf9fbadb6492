"""Checkpoint folders: vgprobe's own format round-trips; the authors' format loads strictly and safely."""

from __future__ import annotations

import os
import pickle
import shutil
from pathlib import Path

import numpy as np
import pytest
import torch

import vgprobe.fastvgs as fv
from vgprobe.errors import CheckpointError
from vgprobe.fastvgs.safe_pickle import load_torch_bundle


def tiny_model(seed: int = 0) -> fv.FaSTVGS:
    torch.manual_seed(seed)
    return fv.FaSTVGS(fv.preset("tiny")).eval()


def test_vgprobe_folder_round_trips_bit_exactly(tmp_path):
    model = tiny_model()
    folder = fv.save(model, tmp_path / "run")
    assert sorted(p.name for p in folder.iterdir()) == ["config.json", "model.safetensors"]
    loaded = fv.load(folder)
    assert not loaded.training
    assert loaded.cfg == model.cfg
    wav = torch.randn(2, 8000)
    with torch.no_grad():
        a, b = model.audio_layers(wav), loaded.audio_layers(wav)
    for name in a:
        assert torch.equal(a[name], b[name]), name


def test_saving_over_an_existing_folder_replaces_it_and_leaves_no_temporary(tmp_path):
    fv.save(tiny_model(0), tmp_path / "run")
    fv.save(tiny_model(1), tmp_path / "run")
    assert [p.name for p in tmp_path.iterdir()] == ["run"]
    got = fv.load(tmp_path / "run").state_dict()
    want = tiny_model(1).state_dict()
    assert all(torch.equal(got[k], want[k]) for k in want)


def test_a_folder_that_is_no_checkpoint_is_refused(tmp_path):
    with pytest.raises(CheckpointError, match="best_bundle.pth"):
        fv.load(tmp_path)


class _RunsCode:
    def __init__(self, marker: Path):
        self.marker = marker

    def __reduce__(self):
        return (os.system, (f"touch {self.marker}",))


def test_a_crafted_args_pickle_is_refused_without_running_code(authors_checkpoint, tmp_path):
    bad = tmp_path / "bad"
    shutil.copytree(authors_checkpoint, bad)
    marker = tmp_path / "pwned"
    (bad / "args.pkl").write_bytes(pickle.dumps(_RunsCode(marker)))
    with pytest.raises(CheckpointError, match="only argparse.Namespace"):
        fv.load(bad)
    assert not marker.exists()


def test_a_crafted_bundle_is_refused_without_running_code(tmp_path):
    marker = tmp_path / "pwned"
    path = tmp_path / "best_bundle.pth"
    torch.save({"dual_encoder": {}, "payload": _RunsCode(marker)}, path)
    with pytest.raises(CheckpointError, match="weights-only"):
        load_torch_bundle(path)
    assert not marker.exists()


def test_the_bundle_numpy_indices_array_is_admitted(tmp_path):
    path = tmp_path / "b.pth"
    torch.save({"indices": np.arange(4, dtype=np.int64), "x": torch.ones(1)}, path)
    got = load_torch_bundle(path)
    np.testing.assert_array_equal(got["indices"], np.arange(4))


@pytest.mark.parametrize("part, key, tensor, message", [
    ("dual_encoder", "trm2_proj.weight", None, r"1 missing .*trm2_proj.weight"),
    ("cross_encoder", "fc.5.weight", torch.zeros(1), "cross_encoder.fc.5.weight"),
    ("dual_encoder", "trm2_proj.bias", torch.zeros(5), "wrong shape"),
], ids=["missing_tensor", "unknown_tensor", "wrong_shape"])
def test_a_bad_tensor_in_an_authors_bundle_is_an_error(part, key, tensor, message, authors_checkpoint, tmp_path):
    """``tensor`` None: ``key`` is removed from the bundle's ``part``; otherwise it is set to ``tensor``."""
    bad = tmp_path / "bad"
    shutil.copytree(authors_checkpoint, bad)
    bundle = load_torch_bundle(bad / "best_bundle.pth")
    if tensor is None:
        bundle[part].pop(key)
    else:
        bundle[part][key] = tensor
    torch.save(bundle, bad / "best_bundle.pth")
    with pytest.raises(CheckpointError, match=message):
        fv.load(bad)


def test_released_args_without_trim_mask_load(authors_checkpoint, tmp_path):
    from vgprobe.fastvgs.safe_pickle import load_args_pickle

    old = tmp_path / "old"
    shutil.copytree(authors_checkpoint, old)
    args = load_args_pickle(old / "args.pkl")
    del args.trim_mask
    (old / "args.pkl").write_bytes(pickle.dumps(args, protocol=4))
    model = fv.load(old)
    assert model.cfg.trm1_layers == 8 and model.cfg.image_layers == 6 and model.cfg.cross_layers == 2


def test_authors_checkpoint_converts_to_a_vgprobe_folder(authors_model, tmp_path):
    folder = fv.save(authors_model, tmp_path / "converted")
    again = fv.load(folder)
    wav = torch.randn(1, 6000)
    with torch.no_grad():
        assert torch.equal(authors_model.audio_layers(wav)["audio.coarse"], again.audio_layers(wav)["audio.coarse"])
