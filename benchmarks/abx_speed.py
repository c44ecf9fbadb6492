"""ABX speed: vgprobe vs zerospeech-libriabx2 0.9.8, same data, same run, caps off.

Usage (the peer lives in its own venv; tests/data/abx/README.md says how to install it)::

    python benchmarks/abx_speed.py --peer-python /tmp/peervenv/bin/python [--sets small,medium,large]

Each scorer runs as its own process (whole-process wall time, peak RSS from wait4); the
scores must agree to 1e-6. vgprobe runs once first to fill numba's compile cache.
The peer's result (time, memory, scores) is saved as ``peer.json`` in the set's folder:
``--only peer`` times the peer alone (it can take an hour on the large sets), ``--only ours``
times vgprobe and compares with the saved peer run when there is one (else it reports
vgprobe alone). ``--nice N`` runs both scorers niced. ``--tree DIR`` runs the vgprobe code
of another checkout (e.g. an older commit unpacked with ``git archive``) to compare versions;
``--caps zr2021`` times the default capped protocol instead of caps off (vgprobe only);
``--repeat N`` times vgprobe N times and reports each run.
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


def run_child(cmd: list[str], tree: Path = ROOT) -> tuple[float, float, str, float]:
    """(wall s, peak RSS MiB, stdout, user + system CPU s) of one child process run in ``tree``."""
    start = time.perf_counter()
    env = {**os.environ, "PYTHONPATH": str(tree)}
    with tempfile.TemporaryFile("w+") as out, tempfile.TemporaryFile("w+") as err:
        proc = subprocess.Popen(cmd, stdout=out, stderr=err, cwd=tree, env=env)
        _, status, usage = os.wait4(proc.pid, 0)
        wall = time.perf_counter() - start
        out.seek(0)
        err.seek(0)
        if status != 0:
            raise RuntimeError(f"{' '.join(cmd[:4])} failed: {err.read()[-2000:]}")
        return wall, usage.ru_maxrss / 1024, out.read(), usage.ru_utime + usage.ru_stime


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--peer-python")
    parser.add_argument("--sets", default=",".join(SETS))
    parser.add_argument("--workdir", default="/tmp/vgprobe_abx_bench")
    parser.add_argument("--only", choices=("both", "peer", "ours"), default="both")
    parser.add_argument("--nice", type=int, default=0)
    parser.add_argument("--tree", type=Path, default=ROOT, help="the vgprobe checkout to time (default: this one)")
    parser.add_argument("--caps", choices=("off", "zr2021"), default="off")
    parser.add_argument("--repeat", type=int, default=1)
    args = parser.parse_args()
    if args.only != "ours" and args.peer_python is None:
        parser.error("--peer-python is needed unless --only ours")
    prefix = ["nice", "-n", str(args.nice)] if args.nice else []
    for name in args.sets.split(","):
        n_items, n_spk, kind, ctx = SETS[name]
        folder = Path(args.workdir) / name
        if not (folder / f"{name}.item").exists():
            write_realistic_set(folder, n_items=n_items, n_speakers=n_spk, kind=kind, seed=len(name))
        feats, item = folder / "features", folder / f"{name}.item"
        peer_file = folder / "peer.json"
        if args.only != "ours":
            peer_cmd = [args.peer_python, "-c", PEER.format(gen=str(ROOT / "tests" / "data_gen"), feats=str(feats),
                                                            item=str(item), ctx=ctx)]
            load = os.getloadavg()
            t_peer, m_peer, out, c_peer = run_child(prefix + peer_cmd)
            peer_run = {"peer_s": t_peer, "peer_cpu_s": c_peer, "peer_peak_mib": m_peer, "load_before": load,
                        "scores": json.loads(out.strip().splitlines()[-1]),
                        "load_after": os.getloadavg()}
            peer_file.write_text(json.dumps(peer_run))
            print(json.dumps({"set": name, **peer_run}), flush=True)
            if args.only == "peer":
                continue
        caps = ["none", "none"] if args.caps == "off" else ["10", "5"]
        ours_cmd = prefix + [sys.executable, "-m", "vgprobe", "abx", "--features", str(feats), "--item", str(item),
                             "--frame-shift", "0.02", "--context", ctx, "--max-size-group", caps[0],
                             "--max-x-across", caps[1], "--json"]
        run_child(ours_cmd, args.tree)  # fill numba's cache
        if not peer_file.exists() or args.caps != "off":
            for _ in range(args.repeat):
                load = os.getloadavg()
                t_ours, m_ours, out, c_ours = run_child(ours_cmd, args.tree)
                print(json.dumps({"set": name, "tree": str(args.tree), "caps": args.caps, "vgprobe_s": round(t_ours, 2),
                                  "vgprobe_cpu_s": round(c_ours, 2), "vgprobe_peak_mib": round(m_ours),
                                  "scores": {f"{r['speaker']}-{r['context']}": r["score"] for r in json.loads(out)},
                                  "load_before": load, "load_after": os.getloadavg()}), flush=True)
            continue
        peer_run = json.loads(peer_file.read_text())
        t_peer, m_peer, peer = peer_run["peer_s"], peer_run["peer_peak_mib"], peer_run["scores"]
        load = os.getloadavg()
        t_ours, m_ours, out, c_ours = run_child(ours_cmd, args.tree)
        ours = {f"{r['speaker']}-{r['context']}": r for r in json.loads(out)}
        diffs = {k: abs(ours[k]["score"] - v) for k, v in peer.items()}
        cells = {k: ours[k]["n_cells"] for k in ours}
        triplets = {k: ours[k]["n_triplets"] for k in ours}
        print(json.dumps({
            "set": name, "items": n_items, "speakers": n_spk, "kind": kind, "context": ctx,
            "vgprobe_s": round(t_ours, 2), "peer_s": round(t_peer, 2), "speedup": round(t_peer / t_ours, 2),
            "vgprobe_cpu_s": round(c_ours, 2), "peer_cpu_s": round(peer_run.get("peer_cpu_s", float("nan")), 2),
            "vgprobe_peak_mib": round(m_ours), "peer_peak_mib": round(m_peer),
            "scores": {k: ours[k]["score"] for k in ours}, "max_abs_diff": max(diffs.values()),
            "cells": cells, "triplets": triplets, "load_before": load, "load_after": os.getloadavg(),
            "peer_load_before": peer_run.get("load_before"), "peer_load_after": peer_run.get("load_after"),
        }), flush=True)


if __name__ == "__main__":
    main()
