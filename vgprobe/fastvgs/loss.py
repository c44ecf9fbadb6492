"""The FaST-VGS training objective: the masked margin softmax loss, coarse and fine, as the authors' training computes it.

For a batch of B (caption, image) pairs with a score matrix S, ``S[i, j]`` = score(caption i, image j),
and ``same[i, j]`` = "caption i and caption j describe the same image":

    S'_ij = S_ij - δ·[i = j]                                      (margin on the positives)
    N_i   = {j : j = i or not same[i, j]}                          (other captions of image i masked)
    L_c2i = -1/B Σ_i log( exp(S'_ii) / Σ_{j ∈ N_i} exp(S'_ij) )    (caption -> image, rows)
    L_i2c = -1/B Σ_i log( exp(S'_ii) / Σ_{j ∈ N_i} exp(S'_ji) )    (image -> caption, columns)
    L     = L_c2i + L_i2c

The authors (``Margin_InfoNCE_loss``) add -10000 to the masked entries; here they are excluded
exactly (−inf), which is the same number whenever |S| is far below 10000. The training loss is
``λc · L(coarse) + λf · L(fine)`` with the fine scores of all B × B pairs.

Example::

    s = torch.randn(4, 4)                       # (B, B) caption x image scores
    ids = ["a", "a", "b", "c"]                  # image of each pair
    loss = margin_softmax_loss(s, margin=1.0, image_ids=ids)   # scalar
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import torch
import torch.nn.functional as F

from vgprobe.errors import InputError


def same_image_matrix(image_ids: Sequence | torch.Tensor, *, device: torch.device | None = None) -> torch.Tensor:
    """(B, B) bool: ``out[i, j]`` is True when pairs i and j share their image (diagonal included).

    ``image_ids`` is a sequence of hashable ids (strings, ints) or a 1-D integer tensor.
    """
    if isinstance(image_ids, torch.Tensor):
        if image_ids.ndim != 1:
            raise InputError(f"image_ids must be 1-D, got shape {tuple(image_ids.shape)}")
        codes = image_ids.to(device)
    else:
        index: dict = {}
        codes = torch.tensor([index.setdefault(x, len(index)) for x in image_ids], dtype=torch.long, device=device)
    return codes[:, None] == codes[None, :]


def margin_softmax_loss(
    scores: torch.Tensor,
    *,
    margin: float,
    image_ids: Sequence | torch.Tensor | None = None,
) -> torch.Tensor:
    """The masked margin softmax loss of a (B, B) caption × image score matrix (pair i = row i, column i).

    ``image_ids`` (length B) masks the other captions of the same image out of the negatives in both
    directions; ``None`` masks nothing. Returns a scalar: the sum of the two directional means.
    """
    if scores.ndim != 2 or scores.shape[0] != scores.shape[1]:
        raise InputError(f"scores must be a square (B, B) matrix, got shape {tuple(scores.shape)}")
    b = scores.shape[0]
    if b == 0:
        raise InputError("scores is empty (B = 0)")
    eye = torch.eye(b, dtype=torch.bool, device=scores.device)
    s = scores - margin * eye.to(scores.dtype)
    if image_ids is not None:
        if len(image_ids) != b:
            raise InputError(f"image_ids has {len(image_ids)} entries for a batch of {b}")
        masked = same_image_matrix(image_ids, device=scores.device) & ~eye
        s = s.masked_fill(masked, float("-inf"))
    target = torch.arange(b, device=scores.device)
    return F.cross_entropy(s, target) + F.cross_entropy(s.T, target)


@dataclass(frozen=True)
class LossWeights:
    """λc, λf and the margin δ (the paper: 0.1, 1.0, 1.0)."""

    coarse: float
    fine: float
    margin: float


def fastvgs_loss(
    coarse: torch.Tensor,
    fine: torch.Tensor | None,
    *,
    image_ids: Sequence | torch.Tensor,
    weights: LossWeights,
) -> dict[str, torch.Tensor]:
    """``{"coarse", "fine", "loss"}`` for (B, B) coarse and fine caption × image score matrices;
    ``loss = λc · coarse + λf · fine``. A weight of 0 skips that term (its entry is then 0; ``fine`` may
    then be None, so the B × B cross-encoder pass can be skipped)."""
    if weights.fine and fine is None:
        raise InputError("fine scores are needed when the fine weight is not 0")
    zero = coarse.new_zeros(())
    lc = margin_softmax_loss(coarse, margin=weights.margin, image_ids=image_ids) if weights.coarse else zero
    lf = margin_softmax_loss(fine, margin=weights.margin, image_ids=image_ids) if weights.fine else zero
    return {"coarse": lc, "fine": lf, "loss": weights.coarse * lc + weights.fine * lf}
