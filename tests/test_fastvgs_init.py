"""Initialisation from wav2vec2-base weights (Hugging Face folder or fairseq checkpoint)."""

from __future__ import annotations

import argparse

import numpy as np
import pytest
import torch
from transformers import Wav2Vec2Model

import vgprobe.fastvgs as fv
from vgprobe.errors import CheckpointError
from vgprobe.fastvgs.init_w2v2 import init_from_wav2vec2
from vgprobe.fastvgs.safe_pickle import load_torch_bundle
from vgprobe.fastvgs.trm1 import hf_wav2vec2_config


def test_hugging_face_folder_initialises_the_first_layers_only(tmp_path):
    cfg = fv.preset("tiny")
    hf_cfg = hf_wav2vec2_config(cfg)
    hf_cfg.num_hidden_layers = cfg.trm1_layers + 2  # like wav2vec2-base: more layers than Trm1 keeps
    torch.manual_seed(3)
    hf = Wav2Vec2Model(hf_cfg)
    hf.save_pretrained(tmp_path / "w2v2")
    model = fv.FaSTVGS(cfg)
    report = init_from_wav2vec2(model, tmp_path / "w2v2")
    hf_state = hf.state_dict()
    assert torch.equal(model.trm1.encoder.layers[7].final_layer_norm.weight, hf_state["encoder.layers.7.final_layer_norm.weight"])
    assert torch.equal(
        model.trm1.feature_extractor.conv_layers[0].conv.weight, hf_state["feature_extractor.conv_layers.0.conv.weight"]
    )
    # the positional conv's weight-norm tensors arrive too
    assert torch.equal(model.trm1.encoder.pos_conv_embed.conv.weight, hf.encoder.pos_conv_embed.conv.weight)
    assert any(k.startswith("encoder.layers.8.") for k in report.skipped_source)
    assert "trm1.cls_token" in report.not_initialised and "conv2.linear.weight" in report.not_initialised
    assert "loaded" in report.summary()


def test_fairseq_checkpoint_reproduces_the_authors_trm1(authors_checkpoint, authors_model, tmp_path):
    """A fairseq-style wav2vec_small.pt built from the fixture's Trm1 weights gives the same Trm1 output."""
    bundle = load_torch_bundle(authors_checkpoint / "best_bundle.pth")
    prefix = "conv1_trm1_trm3."
    state = {k[len(prefix):]: v for k, v in bundle["dual_encoder"].items() if k.startswith(prefix) and k != prefix + "cls_token"}
    for k in [k for k in state if k.startswith("encoder.layers.7.")]:  # wav2vec2-base has 12 layers
        for extra in (8, 9, 10, 11):
            state[k.replace("layers.7.", f"layers.{extra}.")] = state[k].clone()
    path = tmp_path / "wav2vec_small.pt"
    torch.save({"args": argparse.Namespace(arch="wav2vec2"), "model": state, "extra_state": {"x": np.float64(1.0)}}, path)
    model = fv.FaSTVGS(authors_model.cfg).eval()
    report = init_from_wav2vec2(model, path)
    with torch.no_grad():
        model.trm1.cls_token.copy_(authors_model.trm1.cls_token)
        wav = torch.randn(1, 9000)
        got = model.audio_layers(wav, layers=["trm1.8"])["trm1.8"]
        want = authors_model.audio_layers(wav, layers=["trm1.8"])["trm1.8"]
    assert torch.equal(got, want)
    assert "quantizer.vars" in report.skipped_source and "mask_emb" in report.skipped_source


def test_a_checkpoint_that_is_not_wav2vec2_is_refused(tmp_path):
    path = tmp_path / "other.pt"
    torch.save({"model": {"decoder.embed.weight": torch.zeros(3)}}, path)
    with pytest.raises(CheckpointError, match="not wav2vec2-base tensors"):
        init_from_wav2vec2(fv.FaSTVGS(fv.preset("tiny")), path)
