"""sSIMI speed: vgprobe vs the official scorer (zerospeech-benchmarks 0.9.4) on a dev-sized set.

    python benchmarks/semantic_speed.py --ref-python /tmp/refvenv/bin/python [--words 400 --pairs 400]

Writes a generated set (tests/semantic_data.py: ``--words`` words per type, 768-d features,
2-6 frames per file as trm2.1 gives for one spoken word, ``.txt`` as submissions use), then
in the same run times:

- the official ``SemanticTask.semantic_eval`` (run in its own venv, which needs pandas < 3;
  see tests/reference/semantic_pins.py for its setup; ``APP_DIR`` is set here),
- vgprobe's ``score_semantic_pairs`` on the same ``.txt`` files, and on ``.npy`` copies,

checks that the correlations agree, and prints the times and the ratios.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent / "tests"))


def reference_worker(features: Path, gold: Path, pairs: Path, pool: str, metric: str) -> None:
    """Runs inside the official scorer's venv: time semantic_eval, print JSON."""
    import warnings

    warnings.simplefilter("ignore")
    from zerospeech.tasks.lm.params import SemanticMetrics, SemanticPooling
    from zerospeech.tasks.lm.semantic import SemanticTask

    file_index = {t: {p.stem: p for p in (features / t).glob("*.txt")} for t in ("synthetic", "librispeech")}
    task = SemanticTask(metric=SemanticMetrics(metric), pooling=SemanticPooling(pool))
    start = time.perf_counter()
    _, corr = task.semantic_eval(file_index, gold, pairs)
    seconds = time.perf_counter() - start
    rows = {f"{r.type}/{r.dataset}": float(r.correlation) for r in corr.itertuples()}
    print(json.dumps({"seconds": seconds, "rows": rows}))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--ref-python", required=True, help="python of the venv holding zerospeech-benchmarks")
    parser.add_argument("--words", type=int, default=400, help="words per type")
    parser.add_argument("--pairs", type=int, default=400, help="pairs per dataset (7 datasets, +0/5/10 each)")
    parser.add_argument("--pool", default="max")
    parser.add_argument("--metric", default="cosine")
    args = parser.parse_args()

    from semantic_data import write_semantic_set

    from vgprobe.zerospeech.features import read_features
    from vgprobe.zerospeech.semantic import score_semantic_pairs

    with tempfile.TemporaryDirectory() as tmp:
        start = time.perf_counter()
        data = write_semantic_set(
            Path(tmp) / "txt", seed=0, n_words=args.words, pairs_per_dataset=args.pairs, dim=768, frames=(2, 6)
        )
        files = sorted(data.features.rglob("*.txt"))
        n_bytes = sum(p.stat().st_size for p in files)
        n_pairs = len(data.pairs.read_text().splitlines()) - 1
        print(f"set: {len(files)} files ({n_bytes / 1e6:.0f} MB of text), {n_pairs} pairs, 768-d; "
              f"written in {time.perf_counter() - start:.0f} s")

        npy = Path(tmp) / "npy"
        for p in files:
            (npy / p.parent.name).mkdir(parents=True, exist_ok=True)
            np.save(npy / p.parent.name / f"{p.stem}.npy", read_features(p).astype(np.float32))

        zrapp = Path(tmp) / "zrapp"
        zrapp.mkdir()
        (zrapp / "repo.json").write_text("{}")
        os.utime(zrapp / "repo.json", (0, 0))  # older than 7 days: no catalogue download
        worker = [args.ref_python, __file__, "--worker", str(data.features), str(data.gold), str(data.pairs),
                  args.pool, args.metric]
        ref = json.loads(subprocess.run(worker, check=True, capture_output=True, text=True,
                                        env={**os.environ, "APP_DIR": str(zrapp)}).stdout.splitlines()[-1])

        timings = {}
        for name, folder in (("txt", data.features), ("npy", npy)):
            start = time.perf_counter()
            scores = score_semantic_pairs(folder, data.gold, data.pairs, pool=args.pool, metric=args.metric)
            timings[name] = time.perf_counter() - start
            if name == "txt":
                mine = {f"{r.type}/{r.dataset}": r.correlation for r in scores.results}
                diff = max(abs(mine[k] - v) for k, v in ref["rows"].items())

        print(f"pool={args.pool} metric={args.metric}")
        print(f"official scorer (.txt):  {ref['seconds']:8.2f} s")
        print(f"vgprobe (.txt):          {timings['txt']:8.2f} s   {ref['seconds'] / timings['txt']:6.1f}x faster")
        print(f"vgprobe (.npy float32):  {timings['npy']:8.2f} s   {ref['seconds'] / timings['npy']:6.1f}x faster")
        print(f"max |correlation difference| vs official: {diff:.2e}")


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == "--worker":
        f, g, p, pool, metric = sys.argv[2:7]
        reference_worker(Path(f), Path(g), Path(p), pool, metric)
    else:
        main()
