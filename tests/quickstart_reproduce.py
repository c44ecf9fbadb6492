"""Check that a quickstart report's ``commands.sh`` reproduces every table of the report exactly.

Runs the script's evaluation commands (data and training are reused) into a fresh folder, then compares what
they wrote with the report's CSVs: retrieval, ABX, sSIMI, lexical/syntactic, word discovery and head ablation,
and the submissions' feature files.
CI runs it after ``vgprobe quickstart --fast``::

    python tests/quickstart_reproduce.py runs/ci-quickstart
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np
import pandas as pd


def _same(name: str, got: pd.DataFrame, want: pd.DataFrame, keys: list[str], values: list[str]) -> None:
    got = got.sort_values(keys).reset_index(drop=True)[keys + values]
    want = want.sort_values(keys).reset_index(drop=True)[keys + values]
    if len(got) != len(want):
        raise AssertionError(f"{name}: {len(got)} rows from commands.sh, {len(want)} in the report")
    for col in keys:
        if not (got[col].astype(str).values == want[col].astype(str).values).all():
            raise AssertionError(f"{name}: the rows differ in {col}")
    for col in values:
        a, b = got[col].to_numpy(dtype=float), want[col].to_numpy(dtype=float)
        if not np.array_equal(a, b, equal_nan=True):
            bad = int(np.flatnonzero(~((a == b) | (np.isnan(a) & np.isnan(b))))[0])
            raise AssertionError(f"{name}: {col} differs, e.g. row {got.iloc[bad][keys].to_dict()}: "
                                 f"{a[bad]!r} from commands.sh vs {b[bad]!r} in the report")
    print(f"{name}: {len(got)} rows reproduced exactly")


def check(quickstart: Path, work: Path) -> None:
    from vgprobe.pipelines.quickstart import retrieval_rows

    report = quickstart / "report"
    env = dict(os.environ, Q=str(quickstart.resolve()), R=str(work))
    subprocess.run(["bash", str(report / "commands.sh"), "--evaluation"], check=True, env=env)

    rows = []
    for label in ("trained", "random"):
        rows += retrieval_rows(label, json.loads((work / f"retrieval-{label}.json").read_text()))
    _same("retrieval", pd.DataFrame(rows), pd.read_csv(report / "retrieval.csv"), ["model", "mode", "direction"],
          ["R@1", "R@5", "R@10"])

    abx = pd.read_csv(work / "sweep" / "abx.csv")
    want = pd.read_csv(report / "abx.csv")
    abx = abx[abx["status"].eq("scored") & (abx["layer"].str.startswith("trm1.") | abx["layer"].eq("logmel"))]
    _same("abx", abx, want, ["model", "layer", "subset", "speaker", "context"],
          ["score", "ci_low", "ci_high", "n_cells", "n_triplets"])
    sem = pd.read_csv(work / "sweep" / "semantic.csv")
    sem = sem[sem["pool"].eq("max") & sem["layer"].isin(["trm2.1", "logmel"])]
    _same("semantic", sem, pd.read_csv(report / "semantic.csv"), ["model", "layer", "type", "dataset"],
          ["correlation", "ci_low", "ci_high", "n_pairs"])

    lm = pd.read_csv(report / "lm.csv", keep_default_na=False, na_values=[""])
    for task, keys in (("lexical", ["breakdown", "group"]), ("syntactic", ["breakdown", "type", "subtype"])):
        got = pd.DataFrame(json.loads((work / f"{task}.json").read_text()))
        want = lm[lm["task"] == task].copy()
        for k in keys:
            got[k], want[k] = got[k].fillna("").astype(str), want[k].fillna("").astype(str)
        _same(task, got, want, keys, ["score", "n_pairs"])

    ws_cols = ["boundary_precision", "boundary_recall", "boundary_f1", "r_value", "iou", "word_coverage", "a_score",
               "wd", "top250_f1", "purity", "nmi", "n_segments"]
    _same("word discovery", pd.read_csv(work / "heads" / "wordseg.csv"), pd.read_csv(report / "wordseg.csv"),
          ["model", "layer"], ws_cols)
    _same("head ablation", pd.read_csv(work / "heads" / "ablation.csv"), pd.read_csv(report / "ablation.csv"),
          ["ablation", "metric"], ["baseline", "ablated", "delta"])

    for name in ("sLM21", "abxLS"):
        ours, theirs = work / "submissions" / name, quickstart / "submissions" / name
        files = sorted(p.relative_to(theirs) for p in theirs.rglob("*.npy"))
        again = sorted(p.relative_to(ours) for p in ours.rglob("*.npy"))
        if files != again or not files:
            raise AssertionError(f"submission {name}: commands.sh wrote {len(again)} feature files, the quickstart "
                                 f"{len(files)}")
        for rel in files:
            if not np.array_equal(np.load(theirs / rel), np.load(ours / rel)):
                raise AssertionError(f"submission {name}: {rel} differs")
        for txt in ("lexical/dev.txt", "syntactic/dev.txt"):
            if (theirs / txt).is_file() and (theirs / txt).read_bytes() != (ours / txt).read_bytes():
                raise AssertionError(f"submission {name}: {txt} differs")
        print(f"submission {name}: {len(files)} feature files reproduced exactly")


def main(argv: list[str]) -> int:
    if len(argv) != 1:
        print(__doc__, file=sys.stderr)
        return 2
    with tempfile.TemporaryDirectory(prefix="vgprobe-reproduce.") as tmp:
        check(Path(argv[0]), Path(tmp))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
