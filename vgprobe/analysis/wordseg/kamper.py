"""Kamper-style frame-level word-boundary and word-token scores (``buckeye_eval.py``).

Re-implements ``intervals_to_boundaries``, ``score_boundaries``, ``score_word_token_boundaries``,
``get_os`` and ``get_rvalue`` of the evaluation script that jasonppy/word-discovery ships (by
H. Kamper, as in vqwordseg), on integer frame intervals ``[(start, end), ...]``:

- an interval list becomes a boolean vector of length ``last end``, True at ``end - 1`` of each
  interval;
- boundaries: if both vectors have the same length the reference's last element is dropped; the
  prediction's last element is always dropped; a longer reference is truncated to the
  prediction's length. Each predicted boundary, in order, takes the *first* remaining reference
  boundary within ``tolerance`` frames;
- word tokens: a predicted interval is correct when its start and its end are each within
  ``tolerance`` frames of those of a not yet used reference interval (intervals rebuilt from the
  boolean vectors, so they tile the utterance from frame 0);
- ``OS = R/P - 1`` (``-inf`` when ``P = 0``), ``F = -inf`` when ``P + R = 0``: the script's own
  values, kept. Where the script divides by zero (no predicted or no reference boundary in the
  whole set) the value is ``nan`` here.

:func:`frame_intervals` makes these inputs from seconds as the word-discovery comparison did: one
reference interval per gold word ``(round(100 on), round(100 off))``; predicted boundaries
``(start[j+1] + end[j]) / 2`` as frames ``round(100 m)`` strictly inside ``(0, reference end)``,
giving ``(0, f1), (f1, f2), ..., (f_last, reference end)``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np

from vgprobe.analysis.wordseg.alignments import UtterancePrediction, Word
from vgprobe.analysis.wordseg.boundaries import predicted_boundaries
from vgprobe.errors import InputError

Intervals = Sequence[tuple[int, int]]


def intervals_to_boundaries(intervals: Intervals) -> np.ndarray:
    """Boolean vector of length ``intervals[-1][1]``, True at ``end - 1`` of every interval."""
    if not intervals:
        raise InputError("intervals_to_boundaries: empty interval list")
    out = np.zeros(intervals[-1][1], dtype=bool)
    out[[e - 1 for _, e in intervals]] = True
    return out


def boundaries_to_intervals(boundaries: np.ndarray) -> list[tuple[int, int]]:
    """Intervals tiling ``[0, n)`` that end after each True element."""
    out = []
    prev = 0
    for j in np.flatnonzero(boundaries):
        out.append((prev, int(j) + 1))
        prev = int(j) + 1
    return out


def _prf(correct: int, n_pred: int, n_ref: int) -> tuple[float, float, float]:
    p = correct / n_pred if n_pred else float("nan")
    r = correct / n_ref if n_ref else float("nan")
    f = 2 * p * r / (p + r) if p + r != 0 else -np.inf
    return p, r, float(f)


def score_boundaries(ref: Sequence[np.ndarray], seg: Sequence[np.ndarray], *,
                     tolerance: int = 0) -> tuple[float, float, float]:
    """Boundary precision, recall, F over utterances (boolean vectors from intervals)."""
    n_ref = n_seg = correct = 0
    for r_vec, s_vec in zip(ref, seg):
        if len(r_vec) == len(s_vec):
            r_vec = r_vec[:-1]
        s_vec = s_vec[:-1]
        r_vec = r_vec[:len(s_vec)]
        remaining = list(np.flatnonzero(r_vec))
        predicted = np.flatnonzero(s_vec)
        n_ref += len(remaining)
        n_seg += len(predicted)
        for b in predicted:
            for i, rb in enumerate(remaining):
                if abs(int(b) - int(rb)) <= tolerance:
                    correct += 1
                    remaining.pop(i)
                    break
    return _prf(correct, n_seg, n_ref)


def score_word_tokens(ref: Sequence[np.ndarray], seg: Sequence[np.ndarray], *,
                      tolerance: int = 0) -> tuple[float, float, float]:
    """Word-token precision, recall, F: both ends of a predicted interval within tolerance."""
    n_ref = n_seg = correct = 0
    for r_vec, s_vec in zip(ref, seg):
        if len(r_vec) > len(s_vec):
            r_vec = r_vec[:len(s_vec)].copy()
            r_vec[-1] = True
        windows = [((max(0, a - tolerance), a + tolerance), (b - tolerance, b + tolerance))
                   for a, b in boundaries_to_intervals(r_vec)]
        predicted = boundaries_to_intervals(s_vec)
        n_ref += len(windows)
        n_seg += len(predicted)
        for a, b in predicted:
            for i, ((a_lo, a_hi), (b_lo, b_hi)) in enumerate(windows):
                if a_lo <= a <= a_hi and b_lo <= b <= b_hi:
                    correct += 1
                    windows.pop(i)
                    break
    return _prf(correct, n_seg, n_ref)


def over_segmentation(precision: float, recall: float) -> float:
    """``R/P - 1``; ``-inf`` when ``P = 0`` (the script's value)."""
    return -np.inf if precision == 0 else recall / precision - 1


def r_value(precision: float, recall: float) -> float:
    """R-value from ``OS`` as the script computes it."""
    os_ = over_segmentation(precision, recall)
    r1 = np.sqrt((1 - recall) ** 2 + os_ ** 2)
    r2 = (-os_ + recall - 1) / np.sqrt(2)
    return float(1 - (np.abs(r1) + np.abs(r2)) / 2)


def frame_intervals(words: Sequence[Word], pred: UtterancePrediction, *,
                    frame_rate: int = 100) -> tuple[list[tuple[int, int]], list[tuple[int, int]]]:
    """(reference, predicted) integer frame intervals of one utterance (module docstring)."""
    if not words:
        raise InputError("frame_intervals: an utterance without gold words has no reference intervals")
    ref = [(round(frame_rate * w.onset), round(frame_rate * w.offset)) for w in words]
    end = ref[-1][1]
    cuts = sorted({f for f in (round(frame_rate * m) for m in predicted_boundaries(pred.segments)) if 0 < f < end})
    edges = [0, *cuts, end]
    return ref, list(zip(edges[:-1], edges[1:]))


def kamper_scores(ref_intervals: Mapping[str, Intervals], seg_intervals: Mapping[str, Intervals], *,
                  tolerance: int = 2) -> dict:
    """The ``buckeye_eval`` block: word boundaries (P, R, F, OS, R-value) and word tokens."""
    missing = sorted(set(ref_intervals) ^ set(seg_intervals))
    if missing:
        raise InputError(f"kamper_scores: utterances in only one of reference/prediction: {missing[:10]}")
    utts = list(ref_intervals)
    ref = [intervals_to_boundaries(ref_intervals[u]) for u in utts]
    seg = [intervals_to_boundaries(seg_intervals[u]) for u in utts]
    bp, br, bf = score_boundaries(ref, seg, tolerance=tolerance)
    tp, tr, tf = score_word_tokens(ref, seg, tolerance=tolerance)
    return {
        "tolerance_frames": tolerance,
        "word_boundaries": {"precision": bp, "recall": br, "f1": bf, "os": float(over_segmentation(bp, br)),
                            "r_value": r_value(bp, br)},
        "word_token_boundaries": {"precision": tp, "recall": tr, "f1": tf, "os": float(over_segmentation(tp, tr))},
    }
