"""The ZeroSpeech 2021 lexical task (sWUGGY): is a word scored above its matched non-word?

    scores = score_lexical("zr/lexical/dev/gold.csv", "submission/lexical/dev.txt")
    results_to_frame(scores.results)   # breakdown, group, interval, n_pairs, score, std

Equal to the official scorer (zerospeech-benchmarks 0.9.4, ``LexicalTask`` as its sLM21
benchmark runs it) on valid files:

- pairs: within each ``(id, voice)``, every word is compared with every non-word
  (:func:`vgprobe.zerospeech.lm.stats.comparison`: 1, 0.5 on a tie, 0); the score of a
  pair ``id`` is the mean of its comparisons over voices. Its word, non-word, frequency
  and length are those of its first word line in the gold file (and of that word's first
  non-word in the same voice). When every non-word has an empty ``word`` field, as in
  the official files, the ``phones`` column labels both.
- ``all``: the mean pair score (the leaderboard's lexical score);
- ``frequency``: pairs binned by the word's frequency with the official band edges,
  half-open ``[0, 1), [1, 5), [5, 20), [20, 100), [100, inf)``, under the official labels
  ``oov``, ``1-5``, ``6-20``, ``21-100``, ``>100``. The labels are off by one against the
  edges (a word seen 5 times is in ``6-20``, one seen 100 times in ``>100``); vgprobe keeps
  both as they are so its tables line up with the leaderboard's, and adds the real
  interval in the ``interval`` column. Empty bands are listed with ``n_pairs`` 0, as the
  official table lists them;
- ``in_vocab``: the mean score of the pairs whose word has frequency >= 1, which is the
  official pair-weighted mean of the non-``oov`` band scores. (The official code takes
  those band scores from its 4-decimal CSV and returns NaN when a band is empty;
  vgprobe uses the exact band means and skips empty bands.)
- ``length``: pairs grouped by the word's length in phones.

Each group row carries the pandas ``count``, ``mean`` and ``std`` of its pair scores, as
the official ``by_frequency``/``by_length`` tables do; ``std`` is None on ``all`` and
``in_vocab``, which the official code reports without it.

Unlike the official code, vgprobe refuses bad input (see
:mod:`vgprobe.zerospeech.lm.score_file`): a score file missing a gold filename, with a
duplicated filename or a non-numeric score, and a gold ``(id, voice)`` without a word or
without a non-word (which the official code would drop silently).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Sequence

from vgprobe.errors import InputError
from vgprobe.zerospeech import layout
from vgprobe.zerospeech.lm.gold import LexicalToken, read_lexical_gold
from vgprobe.zerospeech.lm.results import id_order, rows_to_frame, rows_to_json
from vgprobe.zerospeech.lm.score_file import token_scores
from vgprobe.zerospeech.lm.stats import comparison, summary

if TYPE_CHECKING:
    import pandas as pd

# (official label, lowest frequency, highest frequency + 1)
FREQUENCY_BANDS: tuple[tuple[str, float, float], ...] = (
    ("oov", 0, 1),
    ("1-5", 1, 5),
    ("6-20", 5, 20),
    ("21-100", 20, 100),
    (">100", 100, math.inf),
)


@dataclass(frozen=True)
class LexicalPair:
    """One (word, non-word) pair id, scored over its voices."""

    id: str
    word: str
    non_word: str
    frequency: int
    length: int
    score: float  # mean comparison over voices, in [0, 1]
    n_comparisons: int


@dataclass(frozen=True)
class LexicalResult:
    """One row of the lexical result table; ``score`` is an accuracy in [0, 1]."""

    breakdown: str  # "all", "in_vocab", "frequency" or "length"
    group: str  # the frequency band's official label or the length; "" for all and in_vocab
    interval: str  # the frequencies a band holds, e.g. "[5, 20)"; "" elsewhere
    n_pairs: int
    score: float
    std: float | None


@dataclass(frozen=True)
class LexicalScores:
    pairs: list[LexicalPair]
    results: list[LexicalResult]


def score_lexical(gold_csv: str | Path, scores_txt: str | Path) -> LexicalScores:
    """Score ``scores_txt`` (``<filename> <score>`` lines) against the lexical ``gold_csv``."""
    tokens = read_lexical_gold(gold_csv)
    pairs = lexical_pairs(tokens, token_scores(tokens, scores_txt, gold_csv), source=gold_csv)
    return LexicalScores(pairs=pairs, results=summarise(pairs))


def score_lexical_submission(submission_dir: str | Path, data_root: str | Path, split: str) -> LexicalScores:
    """Score ``submission/lexical/<split>.txt`` against ``data/lexical/<split>/gold.csv``."""
    return score_lexical(layout.lexical_gold(data_root, split), layout.submission_lexical_scores(submission_dir, split))


def lexical_pairs(tokens: Sequence[LexicalToken], scores: Sequence[float], *, source: str | Path) -> list[LexicalPair]:
    """Pair words with non-words within each ``(id, voice)`` and average over voices (see the module docstring)."""
    if len(tokens) != len(scores):
        raise ValueError(f"{len(tokens)} tokens but {len(scores)} scores")
    groups: dict[tuple[str, str], tuple[list[int], list[int]]] = {}
    for k, token in enumerate(tokens):
        groups.setdefault((token.id, token.voice), ([], []))[0 if token.correct else 1].append(k)
    for (id_, voice), (words, non_words) in groups.items():
        if not words or not non_words:
            first = tokens[(words or non_words)[0]]
            lacking = "word" if not words else "non-word"
            raise InputError(
                f"{source}:{first.line}: id {id_!r} has no {lacking} in voice {voice!r}; expected at least one "
                "word and one non-word per id and voice"
            )
    use_phones = all(not t.word for t in tokens if not t.correct)
    label = (lambda t: t.phones) if use_phones else (lambda t: t.word)
    by_id: dict[str, list[float]] = {}
    first: dict[str, tuple[int, int]] = {}
    for k, token in enumerate(tokens):
        if not token.correct:
            continue
        non_words = groups[(token.id, token.voice)][1]
        first.setdefault(token.id, (k, non_words[0]))
        by_id.setdefault(token.id, []).extend(comparison(scores[k], scores[j]) for j in non_words)
    pairs = []
    for id_ in sorted(by_id, key=id_order):
        w, nw = first[id_]
        n, mean, _ = summary(by_id[id_])
        word = tokens[w]
        pairs.append(
            LexicalPair(id=id_, word=label(word), non_word=label(tokens[nw]), frequency=word.frequency,
                        length=word.length, score=mean, n_comparisons=n)
        )
    return pairs


def summarise(pairs: Sequence[LexicalPair]) -> list[LexicalResult]:
    """The ``all``, ``in_vocab``, ``frequency`` (five bands) and ``length`` rows."""
    scores = [p.score for p in pairs]
    n, mean, _ = summary(scores)
    rows = [LexicalResult("all", "", "", n, mean, None)]
    n, mean, _ = summary([p.score for p in pairs if p.frequency >= 1])
    rows.append(LexicalResult("in_vocab", "", "[1, inf)", n, mean, None))
    for label, low, high in FREQUENCY_BANDS:
        n, mean, std = summary([p.score for p in pairs if low <= p.frequency < high])
        rows.append(LexicalResult("frequency", label, f"[{low:g}, {high:g})", n, mean, std))
    for length in sorted({p.length for p in pairs}):
        n, mean, std = summary([p.score for p in pairs if p.length == length])
        rows.append(LexicalResult("length", str(length), "", n, mean, std))
    return rows


def results_to_frame(results: Sequence[LexicalResult]) -> "pd.DataFrame":
    return rows_to_frame(results, LexicalResult)


def results_to_json(results: Sequence[LexicalResult]) -> str:
    """A JSON array of result objects; undefined numbers (NaN) are written as null."""
    return rows_to_json(results)
