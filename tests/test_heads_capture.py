"""Captured attention weights are the weights the stock layers use.

Specification: for every kind of attention, the recorded softmax weights, applied to the layer's values and
passed through the rest of the layer, give the layer's output computed with no hook at all (and on the
model's default attention path)."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from heads_models import hf_model, image_of, small_fastvgs
from vgprobe.analysis.heads import attention_sites, cls_attention, record_attention
from vgprobe.errors import ConfigError

ATOL = 2e-5


def heads_apply(p: torch.Tensor, v: torch.Tensor) -> torch.Tensor:
    """Weights (B, H, Q, K) times values (B, K, H*d) -> concatenated context (B, Q, H*d)."""
    b, k, hd = v.shape
    h = p.shape[1]
    ctx = p @ v.view(b, k, h, hd // h).transpose(1, 2)
    return ctx.transpose(1, 2).reshape(b, p.shape[2], hd)


def io_of(module, fn):
    """Positional inputs and output of ``module``'s first call while ``fn`` runs (plain hooks, no change)."""
    seen = {}
    h1 = module.register_forward_pre_hook(lambda m, a: seen.setdefault("in", a))
    h2 = module.register_forward_hook(lambda m, a, o: seen.setdefault("out", o))
    try:
        with torch.no_grad():
            fn()
    finally:
        h1.remove()
        h2.remove()
    return seen["in"], seen["out"]


def test_trm1_weights_reproduce_the_layer_output():
    model = small_fastvgs()
    wav = torch.randn(1, 12000)
    layer = model.trm1.encoder.layers[1]
    (x,), out = io_of(layer, lambda: model.audio_layers(wav, layers=["trm1.3"]))
    out = out[0] if isinstance(out, tuple) else out  # transformers 5.0 returned (hidden_states,)
    assert model.trm1.hf_config._attn_implementation == "sdpa"  # the stock output is SDPA's
    sites = [s for s in attention_sites(model, stacks=["trm1"]) if s.layer == 2]
    with record_attention(model, sites) as rec, torch.no_grad():
        model.audio_layers(wav, layers=["trm1.3"])
        p = rec.take()[sites[0]]
    att = layer.attention
    with torch.no_grad():
        h = layer.layer_norm(x + att.out_proj(heads_apply(p, att.v_proj(x))))
        y = layer.final_layer_norm(h + layer.feed_forward(h))
    assert p.shape == (1, 4, x.shape[1], x.shape[1])
    torch.testing.assert_close(y, out, atol=ATOL, rtol=0)


@pytest.mark.parametrize("stack", ["trm2", "image"])
def test_bert_layer_weights_reproduce_trm2_and_image_layer_outputs(stack):
    model = small_fastvgs()
    wav = torch.randn(1, 40000)
    feats, boxes = image_of(1)
    layer = (model.trm2 if stack == "trm2" else model.image_trm)[1]

    def forward():
        model.encode_audio(wav)
        model.encode_image(feats[None], boxes[None])

    (x, mask), (out, *_) = io_of(layer, forward)
    (site,) = [s for s in attention_sites(model, stacks=[stack]) if s.layer == 2]
    with record_attention(model, [site]) as rec, torch.no_grad():
        forward()
        p = rec.take()[site]
    sa = layer.attention
    with torch.no_grad():
        a = sa.output(heads_apply(p, sa.self.value(x)), x)
        y = layer.output(layer.intermediate(a), a)
    if stack == "trm2":
        assert mask is not None and bool((mask < 0).any())  # the authors' Conv2 rule masks the last frame here
    torch.testing.assert_close(y, out, atol=ATOL, rtol=0)


def test_cross_encoder_weights_reproduce_both_directions_and_the_bare_self_attention():
    model = small_fastvgs()
    wav = torch.randn(1, 56000)  # 11 Conv2 frames + CLS: not the 7 image tokens, so directions cannot be confused
    feats, boxes = image_of(2)
    with torch.no_grad():
        audio = model.encode_audio(wav)
        image = model.encode_image(feats[None], boxes[None])
    layer = model.cross.xtrm[0]
    (a_in, mask, v_in), (a_out, v_out) = io_of(layer, lambda: model.cross(audio.seq, audio.additive_mask, image.seq))
    assert a_in.shape[1] != v_in.shape[1]
    sites = {s.stack: s for s in attention_sites(model, stacks=["cross"]) if s.layer == 1}
    with record_attention(model, list(sites.values())) as rec, torch.no_grad():
        model.cross(audio.seq, audio.additive_mask, image.seq)
        p = rec.take()
    xa = layer.visual_attention
    with torch.no_grad():
        a = xa.output(heads_apply(p[sites["cross.audio_to_image"]], xa.att.value(v_in)), a_in)
        v = xa.output(heads_apply(p[sites["cross.image_to_audio"]], xa.att.value(a_in)), v_in)
        a2 = heads_apply(p[sites["cross.audio_self"]], layer.audio_self_att.value(a))
        v2 = heads_apply(p[sites["cross.image_self"]], layer.visn_self_att.value(v))
        a_y = layer.audio_output(layer.audio_inter(a2), a2)
        v_y = layer.visn_output(layer.visn_inter(v2), v2)
    torch.testing.assert_close(a_y, a_out, atol=ATOL, rtol=0)
    torch.testing.assert_close(v_y, v_out, atol=ATOL, rtol=0)


@pytest.mark.parametrize("family", ["wav2vec2", "hubert", "data2vec-audio", "wavlm"])
def test_hugging_face_weights_reproduce_the_layer_output(family):
    model = hf_model(family)
    wav = torch.randn(1, 12000)
    layer = model.encoder.layers[1]
    (x,), out = io_of(layer, lambda: model(wav))
    out = out[0] if isinstance(out, tuple) else out
    (site,) = [s for s in attention_sites(model) if s.layer == 2]
    with record_attention(model, [site]) as rec, torch.no_grad():
        model(wav)
        p = rec.take()[site]
    att = layer.attention
    with torch.no_grad():
        ctx = heads_apply(p, att.v_proj(x))
        h = layer.layer_norm(x + att.out_proj(ctx))
        y = layer.final_layer_norm(h + layer.feed_forward(h))
    if family == "wavlm":  # the weights differ per head, unlike the head average Hugging Face returns
        assert (p[:, 0] - p[:, 1]).abs().max() > 1e-3
    torch.testing.assert_close(y, out, atol=ATOL, rtol=0)


def test_recording_restores_the_attention_path_and_the_training_flag():
    model = small_fastvgs().train()
    hf = hf_model("wav2vec2").train()
    for m in (model, hf):
        with record_attention(m, attention_sites(m)):
            assert not m.training
        assert m.training
    assert model.trm1.hf_config._attn_implementation == "sdpa"
    assert hf.config._attn_implementation == "sdpa"


def test_cls_attention_is_the_cls_row_of_the_layer_without_the_cls_column():
    model = small_fastvgs()
    wav = torch.randn(40000)
    a = cls_attention(model, wav, "trm1.2")
    (site,) = [s for s in attention_sites(model, stacks=["trm1"]) if s.layer == 2]
    with record_attention(model, [site]) as rec, torch.no_grad():
        model.audio_layers(wav[None], layers=["trm1.2"])
        p = rec.take()[site][0]
    assert a.dtype == np.float32 and a.shape == (4, 124)  # heads, Conv1 frames of 2.5 s
    np.testing.assert_array_equal(a, p[:, 0, 1:].numpy())
    np.testing.assert_allclose(a.sum(1) + p[:, 0, 0].numpy(), 1.0, rtol=1e-5)  # with the CLS column: a distribution
    t2 = cls_attention(model, wav, "trm2.1")
    n_valid = model.audio_layers(wav[None], layers=["trm2.1"]).masks["trm2.1"].logical_not().sum().item()
    assert t2.shape == (4, n_valid)


def test_cls_attention_refuses_encoders_without_cls_and_unknown_layers():
    with pytest.raises(ConfigError, match="no CLS token"):
        cls_attention(hf_model("wav2vec2"), torch.randn(8000), "hidden.1")
    with pytest.raises(ConfigError, match="trm1.1..trm1.3 or trm2.1..trm2.2"):
        cls_attention(small_fastvgs(), torch.randn(8000), "trm1.9")
