"""``vgprobe semantic``: explicit files, submission folder, JSON/CSV output, and the config branch."""

import json
import shutil

import pandas as pd
import pytest

from semantic_data import write_semantic_set
from vgprobe.cli import main
from vgprobe.commands import semantic as command
from vgprobe.zerospeech.semantic import POOLINGS, score_semantic


@pytest.fixture(scope="module")
def data(tmp_path_factory):
    return write_semantic_set(tmp_path_factory.mktemp("cli"), seed=2, n_words=10, pairs_per_dataset=6, dim=4)


def explicit(data):
    return ["semantic", "--features", str(data.features), "--gold", str(data.gold), "--pairs", str(data.pairs)]


def test_json_output_matches_the_library_with_the_default_max_cosine(data, capsys):
    assert main(explicit(data) + ["--json"]) == 0
    rows = json.loads(capsys.readouterr().out)
    expected = score_semantic(data.features, data.gold, data.pairs, pool="max", metric="cosine")
    assert [(r["type"], r["dataset"], r["correlation"], r["n_pairs"]) for r in rows] == [
        (r.type, r.dataset, r.correlation, r.n_pairs) for r in expected
    ]
    assert {r["dataset"] for r in rows} >= {"mean", "weighted_mean"}


def test_table_output_and_csv_file(data, tmp_path, capsys):
    out = tmp_path / "res" / "semantic.csv"
    assert main(explicit(data) + ["--pool", "mean", "--metric", "euclidean", "--out", str(out)]) == 0
    printed = capsys.readouterr().out
    assert "weighted_mean" in printed and "correlation" in printed
    frame = pd.read_csv(out)
    expected = score_semantic(data.features, data.gold, data.pairs, pool="mean", metric="euclidean")
    assert frame["correlation"].tolist() == pytest.approx([r.correlation for r in expected], abs=1e-12)
    assert [p.name for p in out.parent.iterdir()] == ["semantic.csv"]  # no temporary file left


def test_submission_form(data, tmp_path, capsys):
    shutil.copytree(data.features, tmp_path / "sub" / "semantic" / "test")
    (tmp_path / "zr" / "semantic" / "test").mkdir(parents=True)
    shutil.copy(data.gold, tmp_path / "zr" / "semantic" / "test" / "gold.csv")
    shutil.copy(data.pairs, tmp_path / "zr" / "semantic" / "test" / "pairs.csv")
    args = ["semantic", "--submission", str(tmp_path / "sub"), "--data", str(tmp_path / "zr"), "--split", "test", "--json"]
    assert main(args) == 0
    submission_rows = json.loads(capsys.readouterr().out)
    assert main(explicit(data) + ["--json"]) == 0
    assert submission_rows == json.loads(capsys.readouterr().out)


@pytest.mark.parametrize(
    "extra, message",
    [
        ([], "no out given: pass --submission/--features explicitly, or set them in ./vgprobe.toml"),
        (["--features", "x"], "--features, --gold and --pairs go together"),
        (["--data", "x"], "--submission and --data go together"),
    ],
)
def test_missing_flags_are_one_line_errors(extra, message, capsys, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)  # no vgprobe.toml here
    for key in ("VGPROBE_CONFIG", "VGPROBE_OUT", "VGPROBE_DATA", "VGPROBE_CHECKPOINT", "VGPROBE_SPLIT"):
        monkeypatch.delenv(key, raising=False)
    assert main(["semantic"] + extra) == 2
    assert message in capsys.readouterr().err


def test_bad_input_exits_2_with_the_file_named(data, tmp_path, capsys):
    pairs = tmp_path / "pairs.csv"
    pairs.write_text(data.pairs.read_text() + "librispeech,men,w000,nothere,,1\n")
    args = ["semantic", "--features", str(data.features), "--gold", str(data.gold), "--pairs", str(pairs), "--out", str(tmp_path / "r.csv")]
    assert main(args) == 2
    assert "word 'nothere' has no tokens" in capsys.readouterr().err
    assert not (tmp_path / "r.csv").exists()


def test_cli_poolings_are_the_library_poolings():
    assert command.POOLINGS == POOLINGS
