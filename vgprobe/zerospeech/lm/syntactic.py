"""The ZeroSpeech 2021 syntactic task (sBLIMP): is a grammatical sentence scored above its ungrammatical twin?

    scores = score_syntactic("zr/syntactic/dev/gold.csv", "submission/syntactic/dev.txt")
    results_to_frame(scores.results)   # breakdown, type, subtype, n_pairs, score, std, official

Equal to the official scorer (zerospeech-benchmarks 0.9.4, ``SyntacticTask`` as its sLM21
benchmark runs it) on valid files:

- pairs: the grammatical and the ungrammatical sentence of the same ``(type, subtype,
  id, voice)`` are compared (:func:`vgprobe.zerospeech.lm.stats.comparison`: 1, 0.5 on a
  tie, 0); the score of a pair ``(type, subtype, id)`` is the mean over its voices, and
  its sentences are those of its first voice in the gold file;
- ``all``: the mean pair score (the leaderboard's syntactic score);
- ``type``: per type, the pandas ``count``, ``mean`` and ``std`` of the pair scores (the
  official ``by_type`` table);
- ``subtype``: the same per (type, subtype). Not part of the official output (its
  ``official`` field is False); the official by-pair table holds what it summarises.

The official code pairs the k-th grammatical line of the gold file with its k-th
ungrammatical line. vgprobe pairs lines by ``(type, subtype, id, voice)`` instead, which
gives the same pairs, hence the same numbers, whenever the two kinds of lines come in the
same order, as in the official files. A gold file where the two pairings differ is scored
by key with a warning that names the first line where they part (the official code would
compare unrelated sentences there). A key with other than one sentence of each kind is
an error.

Unlike the official code, vgprobe refuses a score file missing a gold filename (the
official code counts such a comparison as lost), with a duplicated filename or a
non-numeric score (see :mod:`vgprobe.zerospeech.lm.score_file`).
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Sequence

from vgprobe.errors import InputError
from vgprobe.zerospeech import layout
from vgprobe.zerospeech.lm.gold import SyntacticToken, read_syntactic_gold
from vgprobe.zerospeech.lm.results import id_order, rows_to_frame, rows_to_json
from vgprobe.zerospeech.lm.score_file import token_scores
from vgprobe.zerospeech.lm.stats import comparison, summary

if TYPE_CHECKING:
    import pandas as pd


@dataclass(frozen=True)
class SyntacticPair:
    """One (grammatical, ungrammatical) sentence pair, scored over its voices."""

    type: str
    subtype: str
    id: str
    sentence: str
    non_sentence: str
    score: float  # mean comparison over voices, in [0, 1]
    n_voices: int


@dataclass(frozen=True)
class SyntacticResult:
    """One row of the syntactic result table; ``score`` is an accuracy in [0, 1]."""

    breakdown: str  # "all", "type" or "subtype"
    type: str  # "" for all
    subtype: str  # "" unless breakdown is "subtype"
    n_pairs: int
    score: float
    std: float | None  # None on the "all" row, which the official code reports without it
    official: bool  # False for the per-subtype rows, which the official scorer does not report


@dataclass(frozen=True)
class SyntacticScores:
    pairs: list[SyntacticPair]
    results: list[SyntacticResult]


def score_syntactic(gold_csv: str | Path, scores_txt: str | Path) -> SyntacticScores:
    """Score ``scores_txt`` (``<filename> <score>`` lines) against the syntactic ``gold_csv``."""
    tokens = read_syntactic_gold(gold_csv)
    pairs = syntactic_pairs(tokens, token_scores(tokens, scores_txt, gold_csv), source=gold_csv)
    return SyntacticScores(pairs=pairs, results=summarise(pairs))


def score_syntactic_submission(submission_dir: str | Path, data_root: str | Path, split: str) -> SyntacticScores:
    """Score ``submission/syntactic/<split>.txt`` against ``data/syntactic/<split>/gold.csv``."""
    return score_syntactic(
        layout.syntactic_gold(data_root, split), layout.submission_syntactic_scores(submission_dir, split)
    )


def syntactic_pairs(
    tokens: Sequence[SyntacticToken], scores: Sequence[float], *, source: str | Path
) -> list[SyntacticPair]:
    """Pair sentences by ``(type, subtype, id, voice)`` and average over voices (see the module docstring)."""
    if len(tokens) != len(scores):
        raise ValueError(f"{len(tokens)} tokens but {len(scores)} scores")
    keyed: dict[tuple[str, str, str, str], tuple[list[int], list[int]]] = {}
    for k, t in enumerate(tokens):
        keyed.setdefault((t.type, t.subtype, t.id, t.voice), ([], []))[0 if t.correct else 1].append(k)
    for key, (right, wrong) in keyed.items():
        if len(right) != 1 or len(wrong) != 1:
            lines = ", ".join(str(tokens[k].line) for k in right + wrong)
            raise InputError(
                f"{source}: type {key[0]!r}, subtype {key[1]!r}, id {key[2]!r}, voice {key[3]!r} has "
                f"{len(right)} grammatical and {len(wrong)} ungrammatical sentence(s) (line(s) {lines}); "
                "expected one of each"
            )
    _warn_if_positional_pairing_differs(tokens, source)
    by_pair: dict[tuple[str, str, str], list[float]] = {}
    first: dict[tuple[str, str, str], tuple[int, int]] = {}
    for r, t in enumerate(tokens):
        if not t.correct:
            continue
        (w,) = keyed[(t.type, t.subtype, t.id, t.voice)][1]
        pair_key = (t.type, t.subtype, t.id)
        by_pair.setdefault(pair_key, []).append(comparison(scores[r], scores[w]))
        first.setdefault(pair_key, (r, w))
    pairs = []
    for pair_key in sorted(by_pair, key=lambda k: (k[0], k[1], id_order(k[2]))):
        r, w = first[pair_key]
        n, mean, _ = summary(by_pair[pair_key])
        pairs.append(SyntacticPair(*pair_key, sentence=tokens[r].transcription,
                                   non_sentence=tokens[w].transcription, score=mean, n_voices=n))
    return pairs


def summarise(pairs: Sequence[SyntacticPair]) -> list[SyntacticResult]:
    """The ``all`` row, one ``type`` row per type and one ``subtype`` row per (type, subtype), sorted."""
    n, mean, _ = summary([p.score for p in pairs])
    rows = [SyntacticResult("all", "", "", n, mean, None, True)]
    for type_ in sorted({p.type for p in pairs}):
        n, mean, std = summary([p.score for p in pairs if p.type == type_])
        rows.append(SyntacticResult("type", type_, "", n, mean, std, True))
    for type_, subtype in sorted({(p.type, p.subtype) for p in pairs}):
        n, mean, std = summary([p.score for p in pairs if (p.type, p.subtype) == (type_, subtype)])
        rows.append(SyntacticResult("subtype", type_, subtype, n, mean, std, False))
    return rows


def results_to_frame(results: Sequence[SyntacticResult]) -> "pd.DataFrame":
    return rows_to_frame(results, SyntacticResult)


def results_to_json(results: Sequence[SyntacticResult]) -> str:
    """A JSON array of result objects; undefined numbers (NaN) are written as null."""
    return rows_to_json(results)


def _warn_if_positional_pairing_differs(tokens: Sequence[SyntacticToken], source: str | Path) -> None:
    right = [t for t in tokens if t.correct]
    wrong = [t for t in tokens if not t.correct]
    for r, w in zip(right, wrong):
        if (r.type, r.subtype, r.id, r.voice) != (w.type, w.subtype, w.id, w.voice):
            warnings.warn(
                f"{source}: grammatical line {r.line} and ungrammatical line {w.line} are the k-th of their kind "
                "but belong to different (type, subtype, id, voice); vgprobe pairs sentences by that key, the "
                "official scorer by position, so its numbers on this file would differ",
                stacklevel=3,
            )
            return
