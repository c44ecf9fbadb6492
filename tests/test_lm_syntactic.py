"""The syntactic (sBLIMP) scorer's rules on hand-made files; parity with the official code is in test_lm_parity."""

import pytest

from lm_data import write_hand_made, write_scores, write_syntactic_gold
from vgprobe.errors import InputError
from vgprobe.zerospeech.lm.syntactic import score_syntactic

HEADER = "id,filename,voice,type,subtype,correct,transcription\n"


def write(tmp_path, lines, scores):
    return write_hand_made(tmp_path, HEADER, lines, scores)


def test_types_average_pairs_and_pairs_average_voices(tmp_path):
    lines = ["1,a1,A,agr,sv,1,good one", "1,a0,A,agr,sv,0,bad one",
             "1,b1,B,agr,sv,1,good one", "1,b0,B,agr,sv,0,bad one",
             "2,c1,A,agr,dn,1,good two", "2,c0,A,agr,dn,0,bad two",
             "1,d1,A,isl,wh,1,good three", "1,d0,A,isl,wh,0,bad three"]
    scores = {"a1": 0, "a0": -1, "b1": -1, "b0": -1, "c1": -3, "c0": -1, "d1": 2, "d0": 1}
    res = score_syntactic(*write(tmp_path, lines, scores))
    by = {(r.breakdown, r.type, r.subtype): r for r in res.results}
    assert [(p.type, p.subtype, p.id, p.score) for p in res.pairs] == [
        ("agr", "dn", "2", 0.0), ("agr", "sv", "1", 0.75), ("isl", "wh", "1", 1.0)]
    assert by["all", "", ""].score == pytest.approx(1.75 / 3)
    assert by["type", "agr", ""].score == pytest.approx(0.375) and by["type", "agr", ""].n_pairs == 2
    assert by["subtype", "agr", "sv"].official is False and by["type", "agr", ""].official is True


def test_key_pairing_equals_positional_pairing_on_well_ordered_files(tmp_path):
    """Both official orders (interleaved, blocked) of the same pairs give the same numbers."""
    interleaved = write_syntactic_gold(tmp_path / "interleaved.csv", seed=4, order="interleaved")
    blocked = write_syntactic_gold(tmp_path / "blocked.csv", seed=4, order="blocked")
    assert sorted(interleaved.read_text().splitlines()) == sorted(blocked.read_text().splitlines())
    scores = write_scores(interleaved, tmp_path / "dev.txt", kind="ties", seed=1)
    got = [score_syntactic(gold, scores) for gold in (interleaved, blocked)]
    assert got[0].results == got[1].results and got[0].pairs == got[1].pairs


def test_a_file_where_positional_pairing_would_differ_is_scored_by_key_with_a_warning(tmp_path):
    lines = ["1,a1,A,agr,sv,1,x", "2,b1,A,agr,sv,1,y", "2,b0,A,agr,sv,0,y!", "1,a0,A,agr,sv,0,x!"]
    gold, txt = write(tmp_path, lines, {"a1": 1, "a0": 0, "b1": 1, "b0": 0})
    with pytest.warns(UserWarning, match=r"grammatical line 2 and ungrammatical line 4 .* official scorer by position"):
        res = score_syntactic(gold, txt)
    assert [p.score for p in res.pairs] == [1.0, 1.0]


@pytest.mark.parametrize(
    "lines, message",
    [
        (["1,a1,A,agr,sv,1,x", "1,a2,A,agr,sv,1,x", "1,a0,A,agr,sv,0,x"],
         r"id '1', voice 'A' has 2 grammatical and 1 ungrammatical sentence\(s\) \(line\(s\) 2, 3, 4\)"),
        (["1,a1,A,agr,sv,1,x"], r"has 1 grammatical and 0 ungrammatical"),
        (["1,a1,A,,sv,1,x"], r"gold\.csv:2: empty 'type' field"),
        (["1,a1,,agr,sv,1,x"], r"gold\.csv:2: empty 'voice' field"),
    ],
)
@pytest.mark.filterwarnings("ignore:.*not in")
def test_bad_gold_files_are_refused(tmp_path, lines, message):
    with pytest.raises(InputError, match=message):
        score_syntactic(*write(tmp_path, lines, {"a1": 1, "a2": 1, "a0": 0}))


def test_duplicate_and_non_numeric_scores_are_refused(tmp_path):
    lines = ["1,a1,A,agr,sv,1,x", "1,a0,A,agr,sv,0,y"]
    gold, txt = write(tmp_path, lines, {"a1": 1, "a0": 0})
    txt.write_text("a1 1\na0 0\na1 2\n")
    with pytest.raises(InputError, match=r"dev\.txt:3: 'a1' is listed twice \(also line 1\)"):
        score_syntactic(gold, txt)
    txt.write_text("a1 1\na0 zero\n")
    with pytest.raises(InputError, match=r"dev\.txt:2: score 'zero' of 'a0' is not a number"):
        score_syntactic(gold, txt)
