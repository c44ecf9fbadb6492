"""The lexical (sWUGGY) scorer's rules on hand-made files; parity with the official code is in test_lm_parity."""

import math

import pytest

from lm_data import write_hand_made
from vgprobe.errors import InputError
from vgprobe.zerospeech.lm.lexical import FREQUENCY_BANDS, score_lexical

HEADER = "id,filename,voice,frequency,word,phones,length,correct\n"


def write(tmp_path, gold_lines, scores):
    return write_hand_made(tmp_path, HEADER, gold_lines, scores)


def pair_lines(id_, freq, length, voices=("A", "B"), word="w"):
    lines = []
    for v in voices:
        lines += [f"{id_},{id_}{v}w,{v},{freq},{word}{id_},p h,{length},1", f"{id_},{id_}{v}n,{v},,,q h,{length},0"]
    return lines


def rows(result):
    return {(r.breakdown, r.group): r for r in result.results}


def test_a_pair_scores_the_mean_over_voices_and_ties_count_half(tmp_path):
    gold, txt = write(tmp_path, pair_lines(1, 10, 3), {"1Aw": -1, "1An": -2, "1Bw": -5, "1Bn": -5})
    (pair,) = score_lexical(gold, txt).pairs
    assert pair.score == pytest.approx((1 + 0.5) / 2) and pair.n_comparisons == 2


def test_official_band_edges_with_the_official_labels(tmp_path):
    freqs = {1: 0, 2: 1, 3: 4, 4: 5, 5: 19, 6: 20, 7: 99, 8: 100}
    lines = [line for i, f in freqs.items() for line in pair_lines(i, f, 3, voices=("A",))]
    scores = {f"{i}Aw": 0 for i in freqs} | {f"{i}An": -1 for i in freqs}
    res = rows(score_lexical(*write(tmp_path, lines, scores)))
    counts = {label: res["frequency", label].n_pairs for label, _, _ in FREQUENCY_BANDS}
    # 5 falls in '6-20', 20 in '21-100' and 100 in '>100': the labels are one off the edges
    assert counts == {"oov": 1, "1-5": 2, "6-20": 2, "21-100": 2, ">100": 1}
    assert res["frequency", "6-20"].interval == "[5, 20)"
    assert res["in_vocab", ""].n_pairs == 7


def test_in_vocab_is_the_mean_over_frequent_words_and_skips_empty_bands(tmp_path):
    lines = pair_lines(1, 0, 3) + pair_lines(2, 3, 3) + pair_lines(3, 7, 4)
    scores = {"1Aw": 0, "1An": 1, "1Bw": 0, "1Bn": 1,  # oov: 0
              "2Aw": 1, "2An": 0, "2Bw": 1, "2Bn": 0,  # 1-5: 1
              "3Aw": 1, "3An": 1, "3Bw": 0, "3Bn": 1}  # 6-20: 0.25
    res = rows(score_lexical(*write(tmp_path, lines, scores)))
    assert res["all", ""].score == pytest.approx((0 + 1 + 0.25) / 3)
    assert res["in_vocab", ""].score == pytest.approx((1 + 0.25) / 2)
    assert res["frequency", ">100"].n_pairs == 0 and math.isnan(res["frequency", ">100"].score)
    assert res["length", "3"].n_pairs == 2 and res["length", "4"].score == 0.25
    assert res["all", ""].std is None and res["frequency", "1-5"].std != res["frequency", "1-5"].std  # one pair: NaN


def test_pairs_are_labelled_by_phones_when_non_words_have_no_spelling(tmp_path):
    (pair,) = score_lexical(*write(tmp_path, pair_lines(1, 3, 2), {"1Aw": 0, "1An": 0, "1Bw": 0, "1Bn": 0})).pairs
    assert (pair.word, pair.non_word) == ("p h", "q h")


def test_every_word_meets_every_non_word_of_its_id_and_voice(tmp_path):
    lines = pair_lines(1, 3, 2, voices=("A",)) + ["1,1An2,A,,,r h,2,0"]
    (pair,) = score_lexical(*write(tmp_path, lines, {"1Aw": 0, "1An": -1, "1An2": 1})).pairs
    assert pair.n_comparisons == 2 and pair.score == 0.5


@pytest.mark.parametrize(
    "lines, message",
    [
        (["1,x,A,3,w,p,2,1"], r"gold\.csv:2: id '1' has no non-word in voice 'A'"),
        (["1,x,A,3,w,p,2,1", "1,y,B,,,p,2,0"], r"gold\.csv:2: id '1' has no non-word in voice 'A'"),
        (["1,x,A,3,w,p,2,yes"], r"gold\.csv:2: 'correct' must be 1 or 0, found 'yes'"),
        (["1,x,A,many,w,p,2,1"], r"gold\.csv:2: frequency must be a whole number >= 0, found 'many'"),
        (["1,x,A,,w,p,2,1"], r"gold\.csv:2: frequency must be a whole number"),
        (["1,x,A,3,w,p,2,1", "1,x,A,,,p,2,0"], r"gold\.csv:3: file 'x' is listed twice \(also line 2\)"),
        (["1,x,A,3,w,p,2"], r"gold\.csv:2: expected 8 fields, found 7"),
    ],
)
@pytest.mark.filterwarnings("ignore:.*not in")
def test_bad_gold_files_are_refused(tmp_path, lines, message):
    gold = tmp_path / "gold.csv"
    gold.write_text(HEADER + "".join(line + "\n" for line in lines))
    txt = tmp_path / "dev.txt"
    txt.write_text("x 1\ny 2\n")
    with pytest.raises(InputError, match=message):
        score_lexical(gold, txt)


def test_a_gold_file_without_a_column_is_refused(tmp_path):
    gold = tmp_path / "gold.csv"
    gold.write_text("id,filename,voice,word,phones,length,correct\n1,x,A,w,p,2,1\n")
    with pytest.raises(InputError, match=r"gold\.csv:1: missing column\(s\) frequency"):
        score_lexical(gold, tmp_path / "dev.txt")


def test_a_score_file_missing_a_gold_file_is_refused(tmp_path):
    gold, txt = write(tmp_path, pair_lines(1, 3, 2), {"1Aw": 0, "1An": 0, "1Bw": 0})
    with pytest.raises(InputError, match=r"dev\.txt: no score for '1Bn' \(gold line 5\)"):
        score_lexical(gold, txt)
