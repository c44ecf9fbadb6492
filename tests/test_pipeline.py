"""End to end on real (synthesised) speech: synth -> extract -> abx / semantic, as users type it."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from vgprobe.cli import main

ENV_KEYS = ("VGPROBE_CONFIG", "VGPROBE_CHECKPOINT", "VGPROBE_DATA", "VGPROBE_OUT", "VGPROBE_SPLIT")


@pytest.fixture(scope="module")
def zr(tmp_path_factory) -> Path:
    from vgprobe.synth import build_zr2021

    # espeak's plain output: log-mel ABX far below chance checks the alignments, not the features
    return build_zr2021(tmp_path_factory.mktemp("zr") / "zr2021", speakers=3, sentences=8, seed=1,
                        semantic_voices=2, semantic_sentences=12, pairs_per_dataset=30, difficulty="clean")


def abx_rows(capsys, args: list[str]) -> list[dict]:
    assert main(["abx", *args, "--json"]) == 0
    return json.loads(capsys.readouterr().out)


def test_log_mel_abx_on_the_synthetic_set_is_far_below_chance(zr, tmp_path, capsys):
    """The alignments are right: simple log-mel features separate the phones (the synthetic set's sanity check)."""
    assert main(["extract", "--checkpoint", "logmel", "--data", str(zr), "--out", str(tmp_path / "f"),
                 "--layer", "logmel", "--task", "phonetic"]) == 0
    capsys.readouterr()
    rows = abx_rows(capsys, ["--submission", str(tmp_path / "f" / "logmel"), "--data", str(zr)])
    within = {r["subset"]: r["score"] for r in rows if r["speaker"] == "within"}
    assert within["dev-clean"] < 0.05 and within["dev-other"] < 0.10, within
    # the same items on random features are near chance
    rng = np.random.default_rng(0)
    for sub in ("dev-clean", "dev-other"):
        folder = tmp_path / "rand" / "phonetic" / sub
        folder.mkdir(parents=True)
        for f in (tmp_path / "f" / "logmel" / "phonetic" / sub).glob("*.npy"):
            np.save(folder / f.name, rng.standard_normal(np.load(f).shape).astype(np.float32))
    rows = abx_rows(capsys, ["--submission", str(tmp_path / "rand"), "--data", str(zr), "--frame-shift", "0.01"])
    assert all(r["score"] > 0.3 for r in rows), rows


def test_the_card_commands_work_as_typed_from_a_project_configuration(zr, tmp_path, monkeypatch, capsys):
    for k in ENV_KEYS:
        monkeypatch.delenv(k, raising=False)
    monkeypatch.chdir(tmp_path)
    (tmp_path / "vgprobe.toml").write_text(
        f'[vgprobe]\ncheckpoint = "random:tiny"\ndata = "{zr}"\nout = "features"\nsplit = "dev"\n')
    assert main(["extract", "--layer", "trm1.6,trm2.1", "--split", "dev"]) == 0
    capsys.readouterr()

    rows = abx_rows(capsys, [])  # `vgprobe abx`: the frame-rate layers of the last extraction
    assert {r["layer"] for r in rows} == {"trm1.6"}  # trm2.1's 0.32 s frames leave triphones empty
    assert {(r["subset"], r["speaker"]) for r in rows if r["layer"] == "trm1.6"} == {
        (s, m) for s in ("dev-clean", "dev-other") for m in ("within", "across")}
    assert all(0.0 <= r["score"] <= 1.0 for r in rows)

    assert main(["semantic", "--pool", "max", "--layer", "trm2.1", "--json"]) == 0
    sem = json.loads(capsys.readouterr().out)
    assert {r["layer"] for r in sem} == {"trm2.1"}
    assert {r["dataset"] for r in sem} >= {"mean", "weighted_mean"}

    assert main(["semantic", "--pool", "max", "--out", str(tmp_path / "sem.csv")]) == 0
    table = capsys.readouterr().out
    assert "== trm1.6 ==" in table and "== trm2.1 ==" in table
    assert (tmp_path / "sem.csv").read_text().startswith("layer,type,dataset")
