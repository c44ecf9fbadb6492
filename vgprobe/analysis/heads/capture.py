"""Reading attention weights out of a stock model with forward hooks (torch and transformers unmodified).

Three ways, one per kind of module (:attr:`Site.how`):

- ``eager_output``: wav2vec2-style attention modules (FaST-VGS Trm1, wav2vec2, HuBERT, data2vec-audio) return
  their softmax weights as the second output on Hugging Face's eager attention path; the recorder switches
  the model's config to ``eager`` while it is active (SDPA returns no weights) and restores it after;
- ``dropout_input``: the BERT-style attention of Trm2, the image encoder and the cross encoder passes its
  softmax weights through its ``dropout`` module (the identity in eval mode); the hook reads that input;
- ``wavlm``: Hugging Face's WavLM attention returns head-averaged weights (it calls torch's
  ``multi_head_attention_forward`` with averaging on). The hook recomputes each head's weights from the
  module's own input, parameters and position bias (its third output): ``softmax(q k^T / sqrt(d) + gate *
  bias)``, as that module computes them. ``tests/test_heads_capture.py`` checks, for every kind, that the
  captured weights times the values, through the rest of the layer, give the stock layer output.

Example::

    sites = attention_sites(model, stacks=["trm1"])
    with record_attention(model, sites) as rec:
        model.audio_layers(wav[None], layers=["trm1.8"])
        maps = rec.take()          # {site: (B, H, Q, K) float32 tensor}
"""

from __future__ import annotations

import contextlib
import math
from typing import Iterator, Sequence

import torch

from vgprobe.analysis.heads.sites import Site, is_fastvgs, unwrap


class AttentionRecorder:
    """Collects, per hooked module, the weights of each call since the last :meth:`take`."""

    def __init__(self, sites: Sequence[Site]) -> None:
        self.sites = list(sites)
        self._calls: dict[int, list[torch.Tensor]] = {id(s.module): [] for s in self.sites}

    def _add(self, module: torch.nn.Module, weights: torch.Tensor) -> None:
        self._calls[id(module)].append(weights.detach())

    def take(self) -> dict[Site, torch.Tensor]:
        """``{site: (B, H, Q, K) weights}`` of the forward pass(es) run since the last call; then forgets them."""
        out = {}
        for s in self.sites:
            calls = self._calls[id(s.module)]
            if len(calls) <= s.call:
                raise RuntimeError(f"attention {s.name} did not run in this forward pass "
                                   f"({len(calls)} call(s) of its module recorded)")
            out[s] = calls[s.call]
        for calls in self._calls.values():
            calls.clear()
        return out


def _eager_hook(rec: AttentionRecorder):
    def hook(module, args, output):
        if not isinstance(output, tuple) or len(output) < 2 or output[1] is None:
            raise RuntimeError(f"{type(module).__name__} returned no attention weights on the eager path")
        rec._add(module, output[1])

    return hook


def _dropout_hook(rec: AttentionRecorder):
    def hook(module, args, output):
        rec._add(module, args[0])

    return hook


def wavlm_head_weights(module, hidden_states: torch.Tensor, attention_mask: torch.Tensor | None,
                       position_bias: torch.Tensor) -> torch.Tensor:
    """Per-head weights (B, H, T, T) of a Hugging Face ``WavLMAttention`` call on ``hidden_states`` (B, T, D),
    given the (B*H, T, T) relative position bias the call used (its third output)."""
    b, t, _ = hidden_states.shape
    h = module.num_heads
    grouped = hidden_states.view(b, t, h, -1).permute(0, 2, 1, 3)
    proj = module.gru_rel_pos_linear(grouped).view(*grouped.shape[:-1], 2, 4).sum(-1)
    gate_a, gate_b = torch.sigmoid(proj).chunk(2, dim=-1)
    gate = gate_a * (gate_b * module.gru_rel_pos_const - 1.0) + 2.0
    bias = (gate.reshape(b * h, -1, 1) * position_bias).view(b, h, t, t)
    q = module.q_proj(hidden_states).view(b, t, h, -1).transpose(1, 2)
    k = module.k_proj(hidden_states).view(b, t, h, -1).transpose(1, 2)
    scores = torch.matmul(q * (1.0 / math.sqrt(q.shape[-1])), k.transpose(-1, -2)) + bias
    if attention_mask is not None:
        scores = scores.masked_fill(attention_mask.ne(1)[:, None, None, :], float("-inf"))
    return torch.softmax(scores, dim=-1)


def _wavlm_hook(rec: AttentionRecorder):
    def hook(module, args, kwargs, output):
        hidden = args[0] if args else kwargs["hidden_states"]
        rec._add(module, wavlm_head_weights(module, hidden, kwargs.get("attention_mask"), output[2]))

    return hook


@contextlib.contextmanager
def _eager(model) -> Iterator[None]:
    """Hugging Face's eager attention path while active (FaST-VGS Trm1 or a Hugging Face model)."""
    if is_fastvgs(model):
        cfg = model.trm1.hf_config
        old = cfg._attn_implementation
        cfg._attn_implementation = "eager"
        try:
            yield
        finally:
            cfg._attn_implementation = old
        return
    old = model.config._attn_implementation
    if old != "eager":
        model.set_attn_implementation("eager")
    try:
        yield
    finally:
        if old != "eager":
            model.set_attn_implementation(old)


@contextlib.contextmanager
def record_attention(model_or_encoder, sites: Sequence[Site]) -> Iterator[AttentionRecorder]:
    """Hooks recording the weights of ``sites``; the model runs in eval mode meanwhile (restored after)."""
    model = unwrap(model_or_encoder)
    rec = AttentionRecorder(sites)
    handles = []
    was_training = model.training
    model.eval()
    try:
        with contextlib.ExitStack() as stack:
            if any(s.how == "eager_output" for s in sites):
                stack.enter_context(_eager(model))
            seen: set[int] = set()
            for s in sites:
                if id(s.module) in seen:
                    continue
                seen.add(id(s.module))
                if s.how == "eager_output":
                    handles.append(s.module.register_forward_hook(_eager_hook(rec)))
                elif s.how == "dropout_input":
                    handles.append(s.module.register_forward_hook(_dropout_hook(rec)))
                else:
                    handles.append(s.module.register_forward_hook(_wavlm_hook(rec), with_kwargs=True))
            yield rec
    finally:
        for hd in handles:
            hd.remove()
        model.train(was_training)
