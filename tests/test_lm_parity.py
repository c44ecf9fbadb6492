"""vgprobe's lexical and syntactic scores equal the official scorer's on generated sets.

The pins in tests/data/lm_pins.json were produced by running the official scorer,
zerospeech-benchmarks 0.9.4 (Python 3.11.7, numpy 2.4.6, pandas 2.3.3, scipy 1.17.1, in its
own venv), on the gold and score files that tests/lm_data.py writes:

    /work/refenv/zrc/bin/python tests/toolkit/make_lm_pins.py > tests/data/lm_pins.json

(the script's docstring gives the venv setup and what exactly it calls). It also ran the
toolkit's sLM21 benchmark (``zrc benchmarks:run sLM21 ... -t lexical syntactic``) on one
set and checked that the tables it writes equal the pinned ones to their 4 decimals.
"""

import json
import math
from pathlib import Path

import pytest

from lm_data import SCORE_KINDS, sha256, write_lexical_gold, write_scores, write_syntactic_gold
from vgprobe.zerospeech.lm.lexical import score_lexical
from vgprobe.zerospeech.lm.syntactic import score_syntactic

PINS = json.loads((Path(__file__).parent / "data" / "lm_pins.json").read_text())
LEXICAL = [(name, kind) for name in PINS["sets"]["lexical"] for kind in SCORE_KINDS]
SYNTACTIC = [(name, kind) for name in PINS["sets"]["syntactic"] for kind in SCORE_KINDS]


def files(tmp_path, write_gold, kwargs, kind):
    gold = write_gold(tmp_path / "gold.csv", **kwargs)
    scores = write_scores(gold, tmp_path / f"{kind}.txt", kind=kind, seed=PINS["sets"]["score_seeds"][kind])
    return gold, scores


def pinned_and_scored(tmp_path, task, name, kind):
    """The pin of ``task/name/kind`` and vgprobe's scores of the files it was made from."""
    write_gold, score = {"lexical": (write_lexical_gold, score_lexical),
                         "syntactic": (write_syntactic_gold, score_syntactic)}[task]
    pin = PINS[f"{task}/{name}/{kind}"]
    gold, scores = files(tmp_path, write_gold, PINS["sets"][task][name], kind)
    assert sha256([gold, scores]) == pin["sha256"], "the generator no longer writes the pinned data"
    return pin, score(gold, scores)


def same(a: float, b: float) -> bool:
    return (math.isnan(a) and math.isnan(b)) or abs(a - b) <= 1e-9


@pytest.mark.parametrize("name, kind", LEXICAL)
def test_lexical_scores_equal_the_official_scorer(tmp_path, name, kind):
    pin, got = pinned_and_scored(tmp_path, "lexical", name, kind)
    rows = {(r.breakdown, r.group): r for r in got.results}
    assert same(rows["all", ""].score, pin["all"])
    assert same(rows["in_vocab", ""].score, pin["in_vocab"])
    for breakdown, table in (("frequency", pin["by_frequency"]), ("length", pin["by_length"])):
        assert [(r.group, r.n_pairs) for r in got.results if r.breakdown == breakdown] == [
            (str(group), n) for group, n, _, _ in table
        ]
        for group, _, score, std in table:
            row = rows[breakdown, str(group)]
            assert same(row.score, score) and same(row.std, std), (breakdown, group)
    assert len(got.pairs) == len(pin["by_pair"])
    for pair, (word, non_word, frequency, length, score) in zip(got.pairs, pin["by_pair"]):
        assert (pair.word, pair.non_word, pair.frequency, pair.length) == (word, non_word, frequency, length)
        assert same(pair.score, score)


@pytest.mark.parametrize("name, kind", SYNTACTIC)
def test_syntactic_scores_equal_the_official_scorer(tmp_path, name, kind):
    pin, got = pinned_and_scored(tmp_path, "syntactic", name, kind)
    (overall,) = [r for r in got.results if r.breakdown == "all"]
    assert same(overall.score, pin["all"]) and overall.n_pairs == len(pin["by_pair"])
    types = [r for r in got.results if r.breakdown == "type"]
    assert [(r.type, r.n_pairs) for r in types] == [(t, n) for t, n, _, _ in pin["by_type"]]
    for r, (_, _, score, std) in zip(types, pin["by_type"]):
        assert same(r.score, score) and same(r.std, std), r.type
    for pair, (sentence, non_sentence, score) in zip(got.pairs, pin["by_pair"]):
        assert (pair.sentence, pair.non_sentence) == (sentence, non_sentence)
        assert same(pair.score, score)


def test_the_pinned_sets_exercise_ties_infinities_and_every_band(tmp_path):
    from vgprobe.zerospeech.lm.gold import read_lexical_gold
    from vgprobe.zerospeech.lm.score_file import read_scores

    gold, ties = files(tmp_path, write_lexical_gold, PINS["sets"]["lexical"]["L1"], "ties")
    _, inf = files(tmp_path, write_lexical_gold, PINS["sets"]["lexical"]["L1"], "inf")
    tokens, tie_scores = read_lexical_gold(gold), read_scores(ties)
    by_key = {}
    for t in tokens:
        by_key.setdefault((t.id, t.voice), {})[t.correct] = tie_scores[t.filename][0]
    assert sum(v[True] == v[False] for v in by_key.values()) >= 5  # word and non-word tied: 0.5
    assert any(s == -math.inf for s, _ in read_scores(inf).values())
    assert all(n > 0 for _, n, _, _ in PINS["lexical/L1/ties"]["by_frequency"])
    assert {row[2] for row in PINS["lexical/L1/continuous"]["by_pair"]} >= {0, 1, 4, 5, 19, 20, 99, 100}
    assert PINS["sets"]["syntactic"]["S2"]["order"] == "blocked"
