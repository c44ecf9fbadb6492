"""The arithmetic shared by the lexical and syntactic scorers, as the official scorers do it.

A comparison between the score of the right item (a word, a grammatical sentence) and
the score of the wrong one counts 1 when the right one scores higher, 0.5 on a tie and
0 otherwise. Group summaries are the pandas ``count``, ``mean`` and ``std`` (sample
standard deviation, ``ddof=1``; undefined below two values) of the pair scores.
"""

from __future__ import annotations

import math
from typing import Sequence

import numpy as np


def comparison(right: float, wrong: float) -> float:
    """1.0 if ``right > wrong``, 0.5 if equal, else 0.0.

    >>> comparison(-3.0, -5.0), comparison(-5.0, -5.0), comparison(-7.0, -5.0)
    (1.0, 0.5, 0.0)
    """
    return 0.5 * (right == wrong) + (right > wrong)


def summary(values: Sequence[float]) -> tuple[int, float, float]:
    """``(n, mean, std)`` of ``values``; mean is NaN when empty, std NaN below two values."""
    x = np.asarray(values, dtype=np.float64)
    if len(x) == 0:
        return 0, math.nan, math.nan
    return len(x), float(x.mean()), float(x.std(ddof=1)) if len(x) > 1 else math.nan
