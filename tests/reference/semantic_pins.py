"""Produce the pinned sSIMI numbers of tests/test_semantic_parity.py with the official scorer.

Runs zerospeech-benchmarks 0.9.4 ``SemanticTask.semantic_eval`` (the scorer behind the
ZR2021 sLM21 leaderboard) on the set written by ``tests/semantic_data.py`` and prints, per
(pooling, metric), the correlations per (type, dataset), the per-type mean and
pair-weighted mean (computed as ``SLM21Submission.semantic_scores`` does, but from the
unrounded correlations), and the sum of the per-pair distances (the ``score`` column).

The official scorer needs pandas < 3, so it runs in its own virtual environment:

    python -m venv /tmp/refvenv
    /tmp/refvenv/bin/pip install "pandas<3" numpy scipy joblib "pydantic[email]>=1.10,<2" \
        rich pycryptodome humanize PyYAML requests treelib filesplit distro
    /tmp/refvenv/bin/pip install --no-deps zerospeech-benchmarks==0.9.4
    mkdir -p /tmp/zrapp && echo '{}' > /tmp/zrapp/repo.json && touch -d 2020-01-01 /tmp/zrapp/repo.json
    APP_DIR=/tmp/zrapp /tmp/refvenv/bin/python tests/reference/semantic_pins.py

(``APP_DIR`` with a repo.json older than 7 days stops ``import zerospeech`` from downloading
its catalogue.) Not a test: pytest does not collect this folder's scripts.
"""

from __future__ import annotations

import json
import sys
import tempfile
import warnings
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from semantic_data import write_semantic_set  # noqa: E402

CONFIGS = [(pool, metric) for pool in ("max", "min", "mean", "sum", "last", "lastlast") for metric in ("cosine", "euclidean")]
CONFIGS += [("max", "seuclidean"), ("mean", "cityblock")]


def main() -> None:
    warnings.simplefilter("ignore")
    from zerospeech.tasks.lm.params import SemanticMetrics, SemanticPooling
    from zerospeech.tasks.lm.semantic import SemanticTask
    import pandas, scipy, zerospeech  # noqa: F401

    out = {}
    with tempfile.TemporaryDirectory() as tmp:
        data = write_semantic_set(tmp, seed=0)
        out["sha256"] = data.sha256
        file_index = {
            t: {p.stem: p for p in sorted((data.features / t).glob("*.txt"))} for t in ("synthetic", "librispeech")
        }
        sizes = pandas.read_csv(data.pairs, header=0).groupby(["type", "dataset"], as_index=False).size()
        for pool, metric in CONFIGS:
            task = SemanticTask(metric=SemanticMetrics(metric), pooling=SemanticPooling(pool))
            pairs_df, corr = task.semantic_eval(file_index, data.gold, data.pairs)
            corr["size"] = sizes["size"]
            rows = [[r.type, r.dataset, float(r.correlation), int(r.size)] for r in corr.itertuples()]
            for type_ in ("synthetic", "librispeech"):
                sel = corr[corr["type"] == type_]
                rows.append([type_, "mean", float(sel["correlation"].mean()), int(sel["size"].sum())])
                rows.append([type_, "weighted_mean", float(np.average(sel["correlation"].to_numpy(), weights=sel["size"].to_numpy())), int(sel["size"].sum())])
            out[f"{pool}/{metric}"] = {"rows": rows, "score_sum": float(pairs_df["score"].sum())}
    out["versions"] = {"python": sys.version.split()[0], "numpy": np.__version__, "pandas": pandas.__version__,
                       "scipy": scipy.__version__, "zerospeech-benchmarks": "0.9.4"}
    print("{\n" + ",\n".join(f"{json.dumps(k)}: {json.dumps(v)}" for k, v in out.items()) + "\n}")


if __name__ == "__main__":
    main()
