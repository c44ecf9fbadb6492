"""The strict ``<filename> <score>`` reader: what the official scorers let through, vgprobe refuses."""

import math

import pytest

from vgprobe.errors import InputError
from vgprobe.zerospeech.lm.score_file import read_scores, scores_for


def write(tmp_path, text, name="dev.txt"):
    path = tmp_path / name
    path.write_text(text)
    return path


def test_scores_and_line_numbers_blank_lines_skipped(tmp_path):
    path = write(tmp_path, "aa -1.5\n\nbb 2e-3\ncc -inf\ndd +.5\n")
    scores = read_scores(path)
    assert scores["aa"] == (-1.5, 1) and scores["bb"] == (0.002, 3) and scores["dd"] == (0.5, 5)
    assert scores["cc"][0] == -math.inf


@pytest.mark.parametrize(
    "text, message",
    [
        ("aa 1.0\naa 2.0\n", r"dev\.txt:2: 'aa' is listed twice \(also line 1\)"),
        ("aa 1.0\nbb high\n", r"dev\.txt:2: score 'high' of 'bb' is not a number"),
        ("aa nan\n", r"dev\.txt:1: score 'nan' of 'aa' is not a number"),
        ("aa 1_000\n", r"dev\.txt:1: score '1_000'"),
        ("filename score\naa 1\n", r"dev\.txt:1: score 'score' of 'filename' is not a number"),
        ("aa  1.0\n", r"dev\.txt:1: expected '<filename> <score>' separated by one space"),
        ("aa\t1.0\n", r"dev\.txt:1: expected '<filename> <score>'"),
        ("aa 1.0 2.0\n", r"dev\.txt:1: expected '<filename> <score>'"),
        ("\n\n", r"dev\.txt: no scores"),
    ],
)
def test_malformed_files_are_refused_with_file_and_line(tmp_path, text, message):
    with pytest.raises(InputError, match=message):
        read_scores(write(tmp_path, text))


def test_a_missing_file_is_named(tmp_path):
    with pytest.raises(InputError, match=r"nope\.txt: score file not found"):
        read_scores(tmp_path / "nope.txt")


def test_every_gold_filename_needs_a_score(tmp_path):
    scores = read_scores(write(tmp_path, "aa 1\nbb 2\n"))
    with pytest.raises(InputError, match=r"dev\.txt: no score for 'cc' \(gold line 4\) of gold\.csv"):
        scores_for([("aa", 2), ("bb", 3), ("cc", 4)], scores, scores_path=tmp_path / "dev.txt", gold_path="gold.csv")


def test_extra_filenames_are_ignored_with_a_warning(tmp_path):
    scores = read_scores(write(tmp_path, "aa 1\nzz 9\nbb 2\n"))
    with pytest.warns(UserWarning, match=r"ignoring 'zz' \(line 2\): not in gold\.csv"):
        got = scores_for([("bb", 2), ("aa", 3)], scores, scores_path=tmp_path / "dev.txt", gold_path="gold.csv")
    assert got == [2.0, 1.0]
