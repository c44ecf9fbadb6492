"""ABX speed: vgprobe vs zerospeech-libriabx2 0.9.8, same data, same run, caps off.

Usage (the peer lives in its own venv, DESIGN.md §6)::

    python benchmarks/abx_speed.py --peer-python /tmp/peervenv/bin/python [--sets small,medium,large]

Each scorer runs as its own process (whole-process wall time, peak RSS from wait4); the
scores must agree to 1e-6. vgprobe runs once first to fill numba's compile cache.
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

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests" / "data_gen"))
from abx_random_sets import write_realistic_set  # noqa: E402

SETS = {
    # name: (n_items, n_speakers, kind, context mode)
    "triphone30k": (30_000, 20, "triphone", "within"),
    "triphone5k": (5_400, 6, "triphone", "within"),
    "phoneme5k_any": (5_400, 6, "phoneme", "any"),
}

PEER = """
import contextlib, io, json, sys
sys.path.insert(0, {gen!r})
from abx_random_sets import run_peer
with contextlib.redirect_stdout(io.StringIO()):
    s = run_peer({feats!r}, {item!r}, frame_shift=0.02, speaker_mode="all", context_mode={ctx!r})
print(json.dumps(s))
"""


def run_child(cmd: list[str]) -> tuple[float, float, str]:
    start = time.perf_counter()
    with tempfile.TemporaryFile("w+") as out, tempfile.TemporaryFile("w+") as err:
        proc = subprocess.Popen(cmd, stdout=out, stderr=err, cwd=ROOT)
        _, status, usage = os.wait4(proc.pid, 0)
        wall = time.perf_counter() - start
        out.seek(0)
        err.seek(0)
        if status != 0:
            raise RuntimeError(f"{' '.join(cmd[:4])} failed: {err.read()[-2000:]}")
        return wall, usage.ru_maxrss / 1024, out.read()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--peer-python", required=True)
    parser.add_argument("--sets", default=",".join(SETS))
    parser.add_argument("--workdir", default="/tmp/vgprobe_abx_bench")
    args = parser.parse_args()
    for name in args.sets.split(","):
        n_items, n_spk, kind, ctx = SETS[name]
        folder = Path(args.workdir) / name
        if not (folder / f"{name}.item").exists():
            write_realistic_set(folder, n_items=n_items, n_speakers=n_spk, kind=kind, seed=len(name))
        feats, item = folder / "features", folder / f"{name}.item"
        ours_cmd = [sys.executable, "-m", "vgprobe", "abx", "--features", str(feats), "--item", str(item),
                    "--frame-shift", "0.02", "--context", ctx, "--max-size-group", "none",
                    "--max-x-across", "none", "--json"]
        run_child(ours_cmd)  # fill numba's cache
        t_ours, m_ours, out = run_child(ours_cmd)
        ours = {f"{r['speaker']}-{r['context']}": r for r in json.loads(out)}
        peer_cmd = [args.peer_python, "-c", PEER.format(gen=str(ROOT / "tests" / "data_gen"), feats=str(feats),
                                                        item=str(item), ctx=ctx)]
        t_peer, m_peer, out = run_child(peer_cmd)
        peer = json.loads(out.strip().splitlines()[-1])
        diffs = {k: abs(ours[k]["score"] - v) for k, v in peer.items()}
        cells = {k: ours[k]["n_cells"] for k in ours}
        triplets = {k: ours[k]["n_triplets"] for k in ours}
        print(json.dumps({
            "set": name, "items": n_items, "speakers": n_spk, "kind": kind, "context": ctx,
            "vgprobe_s": round(t_ours, 2), "peer_s": round(t_peer, 2), "speedup": round(t_peer / t_ours, 2),
            "vgprobe_peak_mib": round(m_ours), "peer_peak_mib": round(m_peer),
            "scores": {k: ours[k]["score"] for k in ours}, "max_abs_diff": max(diffs.values()),
            "cells": cells, "triplets": triplets,
        }), flush=True)


if __name__ == "__main__":
    main()
