"""Switching attention heads off at inference, with hooks (the model's code is not changed).

A head is ablated by zeroing its slice of the attention's concatenated context vector (the input of the
output projection), so the head adds nothing but the projection's bias share to the residual stream:

- ``trm1`` (and Hugging Face ``encoder``: wav2vec2, HuBERT, data2vec-audio): forward pre-hook on
  ``attention.out_proj``;
- ``trm2``, ``image``: forward pre-hook on ``attention.output.dense``;
- ``cross``: forward pre-hook on the cross-attention's ``output.dense``; the module serves both directions,
  so a head is switched off in both;
- ``cross.audio_self``, ``cross.image_self``: the bare self-attention has no output projection; a forward
  hook zeroes the head's slice of its output.

Layers below an ablated one are untouched: hooks act only on the named layers.

Example::

    with ablate(model, [("trm1", 3, 0), ("trm1", 3, 2)]):
        out = model.audio_layers(wav, layers=["trm1.6"])
    with head_mask(model, {("trm1", 3): keep}):      # keep (B, H): a different set of heads per batch row
        ...
"""

from __future__ import annotations

import contextlib
from typing import Iterable, Iterator, Mapping

import torch
from torch import nn

from vgprobe.analysis.heads.sites import HF_STACK, hf_model_type, is_fastvgs, unwrap
from vgprobe.errors import ConfigError

HeadRef = tuple[str, int, int]  # (stack, layer from 1, head from 0)
MASKABLE_FASTVGS = ("trm1", "trm2", "image", "cross", "cross.audio_self", "cross.image_self")


def mask_target(model, stack: str, layer: int) -> tuple[nn.Module, bool, int]:
    """(module, is_pre_hook, n_heads) where the heads of (stack, layer) are masked."""
    model = unwrap(model)
    if is_fastvgs(model):
        cfg = model.cfg
        layers = {"trm1": model.trm1.encoder.layers, "trm2": model.trm2, "image": model.image_trm,
                  "cross": model.cross.xtrm, "cross.audio_self": model.cross.xtrm,
                  "cross.image_self": model.cross.xtrm}.get(stack)
        if layers is None:
            raise ConfigError(f"heads of stack {stack!r} cannot be ablated; choose from {list(MASKABLE_FASTVGS)}")
        if not 1 <= layer <= len(layers):
            raise ConfigError(f"{stack} has layers 1..{len(layers)}, got layer {layer}")
        lay = layers[layer - 1]
        if stack == "trm1":
            return lay.attention.out_proj, True, cfg.trm1_heads
        if stack in ("trm2", "image"):
            return lay.attention.output.dense, True, cfg.bert_heads
        if stack == "cross":
            return lay.visual_attention.output.dense, True, cfg.bert_heads
        return (lay.audio_self_att if stack == "cross.audio_self" else lay.visn_self_att), False, cfg.bert_heads
    mt = hf_model_type(model)
    if stack != HF_STACK:
        raise ConfigError(f"a Hugging Face encoder has one stack, {HF_STACK!r}; got {stack!r}")
    if mt == "wavlm":
        raise ConfigError("WavLM heads cannot be masked by a hook: its attention applies the output projection "
                          "inside torch's multi_head_attention_forward")
    layers = model.encoder.layers
    if not 1 <= layer <= len(layers):
        raise ConfigError(f"{stack} has layers 1..{len(layers)}, got layer {layer}")
    return layers[layer - 1].attention.out_proj, True, model.config.num_attention_heads


def _apply(x: torch.Tensor, keep: torch.Tensor, n_heads: int) -> torch.Tensor:
    """x (..., H*d) with keep (H,) or (B, H) for x (B, T, H*d) -> the heads' slices multiplied by keep."""
    k = keep.to(x.dtype)
    k = k[:, None, :, None] if k.ndim == 2 else k[:, None]
    return (x.unflatten(-1, (n_heads, -1)) * k).flatten(-2)


@contextlib.contextmanager
def head_mask(model, masks: Mapping[tuple[str, int], torch.Tensor]) -> Iterator[None]:
    """Multiply each head's context by a keep factor while active.

    ``masks[(stack, layer)]``: (H,) for every batch row, or (B, H) per row of a (B, T, D) batch; 1 keeps a
    head exactly (multiplication by one), 0 ablates it. Layers not named get no hook.
    """
    handles = []
    try:
        for (stack, layer), keep in masks.items():
            module, pre, n_heads = mask_target(model, stack, layer)
            if keep.shape[-1] != n_heads or keep.ndim not in (1, 2):
                raise ConfigError(f"{stack}.{layer}: mask must be (H,) or (B, H) with H = {n_heads}, "
                                  f"got {tuple(keep.shape)}")
            if pre:
                handles.append(module.register_forward_pre_hook(
                    lambda mod, args, keep=keep, h=n_heads: (_apply(args[0], keep, h), *args[1:])))
            else:
                handles.append(module.register_forward_hook(
                    lambda mod, args, out, keep=keep, h=n_heads: (_apply(out[0], keep, h), *out[1:])))
        yield
    finally:
        for hd in handles:
            hd.remove()


def keep_vectors(model, heads: Iterable[HeadRef]) -> dict[tuple[str, int], torch.Tensor]:
    """``{(stack, layer): (H,) keep factors}`` with 0 at the given heads."""
    masks: dict[tuple[str, int], torch.Tensor] = {}
    for stack, layer, head in heads:
        _, _, n_heads = mask_target(model, stack, layer)
        if not 0 <= head < n_heads:
            raise ConfigError(f"{stack}.{layer} has heads 0..{n_heads - 1}, got head {head}")
        masks.setdefault((stack, layer), torch.ones(n_heads))[head] = 0.0
    return masks


def ablate(model, heads: Iterable[HeadRef]) -> contextlib.AbstractContextManager[None]:
    """Context manager: the listed heads (stack, layer, head) are switched off; an empty list changes nothing."""
    device = next(unwrap(model).parameters()).device
    return head_mask(model, {k: v.to(device) for k, v in keep_vectors(model, heads).items()})
