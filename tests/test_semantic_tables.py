"""Reading gold.csv and pairs.csv: fields as text, human scores as floats, errors with file:line."""

import math

import pytest

from vgprobe.errors import InputError
from vgprobe.zerospeech.semantic.tables import read_gold, read_pairs

GOLD = "type,filename,word,voice\nsynthetic,s1,null,voice_a\nlibrispeech,l1,cat,\n"
PAIRS = "type,dataset,word_1,word_2,similarity,relatedness\nsynthetic,ws353,nan,dog,,7.5\nlibrispeech,rw,cat,dog,3,\n"


def write(tmp_path, name, text):
    path = tmp_path / name
    path.write_text(text)
    return path


def test_gold_rows_keep_words_as_text_and_line_numbers(tmp_path):
    tokens = read_gold(write(tmp_path, "gold.csv", GOLD))
    assert [(t.type, t.filename, t.word, t.voice, t.line) for t in tokens] == [
        ("synthetic", "s1", "null", "voice_a", 2),
        ("librispeech", "l1", "cat", "", 3),
    ]


def test_gold_without_voice_column_is_fine_for_librispeech(tmp_path):
    tokens = read_gold(write(tmp_path, "gold.csv", "type,filename,word\nlibrispeech,l1,cat\n"))
    assert tokens[0].voice == ""


def test_pairs_parse_empty_human_scores_as_nan(tmp_path):
    first, second = read_pairs(write(tmp_path, "pairs.csv", PAIRS))
    assert (first.word_1, first.relatedness, first.line) == ("nan", 7.5, 2)
    assert math.isnan(first.similarity) and math.isnan(second.relatedness) and second.similarity == 3.0


@pytest.mark.parametrize(
    "text, message",
    [
        ("type,filename,word,voice\nsynthetic,s1,cat,\n", r"gold.csv:2: synthetic token 's1' has no voice"),
        ("type,filename,word,voice\nvideo,s1,cat,v\n", r"gold.csv:2: unknown type 'video'"),
        ("type,filename,voice\nsynthetic,s1,v\n", r"gold.csv:1: missing column\(s\) word"),
        ("type,filename,word,voice\nsynthetic,s1,cat,v\nsynthetic,s1,dog,v\n", r"gold.csv:3: .*listed twice \(also line 2\)"),
        ("type,filename,word,voice\nsynthetic,s1,cat\n", r"gold.csv:2: expected 4 fields, found 3"),
        ("type,filename,word,voice\n", r"gold.csv: no tokens"),
        ("", r"gold.csv: empty file"),
    ],
)
def test_bad_gold_files_name_the_line(tmp_path, text, message):
    with pytest.raises(InputError, match=message):
        read_gold(write(tmp_path, "gold.csv", text))


@pytest.mark.parametrize(
    "text, message",
    [
        (PAIRS.replace("7.5", "high"), r"pairs.csv:2: relatedness 'high' is not a number"),
        (PAIRS.replace("rw,cat", "rw,"), r"pairs.csv:3: expected a dataset name and two words"),
        ("type,dataset,word_1,word_2,similarity\n", r"pairs.csv:1: missing column\(s\) relatedness"),
    ],
)
def test_bad_pairs_files_name_the_line(tmp_path, text, message):
    with pytest.raises(InputError, match=message):
        read_pairs(write(tmp_path, "pairs.csv", text))


def test_missing_file_is_an_input_error(tmp_path):
    with pytest.raises(InputError, match="file not found"):
        read_pairs(tmp_path / "nope.csv")
