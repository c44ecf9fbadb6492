"""Score discovered word segments against gold alignments: the whole word-discovery report.

Example::

    gold = read_gold("alignments/")                    # TextGrid folder, JSON or .wrd
    pred = read_pred("segments.json")
    feats = read_segment_features("segment_feats.npz", pred)   # optional: the variance filter
    report = score_word_discovery(gold, pred, tolerance=0.02, features=feats)
    report["boundary"]["f1"], report["area"]["a_score"], report["word"]["wd_count_f1_ge_0.5"]

The report (a JSON-ready dict) holds the blocks of the word-discovery reference under its names:
``boundary``, ``area``, ``word`` (see :mod:`.boundaries`, :mod:`.area`, :mod:`.word_groups`),
``buckeye_eval`` (:mod:`.kamper`), ``utterances`` (what was scored) and ``warnings``. The
variance-filtered cluster scores (``*_var_le_1``, ``*_var_le_1_plain_variance``) need the segment
features; without them only ``*_all_codes`` is there and ``word.variance_filter.computed`` is false. With
``details=True`` also ``details`` (per-code variances, kept codes, best code per word) and
``per_utterance`` (boundaries and match counts of each utterance).

Rules where the reference stops or is silent:

- utterances in only one of gold and prediction: an :class:`InputError` listing them, or with
  ``on_missing="intersect"`` the common ones are scored and a warning lists the others;
- a gold utterance without words (after silences are removed) is not scored (the reference skips
  it), with a warning;
- an utterance without predicted segments: its words are uncovered and it has no predicted
  boundary (the reference raises ``UnboundLocalError``), with a warning;
- an utterance whose words are all stop words has no coverage of its own and is left out of
  ``coverage_per_utterance_mean`` (the reference divides by zero), with a warning;
- values that cannot be computed (no boundary, no match, WC = 0, no scored token) are ``nan``,
  listed in each block's ``undefined`` and in a warning.

Every warning is also issued as a :class:`WordDiscoveryWarning`.
"""

from __future__ import annotations

import warnings
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from vgprobe.analysis.wordseg.alignments import GoldAlignments, UtterancePrediction, Word
from vgprobe.analysis.wordseg.area import STOP_WORDS, AreaParts, area_scores, touching_segments, utterance_area
from vgprobe.analysis.wordseg.boundaries import BoundaryCounts, boundary_scores, utterance_counts
from vgprobe.analysis.wordseg.kamper import frame_intervals, kamper_scores
from vgprobe.analysis.wordseg.readers import parse_pred
from vgprobe.analysis.wordseg.word_groups import CodeWordTable, cluster_scores, code_variances, kept_codes, word_scores
from vgprobe.errors import ConfigError, InputError


class WordDiscoveryWarning(UserWarning):
    """A value the reference cannot compute, or utterances left out of the score."""


def _names(utts: Sequence[str], limit: int = 10) -> str:
    shown = ", ".join(utts[:limit])
    return f"{shown}, ... ({len(utts)} in all)" if len(utts) > limit else shown


def _gold_words(gold: GoldAlignments | Mapping[str, Sequence[Any]]) -> dict[str, tuple[Word, ...]]:
    words = gold.words if isinstance(gold, GoldAlignments) else gold
    out = {}
    for utt, items in words.items():
        out[utt] = tuple(w if isinstance(w, Word) else Word(float(w[0]), float(w[1]), str(w[2])) for w in items)
    return out


def _predictions(pred: Mapping[str, Any]) -> dict[str, UtterancePrediction]:
    entries = {u: p for u, p in pred.items() if not isinstance(p, UtterancePrediction)}
    parsed = parse_pred(entries) if entries else {}
    return {u: parsed.get(u, p) for u, p in pred.items()}


def score_word_discovery(gold: GoldAlignments | Mapping[str, Sequence[Any]], pred: Mapping[str, Any], *,
                         tolerance: float = 0.02, stop_words: Sequence[str] = STOP_WORDS,
                         features: Mapping[str, np.ndarray] | None = None, variance_threshold: float = 1.0,
                         top_k: int = 250, f1_threshold: float = 0.5, on_missing: str = "error",
                         kamper_tolerance: int = 2, frame_rate: int = 100, details: bool = False) -> dict:
    """The word-discovery report of ``pred`` against ``gold`` (see the module docstring)."""
    if on_missing not in ("error", "intersect"):
        raise ConfigError(f"on_missing={on_missing!r}: expected 'error' or 'intersect'")
    if not (isinstance(tolerance, (int, float)) and tolerance >= 0):
        raise ConfigError(f"tolerance={tolerance!r}: expected a non-negative number of seconds")
    words = _gold_words(gold)
    preds = _predictions(pred)
    notes: list[str] = []

    def warn(msg: str) -> None:
        notes.append(msg)
        warnings.warn(msg, WordDiscoveryWarning, stacklevel=3)

    missing_in_pred = [u for u in words if u not in preds]
    missing_in_gold = [u for u in preds if u not in words]
    if missing_in_pred or missing_in_gold:
        msg = (f"{len(missing_in_pred)} gold utterances have no prediction ({_names(missing_in_pred)}); "
               f"{len(missing_in_gold)} predicted utterances have no gold ({_names(missing_in_gold)})")
        if on_missing == "error":
            raise InputError(f"{msg}: expected the same utterances (or score the common ones with "
                             f"on_missing='intersect' / --allow-missing)")
        warn(f"scoring the common utterances only: {msg}")
    no_words = [u for u in words if u in preds and not words[u]]
    if no_words:
        warn(f"{len(no_words)} gold utterances have no words and are not scored: {_names(no_words)}")
    utts = [u for u in words if u in preds and words[u]]
    if not utts:
        raise InputError("no utterance to score: gold and prediction share no utterance with gold words")
    if features is not None:
        for u in utts:
            if u not in features or np.asarray(features[u]).shape[0] != len(preds[u]):
                raise InputError(f"segment features of {u!r}: expected {len(preds[u])} rows, one per segment")

    counts = BoundaryCounts()
    parts = AreaParts()
    tokens: list[tuple[str, list[int]]] = []
    seg_codes: list[int] = []
    seg_feats: list[np.ndarray] = []
    w_reference: list[float] = []
    w_plain: list[float] = []
    per_utterance = {}
    no_segments = []
    ref_frames, seg_frames = {}, {}
    stop = set(stop_words)
    for u in utts:
        ws, p = words[u], preds[u]
        if not len(p):
            no_segments.append(u)
        touching = [touching_segments(w, p) for w in ws]
        c, g_b, p_b = utterance_counts(ws, p.segments, tolerance)
        counts = counts + c
        per_utterance[u] = {"gold_interior": g_b, "pred": p_b, "match_gt": c.matches, "match_pred": c.matches,
                            "n_gt": c.n_gt, "n_pred": c.n_pred}
        parts.extend(utterance_area(u, ws, p, touching, stop_words=stop_words))
        n_scored = 0
        for w, segs in zip(ws, touching):
            if w.label not in stop:
                n_scored += 1
                tokens.append((w.label, [p.codes[j] for j in segs]))
        if n_scored and len(p):
            seg_codes.extend(p.codes)
            w_reference.extend([float(n_scored)] * len(p))
            w_plain.extend([1.0] * len(p))
            if features is not None:
                seg_feats.append(np.asarray(features[u], dtype=np.float64).reshape(len(p), -1))
        ref_frames[u], seg_frames[u] = frame_intervals(ws, p, frame_rate=frame_rate)

    if no_segments:
        warn(f"{len(no_segments)} utterances have no predicted segment (their words are uncovered): "
             f"{_names(no_segments)}")
    if parts.utterances_without_scored_words:
        ids = parts.utterances_without_scored_words
        warn(f"{len(ids)} utterances have only stop words and are left out of coverage_per_utterance_mean: "
             f"{_names(ids)}")

    boundary = boundary_scores(counts, tolerance=tolerance)
    area = area_scores(parts)
    table = CodeWordTable(tokens)
    word, best = word_scores(table, top_k=top_k, f1_threshold=f1_threshold)
    cands = table.code_candidates()
    selections: dict[str, list[int]] = {"all_codes": sorted(cands)}
    report_details: dict[str, Any] = {"word_best_code": best}
    if features is not None and seg_codes:
        x = np.concatenate(seg_feats, axis=0)
        var_ref = code_variances(seg_codes, x, w_reference)
        var_plain = code_variances(seg_codes, x, w_plain)
        selections[f"var_le_{variance_threshold:g}"] = kept_codes(var_ref, variance_threshold)
        selections[f"var_le_{variance_threshold:g}_plain_variance"] = kept_codes(var_plain, variance_threshold)
        report_details.update(code_variance_as_in_reference=var_ref, code_variance_plain=var_plain,
                              codes_kept=selections[f"var_le_{variance_threshold:g}"],
                              codes_kept_plain_variance=selections[f"var_le_{variance_threshold:g}_plain_variance"])
        word["variance_filter"] = {"computed": True, "threshold": variance_threshold}
    else:
        word["variance_filter"] = {"computed": False, "threshold": variance_threshold,
                                   "reason": "no segment features given"}
    for name, codes in selections.items():
        for key, value in cluster_scores(cands, codes).items():
            word[f"{key}_{name}"] = value
    word["undefined"] = [k for k, v in word.items() if isinstance(v, float) and np.isnan(v)]

    for block_name, block in (("boundary", boundary), ("area", area), ("word", word)):
        if block["undefined"]:
            warn(f"{block_name}: undefined (nan) because of a zero denominator: {', '.join(block['undefined'])}")
    buckeye = kamper_scores(ref_frames, seg_frames, tolerance=kamper_tolerance)

    report: dict[str, Any] = {
        "boundary": boundary,
        "area": area,
        "word": word,
        "buckeye_eval": buckeye,
        "utterances": {"n_scored": len(utts), "missing_in_pred": missing_in_pred, "missing_in_gold": missing_in_gold,
                       "without_gold_words": no_words, "without_segments": no_segments,
                       "only_stop_words": list(parts.utterances_without_scored_words)},
        "settings": {"tolerance": tolerance, "stop_words": list(stop_words), "top_k": top_k,
                     "f1_threshold": f1_threshold, "kamper_tolerance_frames": kamper_tolerance,
                     "frame_rate": frame_rate},
        "warnings": notes,
    }
    if details:
        report["details"] = report_details
        report["per_utterance"] = per_utterance
    return report
