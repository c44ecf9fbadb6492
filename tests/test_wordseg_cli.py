"""``vgprobe analyze wordseg`` end to end on the reference files: its JSON equals the reference numbers."""

from __future__ import annotations

import json

import numpy as np
import pytest
from wordseg_reference import A, C, assert_block_equal, c_predictions, expected, expected_word_block, load_json

from vgprobe.analysis.wordseg import write_pred
from vgprobe.analysis.wordseg.report import from_json
from vgprobe.cli import main


def run_json(capsys, *args) -> tuple[dict, str]:
    assert main(["analyze", "wordseg", *map(str, args), "--json"]) == 0
    out = capsys.readouterr()
    return from_json(json.loads(out.out)), out.err


def test_reference_set_a_through_the_cli(capsys):
    report, err = run_json(capsys, "--gold", A / "gold.json", "--pred", A / "pred.json", "--feats", A / "feats.npz",
                           "--details")
    want = expected("A")
    assert err == ""
    assert_block_equal(report["boundary"], want["boundary"])
    assert_block_equal(report["area"], want["area"])
    assert_block_equal(report["word"], expected_word_block(want["word"]))
    assert_block_equal(report["buckeye_eval"], want["buckeye_eval"])
    assert report["details"]["codes_kept"] == want["details"]["codes_kept_var_le_1"]
    for utt, w in want["per_utterance"].items():
        assert report["per_utterance"][utt]["pred"] == w["pred"]


def test_tolerance_option(capsys):
    report, _ = run_json(capsys, "--gold", A / "gold.json", "--pred", A / "pred.json", "--tolerance", "0.03")
    assert_block_equal(report["boundary"], expected("A")["boundary_tol_0.03"])
    assert report["word"]["variance_filter"]["computed"] is False
    assert "purity_occ_var_le_1" not in report["word"] and "purity_occ_all_codes" in report["word"]


def test_reference_set_c_from_files_written_by_the_library(capsys, tmp_path):
    preds, feats = c_predictions(0.7)
    write_pred(tmp_path / "pred.json", preds)
    np.savez(tmp_path / "feats.npz", **feats)
    report, _ = run_json(capsys, "--gold", C / "gold.json", "--pred", tmp_path / "pred.json",
                         "--feats", tmp_path / "feats.npz")
    want = expected("C")["metrics"]["0.7"]
    for block in ("boundary", "area"):
        assert_block_equal(report[block], want[block])
    assert_block_equal(report["word"], expected_word_block(want["word"]))


def test_a_textgrid_gold_folder_gives_the_same_report(capsys, tmp_path):
    from test_wordseg_readers import write_textgrids

    folder = write_textgrids(tmp_path / "tg", load_json(A / "gold.json"))
    from_tg, _ = run_json(capsys, "--gold", folder, "--pred", A / "pred.json", "--feats", A / "feats.npz")
    from_js, _ = run_json(capsys, "--gold", A / "gold.json", "--pred", A / "pred.json", "--feats", A / "feats.npz")
    assert json.dumps(from_tg, sort_keys=True) == json.dumps(from_js, sort_keys=True)


def test_the_text_summary_shows_the_headline_numbers(capsys):
    assert main(["analyze", "wordseg", "--gold", str(A / "gold.json"), "--pred", str(A / "pred.json"),
                 "--feats", str(A / "feats.npz")]) == 0
    out = capsys.readouterr().out
    assert "F1 0.2356" in out and "A-score 0.6616" in out and "WD 86 of 366" in out
    assert "purity 0.5252" in out and "reference 0.2506" in out


def test_bad_input_exits_2_naming_the_file(capsys, tmp_path):
    bad = tmp_path / "pred.json"
    bad.write_text('{"a0000": {"spf": 0.02}}')
    assert main(["analyze", "wordseg", "--gold", str(A / "gold.json"), "--pred", str(bad)]) == 2
    err = capsys.readouterr().err
    assert "pred.json: a0000: missing keys" in err and err.count("\n") == 1


def test_differing_utterances_are_an_error_unless_allowed(capsys, tmp_path):
    pred = load_json(A / "pred.json")
    del pred["a0007"]
    (tmp_path / "pred.json").write_text(json.dumps(pred))
    args = ["analyze", "wordseg", "--gold", str(A / "gold.json"), "--pred", str(tmp_path / "pred.json")]
    assert main(args) == 2
    assert "1 gold utterances have no prediction (a0007)" in capsys.readouterr().err
    assert main(args + ["--allow-missing", "--json"]) == 0
    out = capsys.readouterr()
    assert "warning: scoring the common utterances only" in out.err and "a0007" in out.err
    report = json.loads(out.out)
    assert report["utterances"]["n_scored"] == 119 and report["utterances"]["missing_in_pred"] == ["a0007"]


def test_tde_option_writes_and_scores_the_term_discovery_files(capsys, tmp_path):
    pytest.importorskip("tde")
    from test_wordseg_tde import GOLD, prediction

    (tmp_path / "gold.json").write_text(json.dumps({u: [[w.onset, w.offset, w.label] for w in ws]
                                                    for u, ws in GOLD.words.items()}))
    for u, phones in GOLD.phones.items():
        (tmp_path / f"{u}.phn").write_text("".join(f"{p.onset} {p.offset} {p.label}\n" for p in phones))
    write_pred(tmp_path / "pred.json", prediction({"u1": [0, 1, 0], "u2": [1, 0]}))
    report, _ = run_json(capsys, "--gold", tmp_path / "gold.json", "--pred", tmp_path / "pred.json",
                         "--gold-phones", tmp_path, "--tde", tmp_path / "tde")
    assert report["tde"]["ned"] == 0.0 and report["tde"]["token"]["fscore"] == 1.0
    assert (tmp_path / "tde" / "discovered.class").is_file() and (tmp_path / "tde" / "gold.phn").is_file()
    # without phones: a clear error, or word units on request
    assert main(["analyze", "wordseg", "--gold", str(tmp_path / "gold.json"), "--pred", str(tmp_path / "pred.json"),
                 "--tde", str(tmp_path / "t2")]) == 2
    assert "--tde-units words" in capsys.readouterr().err
    report, _ = run_json(capsys, "--gold", tmp_path / "gold.json", "--pred", tmp_path / "pred.json",
                         "--tde", tmp_path / "t3", "--tde-units", "words")
    assert report["tde"]["units"] == "words" and report["tde"]["ned"] == 0.0
