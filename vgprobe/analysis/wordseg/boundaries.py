"""Word-boundary precision/recall/F1, over-segmentation and R-value (word-discovery reference).

Re-implements ``find_boundary_matches`` and the boundary part of ``comp_word_to_coderecall`` of
jasonppy/word-discovery (``unit_analysis.py``), to the bit:

- gold boundaries of an utterance: the sorted *set* of every word onset and offset (stop words
  included) without the smallest and the largest; a silence between two words therefore gives two
  boundaries, and a one-word utterance none;
- predicted boundaries: ``(start[j+1] + end[j]) / 2`` for consecutive segments (``n - 1`` values);
- matching: a two-pointer walk over both sorted lists; ``abs(g - p) <= tolerance`` in float64
  matches both (one-to-one), otherwise the pointer at the smaller value advances. A decimal 20 ms
  difference may fall either side of ``0.02`` in float64 (``|0.30 - 0.32| > 0.02``); that test
  is kept as is;
- corpus scores from summed counts: ``P = matches / n_pred``, ``R = matches / n_gold``,
  ``F1 = 2PR / (P + R)``, ``OS = R / P - 1``, ``R-value = 1 - (|r1| + |r2|) / 2`` with
  ``r1 = sqrt((1 - R)^2 + OS^2)`` and ``r2 = (-OS + R - 1) / sqrt(2)``.

Where the reference divides by zero (no predicted or gold boundary, or no match, so ``P = 0``), the
affected values are ``nan`` here and ``undefined`` names them.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from vgprobe.analysis.wordseg.alignments import Word


def gold_boundaries(words: Sequence[Word]) -> list[float]:
    """Interior gold boundaries: the distinct onsets/offsets minus the first and the last."""
    if not words:
        return []
    values = np.unique(np.array([[w.onset, w.offset] for w in words], dtype=np.float64))
    return [float(v) for v in values[1:-1]]


def predicted_boundaries(segments: Sequence[tuple[float, float]]) -> list[float]:
    """``(start[j+1] + end[j]) / 2`` between consecutive segments."""
    return [(nxt[0] + cur[1]) / 2 for cur, nxt in zip(segments[:-1], segments[1:])]


def count_matches(gold: Sequence[float], pred: Sequence[float], tolerance: float) -> int:
    """One-to-one matches of two sorted boundary lists by the reference's two-pointer walk."""
    i = j = matches = 0
    while i < len(gold) and j < len(pred):
        if abs(gold[i] - pred[j]) <= tolerance:
            matches += 1
            i += 1
            j += 1
        elif gold[i] > pred[j]:
            j += 1
        else:
            i += 1
    return matches


@dataclass(frozen=True)
class BoundaryCounts:
    """Summed boundary counts; ``match_gt == match_pred`` since matching is one-to-one."""

    matches: int = 0
    n_gt: int = 0
    n_pred: int = 0

    def __add__(self, other: BoundaryCounts) -> BoundaryCounts:
        return BoundaryCounts(self.matches + other.matches, self.n_gt + other.n_gt, self.n_pred + other.n_pred)


def utterance_counts(words: Sequence[Word], segments: Sequence[tuple[float, float]],
                     tolerance: float) -> tuple[BoundaryCounts, list[float], list[float]]:
    """Counts of one utterance, with its interior gold and its predicted boundaries."""
    g = gold_boundaries(words)
    p = predicted_boundaries(segments)
    return BoundaryCounts(count_matches(g, p, tolerance), len(g), len(p)), g, p


def over_segmentation_and_r_value(precision: float, recall: float) -> tuple[float, float]:
    """``OS = R/P - 1`` and the R-value (Räsänen et al. 2009) in the reference's operation order."""
    if not precision > 0:  # P = 0 or nan: undefined
        return float("nan"), float("nan")
    os_ = recall / precision - 1.0
    r1 = np.sqrt((1 - recall) ** 2 + os_ ** 2)
    r2 = (-os_ + recall - 1) / np.sqrt(2)
    return float(os_), float(1.0 - (np.abs(r1) + np.abs(r2)) / 2.0)


def boundary_scores(counts: BoundaryCounts, *, tolerance: float) -> dict:
    """The reference's boundary block: counts, precision, recall, f1, os, r_value.

    ``undefined`` lists the values that are ``nan`` because the reference would divide by zero.
    """
    nan = float("nan")
    p = counts.matches / counts.n_pred if counts.n_pred else nan
    r = counts.matches / counts.n_gt if counts.n_gt else nan
    f1 = 2 * p * r / (p + r) if p + r > 0 else nan
    os_, rval = over_segmentation_and_r_value(p, r)
    out = {"tolerance": tolerance, "match_gt": counts.matches, "match_pred": counts.matches,
           "n_gt": counts.n_gt, "n_pred": counts.n_pred, "precision": p, "recall": r, "f1": f1,
           "os": os_, "r_value": rval}
    out["undefined"] = [k for k in ("precision", "recall", "f1", "os", "r_value") if np.isnan(out[k])]
    return out
