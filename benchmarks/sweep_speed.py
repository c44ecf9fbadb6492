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

Also printed: where the in-process ABX time of the 10 frame-rate layers goes (item parsing, token loading, cell
layout, cells, collapse), to see what layers could share.

Usage: nice python benchmarks/sweep_speed.py [--work DIR] [--full] [--skip-naive] [--skip-full-size] [--skip-sweep]
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


def abx_breakdown(sweep_out: Path, zr: Path) -> None:
    """Where ABX time goes per layer (the public pieces of the abx package, both subsets, ZR2021 settings): is
    anything shared between layers (item parsing, cell layout) worth sharing?"""
    from vgprobe.zerospeech import layout
    from vgprobe.zerospeech.abx.cells import build_layout
    from vgprobe.zerospeech.abx.collapse import collapse
    from vgprobe.zerospeech.abx.dataset import load_tokens
    from vgprobe.zerospeech.abx.score import score_abx, score_cells
    from vgprobe.zerospeech.items import read_item_file

    root = Path(json.loads((sweep_out / "sweep.json").read_text())["entries"]["trained"])
    items0 = layout.item_file(zr, "dev-clean")
    score_abx(root / "trm1.1" / "phonetic" / "dev-clean", items0, frame_shift=0.02)  # compile the loops first
    t = dict.fromkeys(("items", "tokens", "layout", "cells", "collapse"), 0.0)
    for layer in FRAME_RATE:
        for subset in layout.phonetic_subsets("dev"):
            t0 = time.perf_counter()
            items = read_item_file(layout.item_file(zr, subset))
            t1 = time.perf_counter()
            tokens = load_tokens(root / layer / "phonetic" / subset, items, frame_shift=0.02)
            t2 = time.perf_counter()
            lay = build_layout(tokens, context_mode="within")
            t3 = time.perf_counter()
            t["items"], t["tokens"], t["layout"] = t["items"] + t1 - t0, t["tokens"] + t2 - t1, t["layout"] + t3 - t2
            for speaker in ("within", "across"):
                t3 = time.perf_counter()
                cells = score_cells(tokens, lay, speaker_mode=speaker, distance="cosine", max_size_group=10,
                                    max_x_across=5, seed=3459)
                t4 = time.perf_counter()
                collapse(speaker=cells.speaker, phone_a=cells.phone_a, phone_b=cells.phone_b, error=cells.error)
                t["cells"] += t4 - t3
                t["collapse"] += time.perf_counter() - t4
    total = sum(t.values())
    print(f"ABX of {len(FRAME_RATE)} layers, in process: {total:.2f} s = "
          + ", ".join(f"{k} {v:.2f} s ({100 * v / total:.1f} %)" for k, v in t.items())
          + "; item parsing and layout are what layers could share")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--work", type=Path, default=Path("/tmp/vgprobe-sweep-bench"))
    ap.add_argument("--full", action="store_true", help="the full quickstart's data sizes (default: --fast's)")
    ap.add_argument("--skip-naive", action="store_true")
    ap.add_argument("--skip-full-size", action="store_true")
    ap.add_argument("--skip-sweep", action="store_true", help="reuse the sweep already in --work (for the next steps)")
    args = ap.parse_args()
    from vgprobe.synth import build_zr2021

    print(f"load average at start: {os.getloadavg()}, {os.cpu_count()} cores")
    zr = build_zr2021(args.work / ("zr-full" if args.full else "zr-fast"), seed=0, processes=2,
                      **(FULL if args.full else FAST))
    seconds = audio_seconds(zr)
    n_files = len(list(zr.rglob("*.wav")))
    print(f"data: {zr}, {n_files} files, {seconds:.0f} s of audio")

    # 2. the sweep
    if not args.skip_sweep:
        for d in ("sweep", "sweep-again", "cache", "naive"):
            shutil.rmtree(args.work / d, ignore_errors=True)
        common = ["--checkpoint", "random:tiny", "--data", str(zr), "--cache", str(args.work / "cache"),
                  "--baselines", "none", "--probes", "abx,semantic", "--pools", "max", "--no-progress"]
        t_sweep, _ = vgprobe("sweep", "--out", str(args.work / "sweep"), *common)
        meta = json.loads((args.work / "sweep" / "sweep.json").read_text())
        stages = {s["stage"]: s["seconds"] for s in meta["stages"]}
        print(f"sweep, 12 layers of random:tiny, cold cache: {t_sweep:.1f} s "
              f"(stages: {', '.join(f'{k} {v:.1f} s' for k, v in stages.items())})")
        t_again, _ = vgprobe("sweep", "--out", str(args.work / "sweep-again"), *common)
        print(f"the same sweep again (cache hit): {t_again:.1f} s")
    abx_breakdown(args.work / "sweep", zr)

    # 3. the naive loop
    if not args.skip_naive and not args.skip_sweep:
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
        per_hour = {k: stages[k] / hours for k in ("extract", "score")}  # loading the models is a fixed cost
        print("per hour of audio: " + ", ".join(f"{k} {v / 3600:.2f} h" for k, v in per_hour.items())
              + f"; total {sum(per_hour.values()) / 3600:.2f} h + {stages['models']:.0f} s to load the models; "
              f"cache {disk / hours / 1e9:.1f} GB per hour of audio")
    print(f"load average at end: {os.getloadavg()}")


if __name__ == "__main__":
    main()
