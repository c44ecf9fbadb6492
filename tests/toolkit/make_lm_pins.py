"""Produce tests/data/lm_pins.json: the official lexical and syntactic numbers on the sets of tests/lm_data.py.

Runs zerospeech-benchmarks 0.9.4 (the toolkit behind the ZR2021 sLM21 leaderboard) in
its own virtual environment (it needs pydantic < 2 and pandas < 3):

    python3 -m venv /work/refenv/zrc
    /work/refenv/zrc/bin/pip install "zerospeech-benchmarks==0.9.4" "pandas<3"
    /work/refenv/zrc/bin/python tests/toolkit/make_lm_pins.py > tests/data/lm_pins.json

For every gold set x score file it calls the functions the sLM21 benchmark calls
(``LexicalTask.load_and_format`` / ``eval_by_pair`` / ``eval_by_frequency`` /
``eval_by_length``, ``SyntacticTask.run_syntactic_comparison``) and records their
unrounded output: the by-pair, by-frequency, by-length and by-type tables, the overall
score (the mean pair score, as ``SLM21ScoreDir`` computes it) and the in-vocabulary score
(``SLM21ScoreDir.lexical_scores``: the pair-weighted mean of the non-oov bands). It then
runs the benchmark itself, ``zrc benchmarks:run sLM21 <submission> -s dev -t lexical
syntactic --skip-validation``, on the first gold set with continuous scores, and checks
that the score CSVs it writes (4 decimals) equal the recorded tables: the pinned numbers
are what the benchmark computes. The offline application folder comes from
``tests/toolkit/zrc_offline.py``. Not a test: pytest does not collect this file.
"""

from __future__ import annotations

import json
import math
import os
import shutil
import subprocess
import sys
import tempfile
import warnings
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path[:0] = [str(HERE), str(HERE.parent)]
from lm_data import SCORE_KINDS, sha256, write_lexical_gold, write_scores, write_syntactic_gold  # noqa: E402
from zrc_offline import build_app_dir  # noqa: E402

LEXICAL_SETS = {"L1": dict(seed=0), "L2": dict(seed=1, non_words_per_word=2, label_non_words=True)}
SYNTACTIC_SETS = {"S1": dict(seed=0, order="interleaved"), "S2": dict(seed=1, order="blocked")}


def lexical_pin(gold: Path, scores: Path) -> dict:
    import numpy as np
    from zerospeech.tasks.lm.lexical import LexicalTask

    data = LexicalTask.load_and_format(scores, gold)
    by_pair = LexicalTask.eval_by_pair(data)
    by_frequency = LexicalTask.eval_by_frequency(by_pair)
    by_length = LexicalTask.eval_by_length(by_pair)
    in_vocab = by_frequency[by_frequency["frequency"] != "oov"]
    return {
        "all": float(by_pair["score"].mean()),
        "in_vocab": float(np.average(in_vocab["score"].to_numpy(), weights=in_vocab["n"].to_numpy())),
        "by_pair": [[r["word"], r["non word"], int(r["frequency"]), int(r["length"]), float(r["score"])]
                    for _, r in by_pair.iterrows()],
        "by_frequency": [[str(r["frequency"]), int(r["n"]), float(r["score"]), float(r["std"])]
                         for _, r in by_frequency.iterrows()],
        "by_length": [[int(r["length"]), int(r["n"]), float(r["score"]), float(r["std"])]
                      for _, r in by_length.iterrows()],
    }


def syntactic_pin(gold: Path, scores: Path) -> dict:
    from zerospeech.tasks.lm.syntactic import SyntacticTask

    task = SyntacticTask()
    by_pair, by_type = task.run_syntactic_comparison(gold, scores)
    return {
        "all": float(by_pair["score"].mean()),
        "by_pair": [[r["sentence"], r["non sentence"], float(r["score"])] for _, r in by_pair.iterrows()],
        "by_type": [[r["type"], int(r["n"]), float(r["score"]), float(r["std"])] for _, r in by_type.iterrows()],
    }


def check_benchmark_run(tmp: Path, app_dir: Path, pins: dict) -> None:
    """Run ``zrc benchmarks:run`` on L1/S1 continuous and compare its CSVs with the pins."""
    import pandas as pd

    data = tmp / "bench-data"
    sub = tmp / "bench-sub"
    for task, name in (("lexical", "L1"), ("syntactic", "S1")):
        (data / task / "dev").mkdir(parents=True)
        shutil.copy(tmp / name / "gold.csv", data / task / "dev" / "gold.csv")
        (sub / task).mkdir(parents=True)
        shutil.copy(tmp / name / "continuous.txt", sub / task / "dev.txt")
    build_app_dir(app_dir, data)
    (sub / "meta.yaml").write_text("benchmark_name: sLM21\n")
    zrc = Path(sys.executable).with_name("zrc")
    cmd = [str(zrc), "benchmarks:run", "sLM21", str(sub), "-s", "dev", "-t", "lexical", "syntactic",
           "--skip-validation", "-q"]
    subprocess.run(cmd, check=True, env={**os.environ, "APP_DIR": str(app_dir)}, capture_output=True)
    lex, syn = pins["lexical/L1/continuous"], pins["syntactic/S1/continuous"]
    freq = pd.read_csv(sub / "scores" / "score_lexical_dev_by_frequency.csv")
    assert [round(x, 4) for x in freq["n"]] == [row[1] for row in lex["by_frequency"]]
    _close(freq["score"], [row[2] for row in lex["by_frequency"]])
    length = pd.read_csv(sub / "scores" / "score_lexical_dev_by_length.csv")
    _close(length["score"], [row[2] for row in lex["by_length"]])
    pair = pd.read_csv(sub / "scores" / "score_lexical_dev_by_pair.csv")
    _close(pair["score"], [row[4] for row in lex["by_pair"]])
    types = pd.read_csv(sub / "scores" / "score_syntactic_dev_by_type.csv")
    _close(types["score"], [row[2] for row in syn["by_type"]])
    pair = pd.read_csv(sub / "scores" / "score_syntactic_dev_by_pair.csv")
    _close(pair["score"], [row[2] for row in syn["by_pair"]])


def _close(column, pinned) -> None:
    got = list(column)
    assert len(got) == len(pinned), (len(got), len(pinned))
    for a, b in zip(got, pinned):
        assert (math.isnan(a) and math.isnan(b)) or abs(a - b) <= 5.1e-5, (a, b)


def main() -> None:
    warnings.simplefilter("ignore")
    with tempfile.TemporaryDirectory() as tmp_name:
        tmp = Path(tmp_name)
        app_dir = tmp / "app"
        build_app_dir(app_dir, tmp)  # before importing zerospeech: no catalogue download
        os.environ["APP_DIR"] = str(app_dir)
        import numpy
        import pandas
        import scipy

        pins: dict = {}
        for task, sets, write_gold, pin in (
            ("lexical", LEXICAL_SETS, write_lexical_gold, lexical_pin),
            ("syntactic", SYNTACTIC_SETS, write_syntactic_gold, syntactic_pin),
        ):
            for name, kwargs in sets.items():
                gold = write_gold(tmp / name / "gold.csv", **kwargs)
                for k, kind in enumerate(SCORE_KINDS):
                    scores = write_scores(gold, tmp / name / f"{kind}.txt", kind=kind, seed=100 + k)
                    pins[f"{task}/{name}/{kind}"] = {"sha256": sha256([gold, scores]), **pin(gold, scores)}
        check_benchmark_run(tmp, tmp / "app-bench", pins)
    pins["sets"] = {"lexical": LEXICAL_SETS, "syntactic": SYNTACTIC_SETS, "score_seeds": {k: 100 + i for i, k in enumerate(SCORE_KINDS)}}
    pins["versions"] = {"python": sys.version.split()[0], "numpy": numpy.__version__, "pandas": pandas.__version__,
                        "scipy": scipy.__version__, "zerospeech-benchmarks": "0.9.4"}
    print("{\n" + ",\n".join(f"{json.dumps(k)}: {json.dumps(v)}" for k, v in pins.items()) + "\n}")


if __name__ == "__main__":
    main()
