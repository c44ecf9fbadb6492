"""Layer-sweep speed: ``vgprobe sweep`` against the naive per-layer loop, and a full-size FaST-VGS sweep per hour.

1. Data: ``vgprobe synth zr2021`` at the sizes of ``vgprobe quickstart --fast`` (``--full``: of the full quickstart).
2. The sweep of every layer of ``random:tiny`` (12 layers; ABX and sSIMI with max pooling, no baselines: the
   same numbers the naive loop produces), one ``vgprobe sweep`` process with a cold cache; then the same sweep
   again into another folder (a cache hit).
3. The naive loop over the same 12 layers: per layer one ``vgprobe extract --layer L`` process, one
   ``vgprobe abx`` process (frame-rate layers) and one ``vgprobe semantic --pool max`` process. Its numbers
   are checked against the sweep's (maximum absolute difference printed), then the ratio naive / sweep.
4. A full-size FaST-VGS sweep (``random:fastvgs-coco`` + log-mel, every measure: ABX, sSIMI max and mean, PWCCA,
   k-means NMI, linear probe) on the same data, timed per stage and extrapolated linearly to one hour of audio
   (extraction is linear in audio; scoring grows with the tokens, roughly linear in audio too), with the cache's
   disk use per hour. A real checkpoint's sweep also extracts and scores its random twin: about twice the
   model's share.

Every command runs as its own process (``python -m vgprobe``), so process start and imports count on both sides.

Usage: nice python benchmarks/sweep_speed.py [--work DIR] [--full] [--skip-naive] [--skip-full-size]
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd

FAST = {"speakers": 2, "sentences": 8, "semantic_voices": 2, "semantic_sentences": 20, "pairs_per_dataset": 40}
FULL = {"speakers": 4, "sentences": 25, "semantic_voices": 4, "semantic_sentences": 120, "pairs_per_dataset": 120}
TINY_LAYERS = ["cnn", *(f"trm1.{k}" for k in range(9)), "conv2", "trm2.1"]
FRAME_RATE = TINY_LAYERS[:10]  # Conv2 and Trm2 frames (0.32 s) are too coarse for ABX


def vgprobe(*args: str, capture: bool = False) -> tuple[float, str]:
    t0 = time.perf_counter()
    out = subprocess.run([sys.executable, "-m", "vgprobe", *args], check=True, text=True,
                         stdout=subprocess.PIPE if capture else subprocess.DEVNULL, stderr=subprocess.PIPE)
    return time.perf_counter() - t0, out.stdout or ""


def audio_seconds(root: Path) -> float:
    import soundfile as sf

    return sum(sf.info(str(p)).duration for p in root.rglob("*.wav"))


def folder_bytes(root: Path) -> int:
    return sum(p.stat().st_size for p in root.rglob("*") if p.is_file())


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--work", type=Path, default=Path("/tmp/vgprobe-sweep-bench"))
    ap.add_argument("--full", action="store_true", help="the full quickstart's data sizes (default: --fast's)")
    ap.add_argument("--skip-naive", action="store_true")
    ap.add_argument("--skip-full-size", action="store_true")
    args = ap.parse_args()
    from vgprobe.synth import build_zr2021

    print(f"load average at start: {os.getloadavg()}, {os.cpu_count()} cores")
    zr = build_zr2021(args.work / ("zr-full" if args.full else "zr-fast"), seed=0, processes=2,
                      **(FULL if args.full else FAST))
    seconds = audio_seconds(zr)
    n_files = len(list(zr.rglob("*.wav")))
    print(f"data: {zr}, {n_files} files, {seconds:.0f} s of audio")

    # 2. the sweep
    for d in ("sweep", "sweep-again", "cache", "naive"):
        shutil.rmtree(args.work / d, ignore_errors=True)
    common = ["--checkpoint", "random:tiny", "--data", str(zr), "--cache", str(args.work / "cache"),
              "--baselines", "none", "--probes", "abx,semantic", "--pools", "max", "--no-progress"]
    t_sweep, _ = vgprobe("sweep", "--out", str(args.work / "sweep"), *common)
    stages = {s["stage"]: s["seconds"] for s in json.loads((args.work / "sweep" / "sweep.json").read_text())["stages"]}
    print(f"sweep, 12 layers of random:tiny, cold cache: {t_sweep:.1f} s "
          f"(stages: {', '.join(f'{k} {v:.1f} s' for k, v in stages.items())})")
    t_again, _ = vgprobe("sweep", "--out", str(args.work / "sweep-again"), *common)
    print(f"the same sweep again (cache hit): {t_again:.1f} s")

    # 3. the naive loop
    if not args.skip_naive:
        naive = args.work / "naive"
        t = {"extract": 0.0, "abx": 0.0, "semantic": 0.0}
        abx_rows, sem_rows = [], []
        for layer in TINY_LAYERS:
            dt, _ = vgprobe("extract", "--checkpoint", "random:tiny", "--data", str(zr), "--out", str(naive),
                            "--layer", layer, "--no-progress")
            t["extract"] += dt
            if layer in FRAME_RATE:
                dt, out = vgprobe("abx", "--submission", str(naive / layer), "--data", str(zr), "--json", capture=True)
                t["abx"] += dt
                abx_rows += [{"layer": layer, **r} for r in json.loads(out)]
            dt, out = vgprobe("semantic", "--submission", str(naive / layer), "--data", str(zr), "--pool", "max",
                              "--json", capture=True)
            t["semantic"] += dt
            sem_rows += [{"layer": layer, **r} for r in json.loads(out)]
        total = sum(t.values())
        print(f"naive loop, {len(TINY_LAYERS)} x (extract + abx + semantic) processes: {total:.1f} s "
              f"({', '.join(f'{k} {v:.1f} s' for k, v in t.items())})")
        ours_abx = pd.read_csv(args.work / "sweep" / "abx.csv")
        ours_abx = ours_abx[ours_abx["status"] == "scored"].set_index(["layer", "subset", "speaker"])["score"]
        theirs_abx = pd.DataFrame(abx_rows).set_index(["layer", "subset", "speaker"])["score"]
        ours_sem = pd.read_csv(args.work / "sweep" / "semantic.csv").set_index(["layer", "type", "dataset"])
        theirs_sem = pd.DataFrame(sem_rows).set_index(["layer", "type", "dataset"])
        assert sorted(ours_abx.index) == sorted(theirs_abx.index)
        d_abx = float((ours_abx - theirs_abx.reindex(ours_abx.index)).abs().max())
        d_sem = float((ours_sem["correlation"] - theirs_sem["correlation"].reindex(ours_sem.index)).abs().max())
        print(f"same numbers: max |ABX sweep - naive| = {d_abx:.3g}, max |sSIMI sweep - naive| = {d_sem:.3g}")
        print(f"ratio naive / sweep: {total / t_sweep:.1f}x (cache hit: {total / t_again:.1f}x)")

    # 4. full-size FaST-VGS
    if not args.skip_full_size:
        shutil.rmtree(args.work / "full-size", ignore_errors=True)
        shutil.rmtree(args.work / "cache-full-size", ignore_errors=True)
        t_full, _ = vgprobe("sweep", "--checkpoint", "random:fastvgs-coco", "--data", str(zr), "--out",
                            str(args.work / "full-size"), "--cache", str(args.work / "cache-full-size"),
                            "--baselines", "logmel", "--no-progress")
        meta = json.loads((args.work / "full-size" / "sweep.json").read_text())
        stages = {s["stage"]: s["seconds"] for s in meta["stages"]}
        hours = seconds / 3600
        disk = folder_bytes(args.work / "cache-full-size")
        print(f"full-size sweep (random:fastvgs-coco, 12 layers, + log-mel, every measure): {t_full:.1f} s for "
              f"{seconds:.0f} s of audio ({', '.join(f'{k} {v:.1f} s' for k, v in stages.items())})")
        per_hour = {k: v / hours for k, v in stages.items()}
        print("per hour of audio: " + ", ".join(f"{k} {v / 3600:.2f} h" for k, v in per_hour.items())
              + f"; total {t_full / hours / 3600:.2f} h; cache {disk / hours / 1e9:.1f} GB per hour of audio")
    print(f"load average at end: {os.getloadavg()}")


if __name__ == "__main__":
    main()
