"""``benchmarks/gpu_check.py``, the one-command GPU check, runs end to end on the CPU with ``--quick`` (so the
script a GPU session will run has been run), and exits non-zero when parity fails."""

from __future__ import annotations

import json
import shutil
import sys
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "benchmarks"))

import gpu_check  # noqa: E402


def rows(path: Path) -> list[dict]:
    return json.loads(path.read_text())["rows"]


def test_quick_cpu_run_passes_every_part(fastvgs_fixture_dir, authors_checkpoint, tmp_path, capsys):
    rc = gpu_check.main(["--device", "cpu", "--quick", "--fixture", str(fastvgs_fixture_dir), "--authors-folder",
                         str(authors_checkpoint), "--work", str(tmp_path / "work"), "--json", str(tmp_path / "r.json")])
    table = capsys.readouterr().out
    got = rows(tmp_path / "r.json")
    assert rc == 0, table
    assert not [r for r in got if r["status"] in ("FAIL", "ERROR", "WARN")], table
    checks = {(r["part"], r["check"]): r for r in got}
    assert {r["part"] for r in got} == set(gpu_check.PARTS)
    assert {g for p, c in checks if p == "parity" for g in gpu_check.TOL if c.startswith(g + " ")} == set(gpu_check.TOL)
    # on the CPU the device run is the CPU run, and training is deterministic: resume equals the straight run
    device_fp32 = [r for (p, c), r in checks.items() if p == "extract" and c.split()[1:3] == ["dev-fp32", "vs"]]
    assert len(device_fp32) == 3 and all(float(r["value"]) == 0 for r in device_fp32)
    assert float(checks[("train", "weights |resumed - straight| (2+2)")]["value"]) == 0
    assert checks[("abx", "engine")]["value"] == "CPU (numba)"
    assert table.splitlines()[1].startswith("| part")


def test_a_parity_failure_exits_non_zero(fastvgs_fixture_dir, authors_checkpoint, tmp_path, capsys):
    fixture = tmp_path / "fixture"
    shutil.copytree(fastvgs_fixture_dir, fixture)
    expected = dict(np.load(fastvgs_fixture_dir / "expected.npz"))
    expected["wav1/trm2_seq"] = expected["wav1/trm2_seq"] + np.float32(1e-3)  # 5 x the trm2 tolerance
    np.savez_compressed(fixture / "expected.npz", **expected)
    rc = gpu_check.main(["--device", "cpu", "--parts", "parity", "--fixture", str(fixture), "--authors-folder",
                         str(authors_checkpoint), "--json", str(tmp_path / "r.json")])
    capsys.readouterr()
    failed = [r["check"] for r in rows(tmp_path / "r.json") if r["status"] == "FAIL"]
    assert rc == 1 and failed == ["trm2 max |diff| (fp32, TF32 off)"]


def test_the_tolerances_are_the_parity_tests():
    from test_fastvgs_parity import TOL

    assert gpu_check.TOL == TOL
