"""95 % confidence intervals for the sSIMI correlations, by bootstrap over word pairs.

For each (type, dataset) of ``n`` pairs, ``n_bootstrap`` resamples of ``n`` pairs drawn
with replacement; each resample's correlation is computed exactly as the score is
(``100 * spearman(-human, distance)``: average ranks, then Pearson's r of the ranks, as
``scipy.stats.spearmanr`` does). The interval is the 2.5th and 97.5th percentile of the
resampled correlations (the percentile method), ignoring resamples whose correlation is
undefined (all human scores or all distances equal).

The draws come from ``numpy.random.default_rng(seed)`` (default seed 0), taken dataset
after dataset in the sorted (type, dataset) order, so the intervals are reproducible.
The summary rows get intervals from the same resamples: per resample, the plain and the
pair-weighted mean of the type's dataset correlations.
"""

from __future__ import annotations

import math

import numpy as np
from scipy.stats import rankdata

DEFAULT_RESAMPLES = 1000
DEFAULT_SEED = 0
CHUNK = 256  # resamples ranked at once (bounds memory to CHUNK x n values)


def resampled_correlations(x: np.ndarray, y: np.ndarray, *, n_bootstrap: int, rng: np.random.Generator) -> np.ndarray:
    """(n,) and (n,) -> (n_bootstrap,) values of ``100 * spearman(x[idx], y[idx])``, NaN where undefined.

    >>> r = resampled_correlations(np.arange(5.0), np.arange(5.0), n_bootstrap=3, rng=np.random.default_rng(0))
    >>> r.shape
    (3,)
    """
    n = len(x)
    out = np.empty(n_bootstrap, dtype=np.float64)
    for start in range(0, n_bootstrap, CHUNK):
        stop = min(start + CHUNK, n_bootstrap)
        idx = rng.integers(0, n, size=(stop - start, n))
        rx = rankdata(x[idx], axis=1)
        ry = rankdata(y[idx], axis=1)
        rx -= rx.mean(axis=1, keepdims=True)
        ry -= ry.mean(axis=1, keepdims=True)
        den = np.sqrt((rx * rx).sum(axis=1) * (ry * ry).sum(axis=1))
        with np.errstate(invalid="ignore", divide="ignore"):
            out[start:stop] = np.where(den > 0, 100 * (rx * ry).sum(axis=1) / den, np.nan)
    return out


def interval(replicates: np.ndarray) -> tuple[float, float]:
    """The 2.5th and 97.5th percentiles of the defined replicates; (NaN, NaN) if none is defined."""
    finite = replicates[~np.isnan(replicates)]
    if len(finite) == 0:
        return math.nan, math.nan
    low, high = np.percentile(finite, [2.5, 97.5])
    return float(low), float(high)
