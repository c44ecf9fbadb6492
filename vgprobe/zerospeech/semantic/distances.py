"""Distances between word pairs from pooled token vectors, vectorised, with the official arithmetic.

A word pair is two sets of token rows (``left``, ``right``) into the pooled matrix:

- librispeech: the mean of ``cdist(left, right)`` over all token pairs (``mask`` None),
  summed as numpy sums a contiguous (n1, n2) matrix;
- synthetic: only the same-voice token pairs count (``mask`` (n1, n2) True where the
  voices match), summed one after the other in row-major order, then divided by their number.

Pairs that share the same left tokens are computed with one ``cdist`` call. scipy computes
each element of ``cdist`` independently of the others, so the distances are bit-identical to
the official one-call-per-pair loop. Metrics whose parameters scipy estimates from the inputs
(``seuclidean``, ``mahalanobis``) depend on which vectors are in the call, so they are
computed one call per pair (librispeech) or per token pair (synthetic), as the official code does.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Sequence

import numpy as np
from scipy.spatial.distance import cdist

from vgprobe.errors import ConfigError

DATA_DEPENDENT_METRICS: frozenset[str] = frozenset({"seuclidean", "mahalanobis"})


@dataclass(frozen=True)
class PairTokens:
    """Token rows of the two words of one pair; ``mask`` selects the token pairs that count."""

    left: np.ndarray  # (n1,) int rows into the pooled matrix
    right: np.ndarray  # (n2,) int rows
    mask: np.ndarray | None = None  # (n1, n2) bool, or None for all token pairs


def check_metric(metric: str) -> str:
    """Raise ConfigError unless ``scipy.spatial.distance.cdist`` accepts ``metric``."""
    probe = np.array([[0.1, 0.9], [0.7, 0.2], [0.4, 0.5]])
    try:
        cdist(probe, probe[::-1], metric=metric)
    except (ValueError, TypeError) as exc:
        raise ConfigError(f"unknown distance metric {metric!r} for scipy.spatial.distance.cdist ({exc})") from None
    return metric


def pair_distances(pooled: np.ndarray, pairs: Sequence[PairTokens], *, metric: str) -> np.ndarray:
    """(N, D) pooled vectors and P pairs -> (P,) float64 mean distances.

    >>> pooled = np.array([[1.0, 0.0], [0.0, 1.0], [1.0, 1.0]])
    >>> pair_distances(pooled, [PairTokens(np.array([0]), np.array([1, 2]))], metric="euclidean")
    array([1.20710678])
    """
    out = np.empty(len(pairs), dtype=np.float64)
    if metric in DATA_DEPENDENT_METRICS:
        for k, pair in enumerate(pairs):
            out[k] = _one_pair_per_call(pooled, pair, metric)
        return out
    groups: dict[bytes, list[int]] = {}
    for k, pair in enumerate(pairs):
        groups.setdefault(np.asarray(pair.left, dtype=np.int64).tobytes(), []).append(k)
    for members in groups.values():
        left = pairs[members[0]].left
        rights = [pairs[k].right for k in members]
        block = cdist(pooled[left], pooled[np.concatenate(rights)], metric=metric)  # (n1, sum n2)
        start = 0
        for k, right in zip(members, rights):
            out[k] = _reduce(block[:, start : start + len(right)], pairs[k].mask)
            start += len(right)
    return out


def _reduce(block: np.ndarray, mask: np.ndarray | None) -> float:
    if mask is None:
        return float(np.ascontiguousarray(block).mean())
    values = block[mask]  # row-major: each left token, then its same-voice right tokens
    return float(np.cumsum(values)[-1] / len(values))


def _one_pair_per_call(pooled: np.ndarray, pair: PairTokens, metric: str) -> float:
    if pair.mask is None:
        return float(cdist(pooled[pair.left], pooled[pair.right], metric=metric).mean())
    total = 0.0
    rows, cols = np.nonzero(pair.mask)
    for a, b in zip(rows, cols):
        total += cdist(pooled[pair.left[a]][None], pooled[pair.right[b]][None], metric=metric)[0, 0]
    return total / len(rows)
