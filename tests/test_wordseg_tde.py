"""ZeroSpeech term-discovery export (class file, .wrd/.phn gold) and scoring with zerospeech-tde."""

from __future__ import annotations

import sys

import pytest

from vgprobe.analysis.wordseg import GoldAlignments, UtterancePrediction, Word
from vgprobe.analysis.wordseg.tde import class_file_lines, score_class_file, tde_scores, write_tde_gold
from vgprobe.errors import ConfigError, InputError

# two word types, "ab" = phones a b, "cd" = phones c d
WORDS = {"u1": (Word(0.1, 0.3, "ab"), Word(0.3, 0.5, "cd"), Word(0.6, 0.8, "ab")),
         "u2": (Word(0.0, 0.2, "cd"), Word(0.25, 0.45, "ab"))}


def phones_of(words):
    out = []
    for w in words:
        mid = round((w.onset + w.offset) / 2, 6)
        out += [Word(w.onset, mid, w.label[0]), Word(mid, w.offset, w.label[1])]
    return tuple(out)


GOLD = GoldAlignments(words=WORDS, phones={u: phones_of(ws) for u, ws in WORDS.items()})


def prediction(codes: dict[str, list[int]]) -> dict[str, UtterancePrediction]:
    """One segment per gold word, with the given codes."""
    return {u: UtterancePrediction(0.02, tuple((w.onset, w.offset) for w in ws),
                                   tuple((w.onset + w.offset) / 2 for w in ws), tuple(codes[u])) for u, ws in WORDS.items()}


def test_the_class_file_has_one_block_per_code_each_closed_by_a_blank_line():
    lines = class_file_lines(prediction({"u1": [5, 2, 5], "u2": [2, 5]}))
    assert "".join(lines) == ("Class 2\nu1 0.300000 0.500000\nu2 0.000000 0.200000\n\n"
                              "Class 5\nu1 0.100000 0.300000\nu1 0.600000 0.800000\nu2 0.250000 0.450000\n\n")
    with pytest.raises(InputError, match="no segment"):
        class_file_lines({"u1": UtterancePrediction(0.02, (), (), ())})


def test_gold_files_have_utt_onset_offset_label_lines_and_silence_between_phones(tmp_path):
    wrd, phn = write_tde_gold(tmp_path, GOLD, ["u2"])
    assert wrd.read_text() == "u2 0.000000 0.200000 cd\nu2 0.250000 0.450000 ab\n"
    assert phn.read_text() == ("u2 0.000000 0.100000 c\nu2 0.100000 0.200000 d\nu2 0.200000 0.250000 SIL\n"
                               "u2 0.250000 0.350000 a\nu2 0.350000 0.450000 b\n")


def test_phone_units_are_required_unless_words_are_chosen(tmp_path):
    no_phones = GoldAlignments(words=WORDS)
    with pytest.raises(ConfigError, match="phone alignments"):
        write_tde_gold(tmp_path, no_phones, ["u1"])
    _, phn = write_tde_gold(tmp_path, no_phones, ["u1"], units="words")
    assert phn.read_text().splitlines()[:2] == ["u1 0.000000 0.100000 SIL", "u1 0.100000 0.300000 ab"]


def test_labels_with_spaces_cannot_be_written(tmp_path):
    gold = GoldAlignments(words={"u1": (Word(0.1, 0.3, "new york"),)})
    with pytest.raises(InputError, match="'new york'"):
        write_tde_gold(tmp_path, gold, ["u1"], units="words")


def test_a_missing_package_is_a_clear_error(tmp_path, monkeypatch):
    monkeypatch.setitem(sys.modules, "tde", None)
    monkeypatch.setitem(sys.modules, "tde.measures.boundary", None)
    with pytest.raises(ConfigError, match=r"zerospeech-tde.*pip install 'vgprobe\[tde\]'"):
        score_class_file(tmp_path / "x.class", tmp_path / "g.wrd", tmp_path / "g.phn")


def test_a_perfect_discovery_scores_one_everywhere(tmp_path):
    pytest.importorskip("tde")
    out = tde_scores(GOLD, prediction({"u1": [0, 1, 0], "u2": [1, 0]}), tmp_path)
    assert out["ned"] == 0.0 and out["ned_n_pairs"] == 3 + 1  # C(3,2) pairs of "ab" + 1 of "cd"
    assert out["coverage"] == 1.0
    for name in ("boundary", "token", "type", "grouping"):
        assert out[name] == {"precision": 1.0, "recall": 1.0, "fscore": 1.0}, name
    assert out["units"] == "phones" and out["n_intervals"] == 5 and out["n_classes"] == 2


def test_a_class_mixing_two_word_types_has_the_hand_computed_ned_and_grouping(tmp_path):
    pytest.importorskip("tde")
    # class 0 = ab, ab, ab, cd; class 1 = cd
    out = tde_scores(GOLD, prediction({"u1": [0, 1, 0], "u2": [0, 0]}), tmp_path)
    # pairs of class 0: 3 (ab, ab) at distance 0 and 3 (ab, cd) at 2 edits / 2 phones = 1
    assert out["ned"] == pytest.approx(3 / 6) and out["ned_n_pairs"] == 6
    assert out["token"]["precision"] == 1.0 and out["coverage"] == 1.0  # every segment is still a word
    # grouping: found pairs = class 0's 6, of which the 3 (ab, ab) are gold; the gold (cd, cd) pair is split
    # precision = 3/4 (ab tokens) x 3/3 + 1/4 (cd) x 0; recall = 3/5 (ab) x 3/3 + 2/5 (cd) x 0
    assert out["grouping"]["precision"] == pytest.approx(0.75) and out["grouping"]["recall"] == pytest.approx(0.6)


def test_segments_spanning_two_words_miss_tokens_and_boundaries(tmp_path):
    pytest.importorskip("tde")
    pred = {"u1": UtterancePrediction(0.02, ((0.1, 0.5), (0.6, 0.8)), (0.3, 0.7), (0, 1)),
            "u2": UtterancePrediction(0.02, ((0.0, 0.45),), (0.225,), (0,))}
    out = tde_scores(GOLD, pred, tmp_path)
    assert out["token"]["precision"] == pytest.approx(1 / 3)  # only u1's second "ab" is a word
    assert out["token"]["recall"] == pytest.approx(1 / 5)
    assert out["boundary"]["recall"] < 1.0 and out["coverage"] == 1.0
