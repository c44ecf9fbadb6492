"""The sSIMI pipeline: files in, result rows out; every kind of bad input is a clear error."""

import json
import math
import shutil

import numpy as np
import pytest

from semantic_data import write_semantic_set
from vgprobe.errors import InputError
from vgprobe.zerospeech.semantic import (
    SemanticResult,
    results_to_frame,
    results_to_json,
    score_semantic,
    score_semantic_pairs,
    score_semantic_submission,
)


@pytest.fixture()
def data(tmp_path):
    return write_semantic_set(tmp_path / "set", seed=1, n_words=10, pairs_per_dataset=6, dim=4)


def score(data, **kw):
    return score_semantic(data.features, data.gold, data.pairs, **{"pool": "max", "metric": "cosine", **kw})


def test_rows_per_dataset_then_mean_and_weighted_mean_per_type(data):
    results = score(data)
    assert [(r.type, r.dataset) for r in results] == [
        ("librispeech", "men"), ("librispeech", "rw"), ("librispeech", "simlex"), ("librispeech", "ws353rel"),
        ("synthetic", "mc-30"), ("synthetic", "simlex"), ("synthetic", "ws353"),
        ("librispeech", "mean"), ("librispeech", "weighted_mean"), ("synthetic", "mean"), ("synthetic", "weighted_mean"),
    ]
    assert all(-100 <= r.correlation <= 100 for r in results)
    assert results[-1].n_pairs == sum(r.n_pairs for r in results[4:7])


def test_pair_distances_come_back_in_pairs_file_order(data):
    scores = score_semantic_pairs(data.features, data.gold, data.pairs, pool="mean", metric="euclidean")
    assert len(scores.distances) == len(scores.pairs) == len(data.pairs.read_text().splitlines()) - 1
    assert [p.line for p in scores.pairs] == list(range(2, len(scores.pairs) + 2))


def test_submission_form_reads_the_zr2021_layout(data, tmp_path):
    shutil.copytree(data.features, tmp_path / "sub" / "semantic" / "dev")
    (tmp_path / "zr" / "semantic" / "dev").mkdir(parents=True)
    shutil.copy(data.gold, tmp_path / "zr" / "semantic" / "dev" / "gold.csv")
    shutil.copy(data.pairs, tmp_path / "zr" / "semantic" / "dev" / "pairs.csv")
    assert score_semantic_submission(tmp_path / "sub", tmp_path / "zr", "dev", pool="max", metric="cosine") == score(data)


def test_several_feature_formats_need_ext(data):
    for path in (data.features / "synthetic").glob("*.txt"):
        np.save(path.with_suffix(".npy"), np.loadtxt(path, ndmin=2))
    with pytest.raises(InputError, match=r"several feature formats found: \.npy .*choose one with --ext"):
        score(data)
    assert score(data, ext=".txt") == score(data, ext=".txt")
    with pytest.raises(InputError, match=r"gold\.csv:\d+: no feature file for librispeech token .* \(expected .*\.npy\)"):
        score(data, ext=".npy")


def test_gold_naming_a_missing_feature_file(data):
    victim = next((data.features / "librispeech").glob("*.txt"))
    victim.unlink()
    with pytest.raises(InputError, match=rf"gold\.csv:\d+: no feature file for librispeech token '{victim.stem}'"):
        score(data)


def test_a_word_with_more_than_ten_tokens(data):
    word = next(line for line in data.pairs.read_text().splitlines() if line.startswith("librispeech")).split(",")[2]
    lines = data.gold.read_text().splitlines()
    stem = next(line for line in lines if line.startswith("librispeech,") and line.split(",")[2] == word).split(",")[1]
    src = data.features / "librispeech" / f"{stem}.txt"
    for k in range(11):
        shutil.copy(src, src.with_name(f"extra{k}.txt"))
    data.gold.write_text("\n".join(lines + [f"librispeech,extra{k},{word}," for k in range(11)]) + "\n")
    with pytest.raises(InputError, match=rf"gold\.csv: librispeech word '{word}' has \d+ tokens \(lines .*\); expected 1 to 10"):
        score(data)


def test_a_pair_whose_word_has_no_tokens(data):
    with data.pairs.open("a") as f:
        f.write("librispeech,men,w000,unknownword,,5.0\n")
    n = len(data.pairs.read_text().splitlines())
    with pytest.raises(InputError, match=rf"pairs\.csv:{n}: librispeech word 'unknownword' has no tokens in .*gold\.csv"):
        score(data)


def test_a_synthetic_pair_without_a_shared_voice(data):
    lines = data.gold.read_text().splitlines()
    lines = [line.replace(",voice_", ",solo_") if ",w000," in line and line.startswith("synthetic") else line for line in lines]
    data.gold.write_text("\n".join(lines) + "\n")
    with data.pairs.open("a") as f:
        f.write("synthetic,ws353,w000,w001,,5.0\n")
    with pytest.raises(InputError, match=r"pairs\.csv:\d+: synthetic words 'w000' and 'w001' share no voice"):
        score(data)


def test_a_single_frame_file_with_lastlast(data):
    victim = next((data.features / "synthetic").glob("*.txt"))
    np.savetxt(victim, np.ones((1, 4)))
    with pytest.raises(InputError, match=rf"{victim.name}: 1 frame\(s\); pooling 'lastlast' needs at least 2"):
        score(data, pool="lastlast")
    score(data, pool="last")


def test_nan_features(data):
    victim = next((data.features / "librispeech").glob("*.txt"))
    np.savetxt(victim, np.full((3, 4), np.nan))
    with pytest.raises(InputError, match=rf"{victim.name}: features contain NaN"):
        score(data)


def test_a_dataset_with_neither_human_column_filled(data):
    with data.pairs.open("a") as f:
        f.write("librispeech,men,w000,w001,,\n")
    with pytest.raises(InputError, match=r"pairs\.csv: dataset 'men' \(librispeech\): relatedness is empty"):
        score(data)


def test_frame_and_json_views():
    results = [SemanticResult("synthetic", "x", 12.5, 3, 2.0, 20.0), SemanticResult("synthetic", "mean", math.nan, 3)]
    frame = results_to_frame(results)
    assert list(frame.columns) == ["type", "dataset", "correlation", "ci_low", "ci_high", "n_pairs"]
    assert frame["n_pairs"].tolist() == [3, 3]
    assert frame["ci_low"].tolist()[0] == 2.0 and math.isnan(frame["ci_low"].tolist()[1])
    assert json.loads(results_to_json(results)) == [
        {"type": "synthetic", "dataset": "x", "correlation": 12.5, "ci_low": 2.0, "ci_high": 20.0, "n_pairs": 3},
        {"type": "synthetic", "dataset": "mean", "correlation": None, "ci_low": None, "ci_high": None, "n_pairs": 3},
    ]
