"""Which segments cover which words, and the area metrics (IoU, IoT, word coverage, A-score).

Re-implements the area part of ``comp_word_to_coderecall`` (jasonppy/word-discovery,
``unit_analysis.py``) and the A-score of its main block. Words whose label is a stop word
(``<SPOKEN_NOISE>``, ``<UNK>`` by default) are not scored.

- A segment *touches* a word when its centre window ``[loc - spf/2, loc + spf/2]`` overlaps the
  word with positive length, ``max(a, ws) < min(b, we)`` (not its full span). A scored word that
  no segment touches is *uncovered*.
- For each touching segment ``[s, e]`` of word ``[ws, we]``:

  ============================  ==============================  ===================  ==========
  case                          IoU                             IoT                  in word
  ============================  ==============================  ===================  ==========
  inside (s>=ws, e<=we)         (e-s)/(we-ws)                   same                 1
  starts before (s<ws, e<=we)   (e-ws)/(we-s)                   (e-ws)/(we-ws)       0
  ends after (s>=ws, e>we)      (we-s)/(e-ws)                   (we-s)/(we-ws)       0
  contains the word             never counted (as in the reference)
  ============================  ==============================  ===================  ==========

  "starts before" is skipped when less of the segment is inside the word than before it
  (``e-ws < ws-s``), "ends after" likewise (``we-s < e-we``). A segment that strictly contains
  the word is always skipped (the reference's test ``we-ws < e-s`` is always true there), so
  under-segmentation does not lower IoU. Every counted pair also gives the centre distance
  ``|(s+e)/2 - (ws+we)/2|`` and whether the word centre lies in ``[s, e]``.
- Aggregates: ``iou``, ``iot``, ``seg_in_word``, ``center_distance``, ``center_in`` are means
  over all counted pairs of the corpus; ``word_coverage`` (WC) is ``1 - uncovered / scored
  tokens``; ``word_coverage_by_type`` the mean over word types of their covered fraction;
  ``coverage_per_utterance_mean`` the mean over utterances of theirs;
  ``a_score = 2 / (1/IoU + 1/WC)``.

Undefined values (no counted pair, no scored token, WC = 0, an utterance without scored words)
are ``nan`` and listed in ``undefined``; the reference raises or warns there.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np

from vgprobe.analysis.wordseg.alignments import UtterancePrediction, Word

STOP_WORDS: tuple[str, ...] = ("<SPOKEN_NOISE>", "<UNK>")


def touching_segments(word: Word, pred: UtterancePrediction) -> list[int]:
    """Indices (in order) of the segments whose centre window overlaps ``word``."""
    half = pred.spf / 2.0
    out = []
    for j, loc in enumerate(pred.locations):
        if max(loc - half, word.onset) < min(loc + half, word.offset):
            out.append(j)
    return out


@dataclass
class AreaParts:
    """The per-pair and per-token records of some utterances, before aggregation."""

    iou: list[float] = field(default_factory=list)
    iot: list[float] = field(default_factory=list)
    seg_in_word: list[float] = field(default_factory=list)
    center_distance: list[float] = field(default_factory=list)
    center_in: list[float] = field(default_factory=list)
    tokens: list[tuple[str, bool]] = field(default_factory=list)  # (label, covered)
    utterance_coverage: list[float] = field(default_factory=list)
    utterances_without_scored_words: list[str] = field(default_factory=list)

    def extend(self, other: AreaParts) -> None:
        for name in self.__dataclass_fields__:
            getattr(self, name).extend(getattr(other, name))


def _pair(seg: tuple[float, float], word: Word, parts: AreaParts) -> None:
    s, e = seg
    ws, we = word.onset, word.offset
    if s >= ws and e <= we:
        iou = iot = (e - s) / (we - ws)
        inside = 1.0
    elif s < ws and e <= we:
        if (e - ws) < (ws - s):
            return
        iou, iot, inside = (e - ws) / (we - s), (e - ws) / (we - ws), 0.0
    elif s >= ws and e > we:
        if (we - s) < (e - we):
            return
        iou, iot, inside = (we - s) / (e - ws), (we - s) / (we - ws), 0.0
    else:
        return
    parts.iou.append(iou)
    parts.iot.append(iot)
    parts.seg_in_word.append(inside)
    word_center = (we + ws) / 2.0
    seg_center = (e + s) / 2.0
    parts.center_distance.append(abs(seg_center - word_center))
    parts.center_in.append(1.0 if s <= word_center <= e else 0.0)


def utterance_area(utt: str, words: Sequence[Word], pred: UtterancePrediction,
                   touching: Sequence[Sequence[int]], *, stop_words: Sequence[str] = STOP_WORDS) -> AreaParts:
    """Area records of one utterance; ``touching[i]`` = :func:`touching_segments` of ``words[i]``."""
    parts = AreaParts()
    n_scored = n_missing = 0
    for word, segs in zip(words, touching):
        if word.label in stop_words:
            continue
        n_scored += 1
        parts.tokens.append((word.label, bool(segs)))
        if not segs:
            n_missing += 1
            continue
        for j in segs:
            _pair(pred.segments[j], word, parts)
    if n_scored:
        parts.utterance_coverage.append((n_scored - n_missing) / n_scored)
    else:
        parts.utterances_without_scored_words.append(utt)
    return parts


def _mean(values: list[float]) -> float:
    return float(np.mean(values)) if values else float("nan")


def area_scores(parts: AreaParts) -> dict:
    """The reference's area block from the records of a corpus."""
    nan = float("nan")
    n_tokens = len(parts.tokens)
    n_uncovered = sum(1 for _, covered in parts.tokens if not covered)
    per_type: dict[str, list[int]] = {}
    for label, covered in parts.tokens:
        seen = per_type.setdefault(label, [0, 0])
        seen[0] += 1
        seen[1] += 0 if covered else 1
    wc = 1 - n_uncovered / n_tokens if n_tokens else nan
    by_type = (sum(1 - missing / total for total, missing in per_type.values()) / len(per_type)
               if per_type else nan)
    iou = _mean(parts.iou)
    out = {
        "word_coverage": wc,
        "coverage_per_utterance_mean": _mean(parts.utterance_coverage),
        "iou": iou,
        "iot": _mean(parts.iot),
        "seg_in_word": _mean(parts.seg_in_word),
        "center_distance": _mean(parts.center_distance),
        "center_in": _mean(parts.center_in),
        "n_iou_entries": len(parts.iou),
        "word_coverage_by_type": by_type,
        "n_scored_word_tokens": n_tokens,
        "n_uncovered_word_tokens": n_uncovered,
        "a_score": 2.0 / (1.0 / iou + 1.0 / wc) if iou > 0 and wc > 0 else nan,  # IoU > 0 whenever defined
    }
    out["undefined"] = [k for k, v in out.items() if isinstance(v, float) and np.isnan(v)]
    return out
