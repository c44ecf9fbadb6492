"""Gold alignments read from JSON, TextGrid and .wrd give the same words and the same metrics; bad files are named."""

from __future__ import annotations

import json

import numpy as np
import pytest
from wordseg_reference import A, a_inputs, load_json

from vgprobe.analysis.wordseg import (GoldAlignments, Word, read_gold, read_pred, read_segment_features,
                                      score_word_discovery, write_pred)
from vgprobe.errors import InputError


# tiny corpora leave some values undefined; the tests that are about it check the warnings
pytestmark = pytest.mark.filterwarnings("ignore::vgprobe.analysis.wordseg.WordDiscoveryWarning")

def write_textgrids(folder, gold: dict, *, tier="words", with_phones=False):
    """MFA-like TextGrids: silences as empty intervals, optionally a phones tier (two halves per word)."""
    from praatio import textgrid
    from praatio.data_classes.interval_tier import IntervalTier
    from praatio.utilities.constants import Interval

    folder.mkdir(parents=True, exist_ok=True)
    for utt, items in gold.items():
        end = items[-1][1] + 0.3
        tg = textgrid.Textgrid()
        tg.addTier(IntervalTier(tier, [Interval(on, off, w) for on, off, w in items], 0, end))
        if with_phones:
            phones = []
            for on, off, w in items:
                mid = (on + off) / 2
                phones += [Interval(on, mid, w[0]), Interval(mid, off, w[1:] or w)]
            tg.addTier(IntervalTier("phones", phones, 0, end))
        tg.save(str(folder / f"{utt}.TextGrid"), format="long_textgrid", includeBlankSpaces=True)
    return folder


def write_wrd_folder(folder, gold: dict):
    folder.mkdir(parents=True, exist_ok=True)
    for utt, items in gold.items():
        (folder / f"{utt}.wrd").write_text("".join(f"{on!r} {off!r} {w}\n" for on, off, w in items))
    return folder


def write_wrd_file(path, gold: dict):
    lines = [f"{utt} {on!r} {off!r} {w}\n" for utt, items in gold.items() for on, off, w in reversed(items)]
    path.write_text("".join(lines))  # words are sorted by onset when read
    return path


def same(a, b) -> bool:
    """Equal, with NaN equal to NaN (json round trip of the non-finite values)."""
    from vgprobe.analysis.wordseg.report import json_ready

    return json_ready(a) == json_ready(b)


@pytest.fixture(scope="module")
def a_gold_json():
    return load_json(A / "gold.json")


@pytest.fixture(scope="module")
def json_report():
    gold, pred, feats = a_inputs()
    return score_word_discovery(gold, pred, features=feats, details=True)


@pytest.mark.parametrize("layout", ["textgrid_folder", "wrd_folder", "wrd_file"])
def test_every_gold_layout_gives_the_words_and_metrics_of_the_json(layout, tmp_path, a_gold_json, json_report):
    if layout == "textgrid_folder":
        path = write_textgrids(tmp_path / "tg", a_gold_json)
    elif layout == "wrd_folder":
        path = write_wrd_folder(tmp_path / "wrd", a_gold_json)
    else:
        path = write_wrd_file(tmp_path / "gold.wrd", a_gold_json)
    gold = read_gold(path)
    json_gold = read_gold(A / "gold.json")
    assert set(gold.words) == set(json_gold.words)
    assert all(gold.words[u] == json_gold.words[u] for u in json_gold.words)
    _, pred, feats = a_inputs()
    report = score_word_discovery(gold, pred, features=feats, details=True)
    for block in ("boundary", "area", "word", "buckeye_eval", "details", "per_utterance"):
        assert same(report[block], json_report[block]), block


def test_textgrid_silences_are_dropped_and_counted_and_phones_are_read(tmp_path):
    gold = {"u1": [[0.1, 0.3, "ba"], [0.5, 0.7, "cu"]]}
    path = write_textgrids(tmp_path / "tg", gold, with_phones=True)
    read = read_gold(path)
    assert read.words["u1"] == (Word(0.1, 0.3, "ba"), Word(0.5, 0.7, "cu"))
    assert read.phones["u1"] == (Word(0.1, 0.2, "b"), Word(0.2, 0.3, "a"), Word(0.5, 0.6, "c"), Word(0.6, 0.7, "u"))
    with_sil = {"u1": [[0.0, 0.1, "sil"], [0.1, 0.3, "ba"], [0.3, 0.5, "sp"], [0.5, 0.7, "cu"]]}
    read = read_gold(write_textgrids(tmp_path / "tg2", with_sil))
    assert [w.label for w in read.words["u1"]] == ["ba", "cu"] and read.n_silences_dropped == 2


def test_the_word_tier_is_found_by_name_or_as_the_speakers_words_tier(tmp_path):
    gold = {"u1": [[0.1, 0.3, "ba"]]}
    read = read_gold(write_textgrids(tmp_path / "a", gold, tier="spk1 - words"))
    assert read.words["u1"] == (Word(0.1, 0.3, "ba"),)
    read = read_gold(write_textgrids(tmp_path / "b", gold, tier="orth"), tier="orth")
    assert read.words["u1"] == (Word(0.1, 0.3, "ba"),)
    with pytest.raises(InputError, match=r"u1\.TextGrid.*no interval tier named 'words'.*'orth'"):
        read_gold(tmp_path / "b")


def test_a_single_textgrid_file_is_one_utterance(tmp_path):
    folder = write_textgrids(tmp_path / "tg", {"s01_003": [[0.1, 0.3, "ba"]]})
    assert list(read_gold(folder / "s01_003.TextGrid").words) == ["s01_003"]


def test_phone_alignments_can_come_from_phn_files(tmp_path):
    write_wrd_folder(tmp_path / "g", {"u1": [[0.1, 0.3, "ba"]]})
    (tmp_path / "g" / "u1.phn").write_text("0.1 0.2 b\n0.2 0.3 a\n")
    read = read_gold(tmp_path / "g")
    assert read.phones == {"u1": (Word(0.1, 0.2, "b"), Word(0.2, 0.3, "a"))}
    (tmp_path / "all.phn").write_text("u1 0.1 0.3 x\n")
    assert read_gold(tmp_path / "g", phones=tmp_path / "all.phn").phones == {"u1": (Word(0.1, 0.3, "x"),)}


@pytest.mark.parametrize("name, text, match", [
    ("bad.json", "{not json", r"bad\.json: not readable as JSON"),
    ("list.json", "[]", r"list\.json: expected an object"),
    ("entry.json", '{"u1": [[0.1, 0.3]]}', r"entry\.json: u1\[0\] = \[0\.1, 0\.3\]: expected \[onset, offset, word\]"),
    ("order.json", '{"u1": [[0.3, 0.1, "ba"]]}', r"order\.json: u1: word 'ba' \[0\.3, 0\.1\]: expected 0 <= onset < offset"),
    ("overlap.json", '{"u1": [[0.1, 0.3, "ba"], [0.2, 0.4, "cu"]]}', r"overlap\.json: u1: word 'cu' starts at 0\.2"),
    ("space.json", '{"u 1": [[0.1, 0.3, "ba"]]}', r"utterance id 'u 1'"),
    ("three.wrd", "u1 0.1 0.3 ba\nu1 0.4 cu\n", r"three\.wrd:2: 'u1 0\.4 cu': expected 'utt onset offset label'"),
    ("nums.wrd", "u1 0.1 0.3 ba\nu1 0.4 x0.5 cu\n", r"nums\.wrd:2: .*times in seconds"),
    ("gold.txt", "u1 0.1 0.3 ba\n", r"gold\.txt: unknown gold format"),
])
def test_malformed_gold_files_are_named_with_the_problem(tmp_path, name, text, match):
    (tmp_path / name).write_text(text)
    with pytest.raises(InputError, match=match):
        read_gold(tmp_path / name)


def test_malformed_wrd_in_a_folder_names_file_and_line(tmp_path):
    (tmp_path / "g").mkdir()
    (tmp_path / "g" / "u1.wrd").write_text("0.1 0.3 ba\n\n0.4 zero cu\n")
    with pytest.raises(InputError, match=r"u1\.wrd:3: '0\.4 zero cu'"):
        read_gold(tmp_path / "g")


def test_malformed_textgrid_and_unusable_folders_are_named(tmp_path):
    (tmp_path / "tg").mkdir()
    (tmp_path / "tg" / "u1.TextGrid").write_text('File type = "ooTextFile"\nObject class = "TextGrid"\n\nxmin = 0\n')
    with pytest.raises(InputError, match=r"u1\.TextGrid: not a readable Praat TextGrid"):
        read_gold(tmp_path / "tg")
    (tmp_path / "empty").mkdir()
    with pytest.raises(InputError, match=r"empty: found no \.TextGrid or \.wrd files"):
        read_gold(tmp_path / "empty")
    (tmp_path / "tg" / "u2.wrd").write_text("0.1 0.2 ba\n")
    with pytest.raises(InputError, match="both .TextGrid and .wrd"):
        read_gold(tmp_path / "tg")
    with pytest.raises(InputError, match="no such file or folder"):
        read_gold(tmp_path / "nowhere.json")


GOOD = {"spf": 0.02, "segments": [[0.1, 0.3], [0.4, 0.5]], "locations": [0.2, 0.45], "codes": [3, 4]}


@pytest.mark.parametrize("change, match", [
    ({"codes": [3]}, "2 segments, 2 locations, 1 codes"),
    ({"codes": [3, -1]}, r"codes\[1\] = -1: expected a non-negative integer"),
    ({"codes": [3, 4.0]}, r"codes\[1\] = 4\.0"),
    ({"segments": [[0.1, 0.3], [0.2, 0.5]]}, r"segments\[1\] starts at 0\.2 before segments\[0\] ends"),
    ({"segments": [[0.1, 0.3], [0.5, 0.4]]}, r"segments\[1\] = \[0\.5, 0\.4\]: expected \[start, end\]"),
    ({"spf": 0}, "spf=0: expected a positive number"),
    ({"locations": [0.2, None]}, r"locations\[1\] = None"),
    ({"extra": 1}, r"unknown keys \['extra'\]"),
    ({"frames": [[0, 1]]}, "frames: expected one"),
])
def test_malformed_predictions_are_named_with_the_problem(tmp_path, change, match):
    path = tmp_path / "pred.json"
    path.write_text(json.dumps({"u1": {**GOOD, **change}}))
    with pytest.raises(InputError, match=f"pred.json: u1: {match}"):
        read_pred(path)


def test_predictions_round_trip_and_a_rejected_set_is_never_written(tmp_path):
    path = write_pred(tmp_path / "p.json", {"u1": GOOD})
    assert json.loads(path.read_text()) == {"u1": GOOD}
    assert read_pred(path)["u1"].codes == (3, 4)
    with pytest.raises(InputError):
        write_pred(tmp_path / "q.json", {"u1": {**GOOD, "codes": [1]}})
    assert not (tmp_path / "q.json").exists() and list(tmp_path.iterdir()) == [path]


def test_segment_features_must_have_one_row_per_segment(tmp_path):
    pred = {"u1": read_pred(write_pred(tmp_path / "p.json", {"u1": GOOD}))["u1"]}
    np.savez(tmp_path / "f.npz", u1=np.zeros((3, 4), np.float32))
    with pytest.raises(InputError, match=r"f\.npz: u1: 3 feature rows for 2 segments"):
        read_segment_features(tmp_path / "f.npz", pred)
    np.savez(tmp_path / "g.npz", u2=np.zeros((2, 4), np.float32))
    with pytest.raises(InputError, match=r"g\.npz: no features for utterance 'u1'"):
        read_segment_features(tmp_path / "g.npz", pred)
    (tmp_path / "h.npz").write_text("nope")
    with pytest.raises(InputError, match=r"h\.npz: not a readable \.npz"):
        read_segment_features(tmp_path / "h.npz")


def test_gold_can_be_given_as_a_plain_mapping():
    gold = GoldAlignments(words={"u1": (Word(0.0, 0.3, "ba"),)})
    pred = {"u1": {"spf": 0.02, "segments": [[0.0, 0.3]], "locations": [0.15], "codes": [0]}}
    assert score_word_discovery(gold, pred)["area"] == score_word_discovery({"u1": [[0.0, 0.3, "ba"]]}, pred)["area"]
