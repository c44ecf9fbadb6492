"""From cell errors to one score.

Within speaker, cells are keyed (speaker, a, b, context); across speaker
(speaker, a, b, context, X speaker). Both collapse the same way: the mean over everything
below (speaker, a, b) — contexts, or contexts and X speakers together — then the mean over
speakers for each ordered pair (a, b), then the mean over pairs. Arithmetic in float64.
"""

from __future__ import annotations

import numpy as np


def _group_mean(keys: np.ndarray, values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Mean of ``values`` per unique row of ``keys`` (n, k) -> (unique keys, means)."""
    uniq, inverse = np.unique(keys, axis=0, return_inverse=True)
    inverse = inverse.reshape(-1)
    sums = np.bincount(inverse, weights=values, minlength=len(uniq))
    counts = np.bincount(inverse, minlength=len(uniq))
    return uniq, sums / counts


def collapse(*, speaker: np.ndarray, phone_a: np.ndarray, phone_b: np.ndarray, error: np.ndarray) -> float:
    """The ABX error rate (a fraction) from per-cell errors, all arrays of shape (n_cells,).

    >>> collapse(speaker=np.array([0, 0, 1]), phone_a=np.array([0, 0, 0]),
    ...          phone_b=np.array([1, 1, 1]), error=np.array([0.0, 0.5, 1.0]))
    0.625
    """
    if len(error) == 0:
        raise ValueError("no cells to collapse")
    sab, by_speaker = _group_mean(np.stack([speaker, phone_a, phone_b], axis=1), error.astype(np.float64))
    _, by_pair = _group_mean(sab[:, 1:], by_speaker)
    return float(by_pair.mean())
