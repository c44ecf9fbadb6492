"""Cross-encoder scores of many (caption, image) pairs without the work that does not depend on the pair.

The authors score the B × B pairs of a training batch by tiling: every caption sequence is repeated B times,
every image sequence B times, and the whole cross encoder runs on the B² copies. Two parts of that work are
the same for many pairs:

1. the first layer's cross-attention projections: queries, keys and values of the audio depend on the caption
   only, those of the image on the image only. :class:`PairScorer` computes them once per image and once per
   distinct caption in each chunk of pairs, and gathers them per pair;
2. the score reads only the two CLS tokens of the last layer, so that layer's self-attention queries and its
   feed-forward blocks run on token 0 only (its keys and values still cover every token).

Every pair gets the same arithmetic as in the tiled pass (float32 rounding aside); with 2 cross layers,
T_a audio and T_v image tokens, width d and feed-forward 4d, the matrix products per pair fall from
≈ 30·(T_a + T_v)·d² to ≈ 18·(T_a + T_v)·d² multiply-adds, and fewer activations are kept for the backward
pass. Dropout, when on, acts on per-pair tensors in both computations (the random draws differ).
``benchmarks/fine_loss_speed.py`` measures it against the tiled pass.

Example::

    scorer = PairScorer(model.cross, audio.seq, audio.additive_mask, image.seq)
    s = scorer(torch.tensor([0, 0, 1]), torch.tensor([0, 1, 1]))     # (3,) scores
    all_pairs = scorer.all_pairs(torch.arange(len(audio)))           # (n_audio, n_image)
"""

from __future__ import annotations

import math

import torch
import torch.utils.checkpoint
from transformers.models.lxmert.modeling_lxmert import LxmertAttention

from vgprobe.errors import InputError


def attend(
    att: LxmertAttention, q: torch.Tensor, k: torch.Tensor, v: torch.Tensor, mask: torch.Tensor | None
) -> torch.Tensor:
    """Multi-head attention from projected queries (P, Tq, D), keys and values (P, Tk, D) and an additive
    (P, 1, 1, Tk) key mask, as ``LxmertAttention`` computes it after its projections -> (P, Tq, D)."""
    h, dh = att.num_attention_heads, att.attention_head_size

    def heads(x: torch.Tensor) -> torch.Tensor:
        return x.view(*x.shape[:-1], h, dh).transpose(1, 2)

    scores = torch.matmul(heads(q), heads(k).transpose(-1, -2)) / math.sqrt(dh)
    if mask is not None:
        scores = scores + mask
    probs = att.dropout(torch.softmax(scores, dim=-1))
    ctx = torch.matmul(probs, heads(v)).permute(0, 2, 1, 3).contiguous()
    return ctx.view(*ctx.shape[:-2], h * dh)


class PairScorer:
    """Scores pairs of ``audio`` (n_audio, 1+Ta, D) with additive key mask ``audio_mask`` (n_audio, 1, 1, 1+Ta)
    and ``visual`` (n_image, 1+Tv, D) through ``cross`` (a :class:`~vgprobe.fastvgs.bert.CrossEncoder`).

    The images' first-layer projections are computed here, once; each call then scores a list of pairs. Gradients
    flow to ``audio`` and ``visual`` when they require them (training)."""

    def __init__(self, cross, audio: torch.Tensor, audio_mask: torch.Tensor | None, visual: torch.Tensor) -> None:
        if audio.ndim != 3 or visual.ndim != 3 or audio.shape[-1] != visual.shape[-1]:
            raise InputError(f"audio (n, Ta, D) and visual (m, Tv, D) expected, got {tuple(audio.shape)} "
                             f"and {tuple(visual.shape)}")
        self.cross, self.audio, self.audio_mask, self.visual = cross, audio, audio_mask, visual
        att = cross.xtrm[0].visual_attention.att
        # the images (the database side) once, here; the captions per chunk, once per distinct caption in it,
        # so a large caption set (SpokenCOCO test: 25k) is never held three more times in memory
        self.visual_qkv = (att.query(visual), att.key(visual), att.value(visual))

    def __call__(
        self,
        audio_index: torch.Tensor,
        image_index: torch.Tensor,
        *,
        pairs_per_chunk: int | None = None,
        checkpoint: bool = False,
    ) -> torch.Tensor:
        """Scores of the pairs (audio_index[p], image_index[p]) -> (P,), in calls of at most
        ``pairs_per_chunk`` pairs (None: one call).

        ``checkpoint`` (training): keep no activations of a chunk for the backward pass but recompute them
        there (``torch.utils.checkpoint``): memory of one chunk instead of all pairs, for about one more
        forward pass of compute. It lets B × B passes run that would not fit otherwise (B = 64 at full width
        on a 24 GB CPU machine); the scores and gradients are the same."""
        if audio_index.shape != image_index.shape or audio_index.ndim != 1:
            raise InputError(f"audio_index and image_index must be 1-D of one length, got "
                             f"{tuple(audio_index.shape)} and {tuple(image_index.shape)}")
        step = max(1, pairs_per_chunk or len(audio_index))
        score = self._score
        if checkpoint and torch.is_grad_enabled():
            def score(ai: torch.Tensor, vi: torch.Tensor) -> torch.Tensor:
                return torch.utils.checkpoint.checkpoint(self._score, ai, vi, use_reentrant=False)
        parts = [score(audio_index[s : s + step], image_index[s : s + step])
                 for s in range(0, len(audio_index), step)]
        return torch.cat(parts) if parts else self.audio.new_zeros(0)

    def all_pairs(
        self, rows: torch.Tensor | None = None, *, pairs_per_chunk: int | None = None, checkpoint: bool = False
    ) -> torch.Tensor:
        """(len(rows), n_image) scores of the captions ``rows`` (default: all) against every image."""
        device = self.audio.device
        rows = torch.arange(len(self.audio), device=device) if rows is None else rows.to(device)
        n_image = len(self.visual)
        ai = rows.repeat_interleave(n_image)
        vi = torch.arange(n_image, device=device).repeat(len(rows))
        return self(ai, vi, pairs_per_chunk=pairs_per_chunk, checkpoint=checkpoint).view(len(rows), n_image)

    def _score(self, audio_index: torch.Tensor, image_index: torch.Tensor) -> torch.Tensor:
        layers = self.cross.xtrm
        first = layers[0].visual_attention
        mask = None if self.audio_mask is None else self.audio_mask[audio_index]
        distinct, where = torch.unique(audio_index, return_inverse=True)
        captions = self.audio[distinct]
        qa, ka, va = (proj(captions)[where] for proj in (first.att.query, first.att.key, first.att.value))
        qv, kv, vv = (x[image_index] for x in self.visual_qkv)
        a = first.output(attend(first.att, qa, kv, vv, None), self.audio[audio_index])
        v = first.output(attend(first.att, qv, ka, va, mask), self.visual[image_index])
        for i, layer in enumerate(layers):
            if i > 0:
                a, v = layer.cross_attend(a, mask, v)
            a, v = layer.self_and_ffn(a, v, mask, cls_only=i == len(layers) - 1)
        return self.cross.fc(torch.cat([a[:, 0], v[:, 0]], dim=-1)).squeeze(-1)
