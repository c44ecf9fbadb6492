"""A 95 % confidence interval for an ABX score, by bootstrap over speakers.

The ABX score (:mod:`.collapse`) averages cell errors over contexts (and X speakers), then
over speakers, then over phone pairs. Speakers are the sampled units of a corpus, so the
interval resamples them: draw as many speakers as there are, with replacement, keep every
cell of each drawn speaker (a speaker drawn twice counts twice in the speaker mean), and
collapse again; a phone pair that none of the drawn speakers has drops out of that
replicate. The speaker of a cell is the speaker of A and B; in across-speaker cells the X
speaker is not resampled. The interval is the 2.5th and 97.5th percentile of the
replicates (``scipy.stats.bootstrap``, ``method="percentile"``, ``BOOTSTRAP_RESAMPLES``
replicates from ``numpy.random.default_rng(seed)``). With fewer than two speakers there is
nothing to resample and both bounds are NaN.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

BOOTSTRAP_RESAMPLES = 1000
BOOTSTRAP_SEED = 0
LEVEL = 0.95


@dataclass(frozen=True)
class ScoreInterval:
    """An ABX score (fraction) with its bootstrap interval and what it was computed from."""

    score: float
    ci_low: float
    ci_high: float
    n_cells: int
    n_triplets: int
    n_speakers: int


def speaker_pair_table(
    *, speaker: np.ndarray, phone_a: np.ndarray, phone_b: np.ndarray, error: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """The first collapse step as a table: (means, present), both (n_speakers, n_pairs).

    ``means[s, p]`` is the mean error of speaker s's cells of ordered phone pair p (over
    contexts and X speakers), 0 where ``present[s, p]`` is False.

    >>> m, ok = speaker_pair_table(speaker=np.array([0, 0, 1]), phone_a=np.array([0, 0, 0]),
    ...                            phone_b=np.array([1, 1, 1]), error=np.array([0.0, 0.5, 1.0]))
    >>> m.tolist(), ok.tolist()
    ([[0.25], [1.0]], [[True], [True]])
    """
    _, s_idx = np.unique(speaker, return_inverse=True)
    _, p_idx = np.unique(np.stack([phone_a, phone_b], axis=1), axis=0, return_inverse=True)
    s_idx, p_idx = s_idx.reshape(-1), p_idx.reshape(-1)
    shape = (int(s_idx.max()) + 1, int(p_idx.max()) + 1)
    sums = np.zeros(shape)
    counts = np.zeros(shape)
    np.add.at(sums, (s_idx, p_idx), error.astype(np.float64))
    np.add.at(counts, (s_idx, p_idx), 1)
    present = counts > 0
    means = np.divide(sums, counts, out=np.zeros(shape), where=present)
    return means, present


def collapse_weighted(means: np.ndarray, present: np.ndarray, weights: np.ndarray) -> np.ndarray:
    """The score for speaker weights (..., n_speakers) (how often each speaker was drawn).

    With every weight 1 this is the collapse of :mod:`.collapse`.
    """
    num = weights @ means  # (..., n_pairs)
    den = weights @ present.astype(np.float64)
    kept = den > 0
    per_pair = np.divide(num, den, out=np.zeros_like(num), where=kept)
    return per_pair.sum(axis=-1) / kept.sum(axis=-1)


def bootstrap_interval(
    *,
    speaker: np.ndarray,
    phone_a: np.ndarray,
    phone_b: np.ndarray,
    error: np.ndarray,
    n_triplets: np.ndarray,
    resamples: int = BOOTSTRAP_RESAMPLES,
    seed: int = BOOTSTRAP_SEED,
) -> ScoreInterval:
    """The collapsed score of per-cell errors (arrays of shape (n_cells,)) with its 95 % interval."""
    from scipy.stats import bootstrap

    if len(error) == 0:
        raise ValueError("no cells to score")
    means, present = speaker_pair_table(speaker=speaker, phone_a=phone_a, phone_b=phone_b, error=error)
    n_speakers = means.shape[0]
    score = float(collapse_weighted(means, present, np.ones(n_speakers)))
    low = high = float("nan")
    if n_speakers >= 2:

        def statistic(drawn: np.ndarray, axis: int = -1) -> np.ndarray:
            # drawn: (..., n_speakers) speaker indices of each replicate -> how often each was drawn
            drawn = np.moveaxis(drawn, axis, -1).astype(np.int64)
            flat = drawn.reshape(-1, drawn.shape[-1])
            weights = np.zeros((flat.shape[0], n_speakers))
            np.add.at(weights, (np.repeat(np.arange(flat.shape[0]), flat.shape[1]), flat.ravel()), 1)
            return collapse_weighted(means, present, weights).reshape(drawn.shape[:-1])

        res = bootstrap((np.arange(n_speakers),), statistic, n_resamples=resamples, confidence_level=LEVEL,
                        method="percentile", vectorized=True, random_state=np.random.default_rng(seed))
        low, high = float(res.confidence_interval.low), float(res.confidence_interval.high)
    return ScoreInterval(score=score, ci_low=low, ci_high=high, n_cells=len(error),
                         n_triplets=int(np.asarray(n_triplets).sum()), n_speakers=n_speakers)
