"""The Hugging Face ``transformers`` internals that vgprobe builds on, pinned in one place.

vgprobe does not run transformers' LXMERT or wav2vec2 *models*: it composes their *modules*
(attention, feed-forward, positional convolution, CNN feature encoder) in the order of the
FaST-VGS authors (``vgprobe/fastvgs/trm1.py``, ``bert.py``, ``cross_pairs.py``), reads their
submodules and parameter names directly (checkpoint key maps, the pair scorer's shared
projections), and switches wav2vec2's attention kernel at run time (attention-head analysis).
None of that is public API, so a transformers release may rename or rewire it. setup.cfg's
transformers range is the range where everything here holds; this file is where a release
outside it fails, each failure naming the internal that moved and the vgprobe file that uses it.

Two kinds of checks:

- structure: classes import, submodules and attributes exist under the names vgprobe reads,
  state-dict keys are the ones the checkpoint key maps (``vgprobe/fastvgs/keymap.py``) target,
  outputs are tuples where vgprobe indexes them;
- arithmetic: tiny seeded modules (float64, eval mode) give what the same computation written
  here with plain torch ops gives: post-LN BERT layers (LayerNorm eps 1e-12, erf GELU, additive
  key masks), the wav2vec2 post-LN encoder layer under both attention kernels, the weight-normed
  positional convolution, the group-normed CNN, the feature projection and the HTK mel filters.
"""

from __future__ import annotations

import importlib
import inspect
import math
from typing import Any

import numpy as np
import pytest
import torch
import torch.nn.functional as F
import transformers
from torch import nn

from vgprobe.fastvgs.config import FaSTVGSConfig

TRANSFORMERS = transformers.__version__

# A FaST-VGS configuration small enough to check by hand: width 8, 2 heads, 2 CNN layers,
# an even positional-conv kernel (wav2vec2 then drops the last output frame).
CFG = FaSTVGSConfig(
    conv_layers=((4, 10, 5), (6, 3, 2)),
    hidden_size=8,
    trm1_layers=1,
    trm1_heads=2,
    trm1_ffn=16,
    pos_conv_kernel=4,
    pos_conv_groups=2,
    conv2_widths=(4, 4, 4, 4, 8),
    bert_heads=2,
    bert_ffn=16,
)
HEADS = 2
HEAD_DIM = 4

LXMERT = "transformers.models.lxmert.modeling_lxmert"
WAV2VEC2 = "transformers.models.wav2vec2.modeling_wav2vec2"

# (module, name, the vgprobe files that use it)
CLASSES = [
    ("transformers", "LxmertConfig", "vgprobe/fastvgs/bert.py"),
    (LXMERT, "LxmertAttention", "vgprobe/fastvgs/bert.py, vgprobe/fastvgs/cross_pairs.py"),
    (LXMERT, "LxmertCrossAttentionLayer", "vgprobe/fastvgs/bert.py"),
    (LXMERT, "LxmertIntermediate", "vgprobe/fastvgs/bert.py"),
    (LXMERT, "LxmertLayer", "vgprobe/fastvgs/bert.py"),
    (LXMERT, "LxmertOutput", "vgprobe/fastvgs/bert.py"),
    ("transformers", "Wav2Vec2Config", "vgprobe/fastvgs/trm1.py"),
    (WAV2VEC2, "Wav2Vec2EncoderLayer", "vgprobe/fastvgs/trm1.py"),
    (WAV2VEC2, "Wav2Vec2FeatureEncoder", "vgprobe/fastvgs/trm1.py"),
    (WAV2VEC2, "Wav2Vec2FeatureProjection", "vgprobe/fastvgs/trm1.py"),
    (WAV2VEC2, "Wav2Vec2PositionalConvEmbedding", "vgprobe/fastvgs/trm1.py"),
    ("transformers.audio_utils", "mel_filter_bank", "vgprobe/extract/encoders.py (log-mel baseline)"),
    ("transformers", "AutoModel", "vgprobe/extract/encoders.py (Hugging Face speech encoders)"),
    ("transformers", "AutoFeatureExtractor", "vgprobe/extract/encoders.py (Hugging Face speech encoders)"),
]


def moved(internal: str, used_by: str, detail: str = "") -> str:
    """The failure message: which internal moved, who reads it, what to do."""
    return (
        f"transformers {TRANSFORMERS}: {internal} is not what vgprobe relies on{': ' + detail if detail else ''}. "
        f"Used by {used_by}. Adapt that code, or keep transformers below this release in setup.cfg."
    )


def hf(module: str, name: str) -> Any:
    used_by = next(u for m, n, u in CLASSES if (m, n) == (module, name))
    try:
        return getattr(importlib.import_module(module), name)
    except (ImportError, AttributeError) as exc:
        pytest.fail(moved(f"{module}.{name}", used_by, f"cannot import it ({exc})"))


def attr(obj: Any, path: str, *, used_by: str) -> Any:
    """``obj.<path>`` (dotted), failing with the internal's full name when a part is missing."""
    cur = obj
    for part in path.split("."):
        if not hasattr(cur, part):
            pytest.fail(moved(f"{type(obj).__name__}.{path}", used_by, f"no attribute {part!r}"))
        cur = getattr(cur, part)
    return cur


def call(fn: Any, *args: Any, internal: str, used_by: str, **kwargs: Any) -> Any:
    """``fn(*args, **kwargs)`` the way vgprobe calls it; a call that no longer works (signature, mask
    shape) fails naming the internal."""
    try:
        return fn(*args, **kwargs)
    except (TypeError, ValueError, RuntimeError) as exc:
        sig = inspect.signature(fn.forward if isinstance(fn, nn.Module) else fn)
        pytest.fail(moved(f"{internal}{sig}", used_by, f"the call vgprobe makes fails ({exc})"))


def seeded(module: nn.Module, seed: int) -> nn.Module:
    """Every parameter drawn from N(0, 0.5²) (weight-norm magnitudes g from N(1, 0.5²)), float64, eval mode."""
    g = torch.Generator().manual_seed(seed)
    module = module.double().eval()
    with torch.no_grad():
        for name, p in module.named_parameters():
            p.copy_(
                torch.randn(p.shape, generator=g, dtype=p.dtype) * 0.5 + (1.0 if name.endswith("original0") else 0.0)
            )
    return module


def rand(*shape: int, seed: int) -> torch.Tensor:
    return torch.randn(*shape, generator=torch.Generator().manual_seed(seed), dtype=torch.float64)


def key_mask(padding: torch.Tensor) -> torch.Tensor:
    """(B, S) bool, True = pad -> the (B, 1, 1, S) additive key mask vgprobe passes (dtype minimum on pads)."""
    from vgprobe.fastvgs.trm1 import additive_key_mask

    return additive_key_mask(padding, torch.float64)


def lxmert_config():
    from vgprobe.fastvgs.bert import hf_lxmert_config

    return hf_lxmert_config(CFG)


def wav2vec2_config(attn: str):
    from vgprobe.fastvgs.trm1 import hf_wav2vec2_config

    return hf_wav2vec2_config(CFG, attn_implementation=attn)


def weights_and_biases(*names: str) -> set[str]:
    return {f"{n}.{w}" for n in names for w in ("weight", "bias")}


# --------------------------------------------------------------------------- plain-torch references
def join(*parts: str) -> str:
    return ".".join(q for q in parts if q)


def linear(p: dict[str, torch.Tensor], prefix: str, x: torch.Tensor) -> torch.Tensor:
    return F.linear(x, p[join(prefix, "weight")], p[join(prefix, "bias")])


def layer_norm(p: dict[str, torch.Tensor], prefix: str, x: torch.Tensor, eps: float) -> torch.Tensor:
    return F.layer_norm(x, x.shape[-1:], p[join(prefix, "weight")], p[join(prefix, "bias")], eps)


def attention(
    q: torch.Tensor, k: torch.Tensor, v: torch.Tensor, mask: torch.Tensor | None
) -> tuple[torch.Tensor, torch.Tensor]:
    """Multi-head scaled dot-product attention.

    (B, Tq, D) queries, (B, Tk, D) keys and values, (B, 1, 1, Tk) mask -> (B, Tq, D), probabilities (B, H, Tq, Tk).
    """

    def heads(x: torch.Tensor) -> torch.Tensor:
        return x.view(x.shape[0], x.shape[1], HEADS, HEAD_DIM).transpose(1, 2)

    scores = heads(q) @ heads(k).transpose(-1, -2) / math.sqrt(HEAD_DIM)
    if mask is not None:
        scores = scores + mask
    probs = torch.softmax(scores, dim=-1)
    out = (probs @ heads(v)).transpose(1, 2).reshape(q.shape[0], q.shape[1], HEADS * HEAD_DIM)
    return out, probs


def lxmert_attention_ref(p, prefix, h, ctx, mask):
    """LxmertAttention: queries from ``h``, keys and values from ``ctx``, no output projection."""
    q, k, v = (linear(p, join(prefix, n), t) for n, t in (("query", h), ("key", ctx), ("value", ctx)))
    return attention(q, k, v, mask)[0]


def bert_residual_ref(p, prefix, x, residual):
    """LxmertAttentionOutput / LxmertOutput: LayerNorm(dense(x) + residual), eps 1e-12."""
    return layer_norm(p, join(prefix, "LayerNorm"), linear(p, join(prefix, "dense"), x) + residual, 1e-12)


def lxmert_layer_ref(p, x, mask):
    """A post-LN BERT layer (LxmertLayer)."""
    a = bert_residual_ref(p, "attention.output", lxmert_attention_ref(p, "attention.self", x, x, mask), x)
    return bert_residual_ref(p, "output", F.gelu(linear(p, "intermediate.dense", a)), a)


def hz_to_mel(f):
    """The HTK mel scale."""
    return 2595.0 * np.log10(1.0 + f / 700.0)


def mel_to_hz(m):
    return 700.0 * (10.0 ** (m / 2595.0) - 1.0)


def w2v2_layer_ref(p, x, mask, eps):
    """The wav2vec2 post-LN encoder layer: LN(x + attn(x)), then LN(h + W2 gelu(W1 h))."""
    a, probs = attention(
        linear(p, "attention.q_proj", x), linear(p, "attention.k_proj", x), linear(p, "attention.v_proj", x), mask
    )
    h = layer_norm(p, "layer_norm", x + linear(p, "attention.out_proj", a), eps)
    ff = linear(p, "feed_forward.output_dense", F.gelu(linear(p, "feed_forward.intermediate_dense", h)))
    return layer_norm(p, "final_layer_norm", h + ff, eps), probs


# --------------------------------------------------------------------------- structure
def test_the_classes_vgprobe_builds_on_import():
    missing = []
    for module, name, used_by in CLASSES:
        try:
            getattr(importlib.import_module(module), name)
        except (ImportError, AttributeError) as exc:
            missing.append(moved(f"{module}.{name}", used_by, f"cannot import it ({exc})"))
    assert not missing, "\n".join(missing)


def test_lxmert_attention_exposes_the_heads_projections_and_dropout_the_pair_scorer_reads():
    used_by = "vgprobe/fastvgs/cross_pairs.py (attend, PairScorer)"
    att = hf(LXMERT, "LxmertAttention")(lxmert_config())
    assert attr(att, "num_attention_heads", used_by=used_by) == HEADS, moved(
        "LxmertAttention.num_attention_heads", used_by
    )
    assert attr(att, "attention_head_size", used_by=used_by) == HEAD_DIM, moved(
        "LxmertAttention.attention_head_size", used_by
    )
    for name in ("query", "key", "value"):
        lin = attr(att, name, used_by=used_by)
        assert isinstance(lin, nn.Linear) and (lin.in_features, lin.out_features) == (8, 8), moved(
            f"LxmertAttention.{name}", used_by
        )
    drop = attr(att, "dropout", used_by=used_by)
    assert isinstance(drop, nn.Dropout) and drop.p == CFG.bert_attention_dropout, moved(
        "LxmertAttention.dropout", used_by
    )
    cross = hf(LXMERT, "LxmertCrossAttentionLayer")(lxmert_config())
    assert isinstance(attr(cross, "att", used_by=used_by), hf(LXMERT, "LxmertAttention")), moved(
        "LxmertCrossAttentionLayer.att", used_by
    )
    attr(cross, "output.dense", used_by=used_by)
    attr(cross, "output.LayerNorm", used_by=used_by)


def test_lxmert_parameter_names_are_the_authors_checkpoint_names():
    used_by = "vgprobe/fastvgs/keymap.py (AUTHORS: the authors' trm2 / image trm / xtrm names pass through)"
    expected = {
        "LxmertLayer": weights_and_biases(
            "attention.self.query",
            "attention.self.key",
            "attention.self.value",
            "attention.output.dense",
            "attention.output.LayerNorm",
            "intermediate.dense",
            "output.dense",
            "output.LayerNorm",
        ),
        "LxmertCrossAttentionLayer": weights_and_biases(
            "att.query", "att.key", "att.value", "output.dense", "output.LayerNorm"
        ),
        "LxmertAttention": weights_and_biases("query", "key", "value"),
        "LxmertIntermediate": weights_and_biases("dense"),
        "LxmertOutput": weights_and_biases("dense", "LayerNorm"),
    }
    for name, keys in expected.items():
        got = set(hf(LXMERT, name)(lxmert_config()).state_dict())
        assert got == keys, moved(
            f"{name} parameter names", used_by, f"missing {sorted(keys - got)}, new {sorted(got - keys)}"
        )


def test_wav2vec2_parameter_names_are_the_key_map_targets():
    used_by = "vgprobe/fastvgs/keymap.py (FAIRSEQ_W2V2, HF_W2V2) and vgprobe/fastvgs/trm1.py"
    hfc = wav2vec2_config("sdpa")
    expected = {
        "Wav2Vec2EncoderLayer": weights_and_biases(
            "attention.q_proj",
            "attention.k_proj",
            "attention.v_proj",
            "attention.out_proj",
            "layer_norm",
            "feed_forward.intermediate_dense",
            "feed_forward.output_dense",
            "final_layer_norm",
        ),
        # weight norm as a parametrization: g = original0, v = original1
        "Wav2Vec2PositionalConvEmbedding": {
            "conv.bias",
            "conv.parametrizations.weight.original0",
            "conv.parametrizations.weight.original1",
        },
        # group norm on the first layer only, no conv bias (the wav2vec2-base CNN)
        "Wav2Vec2FeatureEncoder": {
            "conv_layers.0.conv.weight",
            "conv_layers.0.layer_norm.weight",
            "conv_layers.0.layer_norm.bias",
            "conv_layers.1.conv.weight",
        },
        "Wav2Vec2FeatureProjection": weights_and_biases("layer_norm", "projection"),
    }
    for name, keys in expected.items():
        got = set(hf(WAV2VEC2, name)(hfc).state_dict())
        assert got == keys, moved(
            f"{name} parameter names", used_by, f"missing {sorted(keys - got)}, new {sorted(got - keys)}"
        )


def test_wav2vec2_encoder_layer_has_the_post_ln_structure_and_head_layout():
    used_by = "vgprobe/fastvgs/trm1.py and vgprobe/analysis/attention.py"
    layer = hf(WAV2VEC2, "Wav2Vec2EncoderLayer")(wav2vec2_config("sdpa"))
    assert attr(layer, "attention.num_heads", used_by=used_by) == HEADS, moved("Wav2Vec2Attention.num_heads", used_by)
    assert attr(layer, "attention.head_dim", used_by=used_by) == HEAD_DIM, moved("Wav2Vec2Attention.head_dim", used_by)
    assert attr(layer, "attention.config", used_by=used_by) is not None, moved("Wav2Vec2Attention.config", used_by)
    for name in ("layer_norm", "final_layer_norm"):
        ln = attr(layer, name, used_by=used_by)
        assert isinstance(ln, nn.LayerNorm) and ln.eps == CFG.w2v2_layer_norm_eps, moved(
            f"Wav2Vec2EncoderLayer.{name}", used_by
        )


# --------------------------------------------------------------------------- arithmetic
def test_lxmert_layer_is_a_post_ln_bert_layer_with_an_additive_key_mask():
    used_by = "vgprobe/fastvgs/bert.py (BertStack: Trm2, image transformer)"
    layer = seeded(hf(LXMERT, "LxmertLayer")(lxmert_config()), 1)
    x = rand(2, 5, 8, seed=2)
    mask = key_mask(torch.tensor([[False] * 5, [False, False, False, True, True]]))
    out = call(layer, x, mask, internal="LxmertLayer.forward", used_by=used_by)
    assert isinstance(out, tuple), moved("LxmertLayer.forward", used_by, "returns no tuple; vgprobe takes [0]")
    torch.testing.assert_close(out[0], lxmert_layer_ref(layer.state_dict(), x, mask), rtol=0, atol=1e-12)


def test_lxmert_cross_and_bare_attention_compute_what_the_cross_layer_composes():
    used_by = "vgprobe/fastvgs/bert.py (CrossLayer) and vgprobe/fastvgs/cross_pairs.py"
    cfg = lxmert_config()
    cross = seeded(hf(LXMERT, "LxmertCrossAttentionLayer")(cfg), 3)
    audio, visual = rand(2, 6, 8, seed=4), rand(2, 3, 8, seed=5)
    mask = key_mask(torch.tensor([[False] * 6, [False, False, False, False, True, True]]))
    p = cross.state_dict()
    # image queries over audio keys (masked), then audio queries over image keys (no mask)
    for q, ctx, m in ((visual, audio, mask), (audio, visual, None)):
        out = call(cross, q, ctx, m, internal="LxmertCrossAttentionLayer.forward", used_by=used_by)
        assert isinstance(out, tuple), moved("LxmertCrossAttentionLayer.forward", used_by, "returns no tuple")
        want = bert_residual_ref(p, "output", lxmert_attention_ref(p, "att", q, ctx, m), q)
        torch.testing.assert_close(out[0], want, rtol=0, atol=1e-12)
    # the cross layer's bare self-attention with queries for token 0 only (the scorer's last layer)
    att = seeded(hf(LXMERT, "LxmertAttention")(cfg), 6)
    out = call(att, audio[:, :1], audio, mask, internal="LxmertAttention.forward", used_by=used_by)
    assert isinstance(out, tuple), moved("LxmertAttention.forward", used_by, "returns no tuple")
    want = lxmert_attention_ref(att.state_dict(), "", audio[:, :1], audio, mask)
    torch.testing.assert_close(out[0], want, rtol=0, atol=1e-12)
    # the per-modality feed-forward: LayerNorm(dense(gelu(dense(a))) + a)
    ffn_in, ffn_out = seeded(hf(LXMERT, "LxmertIntermediate")(cfg), 7), seeded(hf(LXMERT, "LxmertOutput")(cfg), 8)
    y = call(
        ffn_out,
        call(ffn_in, audio, internal="LxmertIntermediate.forward", used_by=used_by),
        audio,
        internal="LxmertOutput.forward",
        used_by=used_by,
    )
    want = bert_residual_ref(ffn_out.state_dict(), "", F.gelu(linear(ffn_in.state_dict(), "dense", audio)), audio)
    torch.testing.assert_close(y, want, rtol=0, atol=1e-12)


@pytest.mark.parametrize("attn", ["sdpa", "eager"])
def test_wav2vec2_encoder_layer_is_post_ln_under_both_attention_kernels(attn):
    used_by = "vgprobe/fastvgs/trm1.py (_Trm1Stack)"
    layer = seeded(hf(WAV2VEC2, "Wav2Vec2EncoderLayer")(wav2vec2_config(attn)), 9)
    x = rand(2, 7, 8, seed=10)
    mask = key_mask(torch.tensor([[False] * 7, [False] * 4 + [True] * 3]))
    out = call(layer, x, attention_mask=mask, internal="Wav2Vec2EncoderLayer.forward", used_by=used_by)
    out = out[0] if isinstance(out, tuple) else out
    want, _ = w2v2_layer_ref(layer.state_dict(), x, mask, CFG.w2v2_layer_norm_eps)
    torch.testing.assert_close(out, want, rtol=0, atol=1e-12)


def test_switching_the_config_to_eager_at_run_time_exposes_the_attention_probabilities():
    """vgprobe builds Trm1 with sdpa and flips ``hf_config._attn_implementation`` to "eager" while it
    reads attention maps through a forward hook on ``layer.attention`` (output element 1)."""
    used_by = "vgprobe/analysis/attention.py (head_statistics)"
    cfg = wav2vec2_config("sdpa")
    layer = seeded(hf(WAV2VEC2, "Wav2Vec2EncoderLayer")(cfg), 11)
    x = rand(1, 6, 8, seed=12)
    captured: list[Any] = []
    hook = attr(layer, "attention", used_by=used_by).register_forward_hook(lambda mod, args, out: captured.append(out))
    try:
        cfg._attn_implementation = "eager"
        with torch.no_grad():
            layer(x)
        cfg._attn_implementation = "sdpa"
    except AttributeError as exc:
        pytest.fail(moved("Wav2Vec2Config._attn_implementation", used_by, f"cannot be set ({exc})"))
    finally:
        hook.remove()
    assert cfg._attn_implementation == "sdpa", moved("Wav2Vec2Config._attn_implementation", used_by, "not kept")
    out = captured[0]
    ok = isinstance(out, tuple) and len(out) >= 2 and isinstance(out[1], torch.Tensor)
    assert ok, moved(
        "Wav2Vec2Attention output under a run-time switch to eager",
        used_by,
        "element 1 holds no attention probabilities (the kernel is chosen when the layer is built?)",
    )
    _, probs = w2v2_layer_ref(layer.state_dict(), x, None, CFG.w2v2_layer_norm_eps)
    torch.testing.assert_close(out[1], probs, rtol=0, atol=1e-12)


def test_positional_conv_is_a_weight_normed_grouped_conv_with_same_padding_and_gelu():
    used_by = "vgprobe/fastvgs/trm1.py (_Trm1Stack.pos_conv_embed)"
    pos = seeded(hf(WAV2VEC2, "Wav2Vec2PositionalConvEmbedding")(wav2vec2_config("sdpa")), 13)
    x = rand(2, 9, 8, seed=14)
    p = pos.state_dict()
    g, v = p["conv.parametrizations.weight.original0"], p["conv.parametrizations.weight.original1"]
    weight = v * (g / v.pow(2).sum(dim=(0, 1), keepdim=True).sqrt())  # weight norm over every dim but the kernel's
    y = F.conv1d(
        x.transpose(1, 2), weight, p["conv.bias"], padding=CFG.pos_conv_kernel // 2, groups=CFG.pos_conv_groups
    )
    want = F.gelu(y[:, :, :-1]).transpose(1, 2)  # an even kernel gives one frame too many: the last is dropped
    out = call(pos, x, internal="Wav2Vec2PositionalConvEmbedding.forward", used_by=used_by)
    torch.testing.assert_close(out, want, rtol=0, atol=1e-12)


def test_feature_encoder_and_projection_compute_the_wav2vec2_base_front_end():
    used_by = "vgprobe/fastvgs/trm1.py (Trm1Encoder)"
    hfc = wav2vec2_config("sdpa")
    cnn = seeded(hf(WAV2VEC2, "Wav2Vec2FeatureEncoder")(hfc), 15)
    wav = rand(2, 60, seed=16)
    p = cnn.state_dict()
    h = F.conv1d(wav[:, None], p["conv_layers.0.conv.weight"], stride=5)
    h = F.gelu(F.group_norm(h, 4, p["conv_layers.0.layer_norm.weight"], p["conv_layers.0.layer_norm.bias"], 1e-5))
    want = F.gelu(F.conv1d(h, p["conv_layers.1.conv.weight"], stride=2))  # (B, C, T)
    feats = call(cnn, wav, internal="Wav2Vec2FeatureEncoder.forward", used_by=used_by)
    torch.testing.assert_close(feats, want, rtol=0, atol=1e-12)

    proj = seeded(hf(WAV2VEC2, "Wav2Vec2FeatureProjection")(hfc), 17)
    out = call(proj, feats.transpose(1, 2), internal="Wav2Vec2FeatureProjection.forward", used_by=used_by)
    assert isinstance(out, tuple) and len(out) == 2, moved(
        "Wav2Vec2FeatureProjection.forward", used_by, "vgprobe unpacks (projected, normed)"
    )
    q = proj.state_dict()
    normed = layer_norm(q, "layer_norm", feats.transpose(1, 2), CFG.w2v2_layer_norm_eps)
    torch.testing.assert_close(out[0], linear(q, "projection", normed), rtol=0, atol=1e-12)


def test_htk_mel_filters_are_triangles_between_mel_spaced_frequencies():
    used_by = "vgprobe/extract/encoders.py (LogMelEncoder, fingerprint logmel-40-400-160-htk)"
    fb = call(
        hf("transformers.audio_utils", "mel_filter_bank"),
        num_frequency_bins=201,
        num_mel_filters=40,
        min_frequency=20.0,
        max_frequency=8000.0,
        sampling_rate=16000,
        mel_scale="htk",
        internal="transformers.audio_utils.mel_filter_bank",
        used_by=used_by,
    )
    edges = mel_to_hz(np.linspace(hz_to_mel(20.0), hz_to_mel(8000.0), 42))
    freqs = np.linspace(0.0, 8000.0, 201)
    left, centre, right = edges[None, :-2], edges[None, 1:-1], edges[None, 2:]
    want = np.maximum(
        0.0, np.minimum((freqs[:, None] - left) / (centre - left), (right - freqs[:, None]) / (right - centre))
    )
    assert fb.shape == (201, 40)
    np.testing.assert_allclose(fb, want, rtol=0, atol=1e-12)
