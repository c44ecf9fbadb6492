"""``vgprobe lexical`` and ``vgprobe syntactic``: explicit files, submission folder, JSON/CSV, one-line errors."""

import json
import shutil

import pandas as pd
import pytest

from lm_data import write_lexical_gold, write_scores, write_syntactic_gold
from vgprobe.cli import main
from vgprobe.zerospeech.lm.lexical import score_lexical
from vgprobe.zerospeech.lm.syntactic import score_syntactic

TASKS = {"lexical": (write_lexical_gold, score_lexical), "syntactic": (write_syntactic_gold, score_syntactic)}


@pytest.fixture
def files(tmp_path):
    out = {}
    for task, (write_gold, _) in TASKS.items():
        gold = write_gold(tmp_path / "zr" / task / "dev" / "gold.csv", seed=3)
        out[task] = (gold, write_scores(gold, tmp_path / f"{task}.txt", kind="ties", seed=2))
    return tmp_path, out


@pytest.mark.parametrize("task", TASKS)
def test_json_equals_the_library_and_csv_holds_the_same_rows(files, task, capsys):
    root, out = files
    gold, scores = out[task]
    csv = root / "res" / f"{task}.csv"
    assert main([task, "--gold", str(gold), "--scores", str(scores), "--json", "--out", str(csv)]) == 0
    rows = json.loads(capsys.readouterr().out)
    expected = TASKS[task][1](gold, scores).results
    assert [r["score"] for r in rows] == [r.score for r in expected]
    assert rows[0]["breakdown"] == "all"
    frame = pd.read_csv(csv)
    assert frame["score"].tolist() == pytest.approx([r.score for r in expected], abs=1e-15, nan_ok=True)
    assert [p.name for p in csv.parent.iterdir()] == [csv.name]


@pytest.mark.parametrize("task", TASKS)
def test_the_submission_form_reads_task_split_txt(files, task, capsys):
    root, out = files
    gold, scores = out[task]
    (root / "sub" / task).mkdir(parents=True)
    shutil.copy(scores, root / "sub" / task / "dev.txt")
    assert main([task, "--submission", str(root / "sub"), "--data", str(root / "zr"), "--json"]) == 0
    from_submission = capsys.readouterr().out
    assert main([task, "--gold", str(gold), "--scores", str(scores), "--json"]) == 0
    assert from_submission == capsys.readouterr().out


def test_tables_print_accuracies_in_percent_and_flag_the_extra_rows(files, capsys):
    _, out = files
    assert main(["lexical", "--gold", str(out["lexical"][0]), "--scores", str(out["lexical"][1])]) == 0
    text = capsys.readouterr().out
    assert "accuracy %" in text and "[5, 20)" in text and "official labels" in text
    assert main(["syntactic", "--gold", str(out["syntactic"][0]), "--scores", str(out["syntactic"][1])]) == 0
    assert "* per-subtype rows: a vgprobe extra" in capsys.readouterr().out


@pytest.mark.parametrize("task", TASKS)
@pytest.mark.parametrize(
    "edit, message",
    [
        (lambda lines: lines[1:], "no score for"),
        (lambda lines: lines + lines[:1], "is listed twice (also line 1)"),
        (lambda lines: [lines[0].split()[0] + " -x"] + lines[1:], ":1: score '-x'"),
    ],
)
def test_bad_score_files_exit_2_naming_file_and_line_and_write_nothing(files, task, edit, message, capsys):
    root, out = files
    gold, scores = out[task]
    scores.write_text("\n".join(edit(scores.read_text().splitlines())) + "\n")
    csv = root / "res.csv"
    assert main([task, "--gold", str(gold), "--scores", str(scores), "--out", str(csv)]) == 2
    err = capsys.readouterr().err
    assert f"vgprobe {task}: error: {scores}" in err and message in err
    assert not csv.exists()


@pytest.mark.parametrize(
    "args, message",
    [
        (["--gold", "g.csv"], "--gold and --scores go together"),
        (["--data", "zr"], "--submission and --data go together"),
        ([], "give --gold and --scores, or --submission and --data"),
    ],
)
def test_missing_flags_are_one_line_errors(args, message, capsys):
    assert main(["lexical"] + args) == 2
    assert message in capsys.readouterr().err


def test_a_missing_gold_folder_is_named(tmp_path, capsys):
    (tmp_path / "sub" / "lexical").mkdir(parents=True)
    (tmp_path / "sub" / "lexical" / "dev.txt").write_text("a 1\n")
    assert main(["lexical", "--submission", str(tmp_path / "sub"), "--data", str(tmp_path / "zr")]) == 2
    assert f"{tmp_path / 'zr' / 'lexical' / 'dev' / 'gold.csv'}: gold file not found" in capsys.readouterr().err
