"""Bad input to the model gets a clear ValueError saying what was expected."""

from __future__ import annotations

import pytest
import torch

import vgprobe.fastvgs as fv
from vgprobe.errors import ConfigError, InputError


@pytest.fixture(scope="module")
def model():
    torch.manual_seed(0)
    return fv.FaSTVGS(fv.preset("tiny")).eval()


@pytest.mark.parametrize(
    "wav, pattern",
    [
        (torch.randn(8000), r"2-D \(B, samples\)"),
        (torch.randint(0, 5, (1, 8000)), "float tensor"),
        (torch.randn(0, 8000), "empty batch"),
        (torch.randn(1, 399), "at least 400"),
        (torch.tensor([[float("nan")] * 800]), "NaN or inf"),
        ([0.0] * 800, "torch.Tensor"),
    ],
)
def test_bad_waveforms(model, wav, pattern):
    with pytest.raises(ValueError, match=pattern):
        model.audio_layers(wav)


def test_padding_mask_must_be_bool_of_the_waveform_shape(model):
    wav = torch.randn(2, 8000)
    with pytest.raises(InputError, match="padding_mask must be a bool tensor of shape"):
        model.audio_layers(wav, torch.zeros(2, 7999, dtype=torch.bool))
    with pytest.raises(InputError, match="padding_mask"):
        model.audio_layers(wav, torch.zeros(2, 8000))


def test_a_waveform_padded_below_the_receptive_field_is_refused(model):
    mask = torch.zeros(2, 8000, dtype=torch.bool)
    mask[1, 300:] = True
    with pytest.raises(InputError, match="at least 400 non-padding samples"):
        model.audio_layers(torch.randn(2, 8000), mask)


@pytest.mark.parametrize(
    "feats, boxes, pattern",
    [
        (torch.rand(2, 36, 100), torch.rand(2, 36, 4), r"roi_feats must be \(B, R, 2048\)"),
        (torch.rand(2, 36, 2048), torch.rand(2, 35, 4), r"roi_boxes must be \(B, R, 4\)"),
        (torch.rand(0, 36, 2048), torch.rand(0, 36, 4), "empty batch"),
        (torch.full((1, 36, 2048), float("inf")), torch.rand(1, 36, 4), "NaN or inf"),
    ],
)
def test_bad_region_inputs(model, feats, boxes, pattern):
    with pytest.raises(InputError, match=pattern):
        model.encode_image(feats, boxes)


def test_scores_need_both_sides(model):
    with pytest.raises(InputError, match="roi_feats and roi_boxes"):
        model.coarse_scores(torch.randn(1, 8000))


def test_unknown_layer_names_list_the_known_ones(model):
    with pytest.raises(ConfigError, match=r"unknown layer 'trm1.9'.*trm1.8"):
        model.audio_layers(torch.randn(1, 8000), layers=["trm1.9"])


def test_layers_come_back_with_masks_and_cls_dropped(model):
    wav = torch.randn(2, 16000)
    mask = torch.zeros(2, 16000, dtype=torch.bool)
    mask[1, 8000:] = True
    out = model.audio_layers(wav, mask, layers=["trm1.6", "trm2.1", "audio.coarse"])
    assert list(out) == ["trm1.6", "trm2.1", "audio.coarse"]
    assert out["trm1.6"].shape == (2, 49, 64)  # floor((16000 - 400) / 320) + 1 frames
    assert out.masks["trm1.6"][0].sum() == 0 and out.masks["trm1.6"][1].sum() > 0
    assert out["trm2.1"].shape[:2] == out.masks["trm2.1"].shape
    assert out["audio.coarse"].shape == (2, 64) and "audio.coarse" not in out.masks


def test_trm1_only_requests_stop_early_with_identical_values(model):
    wav = torch.randn(1, 12000)
    with torch.no_grad():
        early = model.audio_layers(wav, layers=["trm1.3"])["trm1.3"]
        full = model.audio_layers(wav)["trm1.3"]
    assert torch.equal(early, full)
