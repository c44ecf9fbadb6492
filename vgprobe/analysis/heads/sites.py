"""Where the attention heads of a model are: one :class:`Site` per (stack, layer) attention.

FaST-VGS stacks (layers numbered from 1):

- ``trm1``: the wav2vec2 layers over Conv1 frames (20 ms), CLS first;
- ``trm2``: the BERT layer(s) over Conv2 frames (320 ms), CLS first;
- ``image``: the BERT layers over RoI regions, CLS first (regions have no order: no distances);
- ``cross.audio_to_image`` / ``cross.image_to_audio``: the cross encoder's cross-attention (ONE module,
  used in both directions: audio queries over image keys, then image queries over audio keys);
- ``cross.audio_self`` / ``cross.image_self``: the cross encoder's bare per-modality self-attention.

Hugging Face speech encoders (wav2vec2, HuBERT, WavLM, data2vec-audio) have one stack, ``encoder``, over
CNN frames, without CLS. ``cross`` selects the four cross sites at once.

Example::

    sites = attention_sites(model, stacks=["trm1", "trm2"])
    sites[0]   # Site(stack='trm1', layer=1, n_heads=12, ...)
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal, Sequence

from torch import nn

from vgprobe.errors import ConfigError

CROSS_STACKS = ("cross.audio_to_image", "cross.image_to_audio", "cross.audio_self", "cross.image_self")
FASTVGS_STACKS = ("trm1", "trm2", "image", *CROSS_STACKS)
HF_STACK = "encoder"
HF_SUPPORTED = ("wav2vec2", "hubert", "wavlm", "data2vec-audio")
SAMPLE_RATE = 16000
CONV2_POOLING = 16  # four stride-2 stages of centred convolutions: Conv2 frame j is centred on Trm1 frame 16 j

Capture = Literal["eager_output", "dropout_input", "wavlm"]
Tokens = Literal["frames", "regions"]


@dataclass(frozen=True)
class Site:
    """One multi-head attention of a model.

    ``queries``/``keys``: what the tokens are (``frames`` of audio, or image ``regions``); with ``has_cls``,
    token 0 of both sides is a CLS token. ``frame_shift`` and ``first_centre`` (seconds) place the audio
    frames of the site in time (frame j is centred at ``first_centre + j * frame_shift``); None when the
    site has no audio side. ``module`` is the hooked module, ``how`` the way its weights are read and
    ``call`` which of its calls in one forward pass belongs to this site (the cross-attention module
    serves two directions).
    """

    stack: str
    layer: int
    n_heads: int
    queries: Tokens
    keys: Tokens
    has_cls: bool
    frame_shift: float | None
    first_centre: float | None
    module: nn.Module = field(compare=False, repr=False)
    how: Capture = field(compare=False, repr=False)
    call: int = field(default=0, compare=False, repr=False)

    @property
    def name(self) -> str:
        return f"{self.stack}.{self.layer}"

    @property
    def self_attention(self) -> bool:
        return not self.stack.startswith("cross.") or self.stack.endswith("_self")


def is_fastvgs(model) -> bool:
    from vgprobe.fastvgs.model import FaSTVGS

    return isinstance(model, FaSTVGS)


def unwrap(model_or_encoder):
    """The torch model inside a :mod:`vgprobe.extract.encoders` encoder (or the model itself)."""
    inner = getattr(model_or_encoder, "model", model_or_encoder)  # encoders hold their torch model as .model
    if not isinstance(inner, nn.Module):
        raise ConfigError(f"{type(model_or_encoder).__name__} has no attention heads (the log-mel baseline?)")
    return inner


def hf_model_type(model) -> str:
    mt = getattr(getattr(model, "config", None), "model_type", None)
    if mt not in HF_SUPPORTED:
        raise ConfigError(
            f"attention heads of {type(model).__name__} (model_type {mt!r}) are not supported; "
            f"supported: FaST-VGS and Hugging Face {', '.join(HF_SUPPORTED)}"
        )
    return mt


def default_stacks(model) -> tuple[str, ...]:
    return ("trm1", "trm2") if is_fastvgs(model) else (HF_STACK,)


def expand_stacks(model, stacks: Sequence[str] | None) -> tuple[str, ...]:
    """Check stack names against the model; ``cross`` expands to the four cross sites."""
    if stacks is None:
        return default_stacks(model)
    known = FASTVGS_STACKS if is_fastvgs(model) else (HF_STACK,)
    out: list[str] = []
    for s in stacks:
        names = CROSS_STACKS if (s == "cross" and is_fastvgs(model)) else (s,)
        for n in names:
            if n not in known:
                raise ConfigError(f"unknown attention stack {s!r} for this model; choose from {['cross', *known]}"
                                  if is_fastvgs(model) else
                                  f"unknown attention stack {s!r}; a Hugging Face encoder has one: {HF_STACK!r}")
            if n not in out:
                out.append(n)
    if not out:
        raise ConfigError("no attention stack selected")
    return tuple(out)


def attention_sites(model_or_encoder, *, stacks: Sequence[str] | None = None) -> list[Site]:
    """Every attention of the selected stacks, in stack then layer order."""
    model = unwrap(model_or_encoder)
    stacks = expand_stacks(model, stacks)
    if not is_fastvgs(model):
        return _hf_sites(model)
    return [s for stack in stacks for s in _fastvgs_sites(model, stack)]


def _fastvgs_sites(model, stack: str) -> list[Site]:
    cfg = model.cfg
    shift1 = cfg.cnn_stride / SAMPLE_RATE
    centre1 = cfg.cnn_receptive_field / 2 / SAMPLE_RATE
    shift2 = shift1 * CONV2_POOLING
    bh = cfg.bert_heads
    if stack == "trm1":
        return [Site("trm1", k, cfg.trm1_heads, "frames", "frames", True, shift1, centre1, layer.attention,
                     "eager_output") for k, layer in enumerate(model.trm1.encoder.layers, start=1)]
    if stack == "trm2":
        return [Site("trm2", k, bh, "frames", "frames", True, shift2, centre1, layer.attention.self.dropout,
                     "dropout_input") for k, layer in enumerate(model.trm2, start=1)]
    if stack == "image":
        return [Site("image", k, bh, "regions", "regions", True, None, None, layer.attention.self.dropout,
                     "dropout_input") for k, layer in enumerate(model.image_trm, start=1)]
    out = []
    for k, layer in enumerate(model.cross.xtrm, start=1):
        if stack == "cross.audio_to_image":
            out.append(Site(stack, k, bh, "frames", "regions", True, shift2, centre1,
                            layer.visual_attention.att.dropout, "dropout_input", call=0))
        elif stack == "cross.image_to_audio":
            out.append(Site(stack, k, bh, "regions", "frames", True, shift2, centre1,
                            layer.visual_attention.att.dropout, "dropout_input", call=1))
        elif stack == "cross.audio_self":
            out.append(Site(stack, k, bh, "frames", "frames", True, shift2, centre1, layer.audio_self_att.dropout,
                            "dropout_input"))
        elif stack == "cross.image_self":
            out.append(Site(stack, k, bh, "regions", "regions", True, None, None, layer.visn_self_att.dropout,
                            "dropout_input"))
    return out


def _hf_sites(model) -> list[Site]:
    mt = hf_model_type(model)
    c = model.config
    stride = 1
    rf, jump = 1, 1
    for k, s in zip(c.conv_kernel, c.conv_stride):
        rf += (k - 1) * jump
        jump *= s
        stride *= s
    how: Capture = "wavlm" if mt == "wavlm" else "eager_output"
    return [Site(HF_STACK, k, c.num_attention_heads, "frames", "frames", False, stride / SAMPLE_RATE,
                 rf / 2 / SAMPLE_RATE, layer.attention, how) for k, layer in enumerate(model.encoder.layers, start=1)]
