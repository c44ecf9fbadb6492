"""Learning check: train the ``tiny`` recipe on ``vgprobe synth vg`` data for a bounded time.

Builds (or reuses) a synthetic image–spoken-caption corpus, trains ``tiny`` from random init for at most
``--minutes`` of wall time (validation included), and prints the learning curve read from the run's
``metrics.jsonl``: step, seconds, mean training loss since the previous row, held-out (val split) R@1/5/10
in both directions for coarse and coarse-to-fine retrieval, and the chance levels. The best checkpoint is then
scored on the test split. The table is also written as Markdown (``--table``).

    python benchmarks/train_synthetic.py --corpus /tmp/vg1000 --images 1000 --minutes 10 --out /tmp/train_synth
"""

from __future__ import annotations

import argparse
import json
import math
import platform
import subprocess
import time
from pathlib import Path

KS = (1, 5, 10)
DIRECTIONS = (("speech_to_image", "S→I"), ("image_to_speech", "I→S"))


def chance_speech_to_image(k: int, n_images: int) -> float:
    """P(the one image of a caption is in a random top k of ``n_images``)."""
    return min(1.0, k / n_images)


def chance_image_to_speech(k: int, n_images: int, captions_per_image: int) -> float:
    """P(at least one of the image's captions is in a random top k of all captions)."""
    n = n_images * captions_per_image
    if k >= n:
        return 1.0
    miss = math.comb(n - captions_per_image, k) / math.comb(n, k)
    return 1.0 - miss


def read_metrics(run: Path) -> tuple[list[dict], list[dict]]:
    rows = [json.loads(line) for line in (run / "metrics.jsonl").read_text().splitlines() if line.strip()]
    return [r for r in rows if r["kind"] == "train"], [r for r in rows if r["kind"] == "val"]


def curve(train_rows: list[dict], val_rows: list[dict], modes: tuple[str, ...]) -> list[dict]:
    """One row per validation: step, seconds, mean training loss over the steps since the previous
    validation, recall for each mode, direction and k."""
    out, prev = [], 0
    for v in val_rows:
        window = [t for t in train_rows if prev < t["step"] <= v["step"]]
        loss = sum(t["loss"] for t in window) / len(window) if window else float("nan")
        row = {"step": v["step"], "seconds": v["time_s"], "loss": loss}
        for mode in modes:
            for d, _ in DIRECTIONS:
                for k in KS:
                    row[f"{mode}.{d}.R@{k}"] = v[f"{mode}.{d}.R@{k}"]
        out.append(row)
        prev = v["step"]
    return out


def markdown(rows: list[dict], modes: tuple[str, ...], chance: dict[str, float]) -> str:
    cols = [f"{m} {label} R@{k}" for m in modes for _, label in DIRECTIONS for k in KS]
    keys = [f"{m}.{d}.R@{k}" for m in modes for d, _ in DIRECTIONS for k in KS]
    lines = ["| step | s | train loss | " + " | ".join(cols) + " |", "|---" * (3 + len(cols)) + "|"]
    lines.append("| chance | | | " + " | ".join(f"{100 * chance[k]:.1f}" for k in keys) + " |")
    for r in rows:
        lines.append(f"| {r['step']} | {r['seconds']:.0f} | {r['loss']:.3f} | "
                     + " | ".join(f"{100 * r[k]:.1f}" for k in keys) + " |")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--corpus", type=Path, default=Path("/tmp/vgprobe-bench-vg1000"), help="corpus folder (built if absent)")
    ap.add_argument("--images", type=int, default=1000)
    ap.add_argument("--captions-per-image", type=int, default=2)
    ap.add_argument("--recipe", default="tiny")
    ap.add_argument("--minutes", type=float, default=10.0, help="wall-time bound of the training loop")
    ap.add_argument("--max-steps", type=int, default=None)
    ap.add_argument("--out", type=Path, default=Path("/tmp/vgprobe-bench-train-synthetic"))
    ap.add_argument("--table", type=Path, default=None, help="write the Markdown table here")
    ap.add_argument("--set", nargs="*", default=[], metavar="KEY=VALUE", help="train-block overrides")
    args = ap.parse_args(argv)

    import shutil

    import torch
    import yaml

    from vgprobe.fastvgs import load as load_model
    from vgprobe.train.evaluate import evaluate_retrieval
    from vgprobe.train import resolve_config, train
    from vgprobe.synth import build_vg_corpus

    t0 = time.perf_counter()
    build_vg_corpus(args.corpus, images=args.images, captions_per_image=args.captions_per_image, seed=0)
    print(f"corpus {args.corpus} ready in {time.perf_counter() - t0:.1f} s")
    overrides = {k: yaml.safe_load(v) for k, v in (kv.split("=", 1) for kv in args.set)}
    _, tcfg, _ = resolve_config(args.recipe, overrides)
    if args.out.exists():
        shutil.rmtree(args.out)
    load = subprocess.run(["uptime"], capture_output=True, text=True).stdout.strip()
    print(f"torch threads {torch.get_num_threads()}; {platform.processor() or platform.machine()}; {load}")
    best = train(args.recipe, args.corpus, args.out, overrides=overrides, max_steps=args.max_steps,
                 max_seconds=60 * args.minutes, progress=False)
    load_after = subprocess.run(["uptime"], capture_output=True, text=True).stdout.strip()

    from vgprobe.train.data import load_split

    n_val = len(load_split(args.corpus, "val").images)
    n_test = len(load_split(args.corpus, "test").images)
    modes = ("coarse", "ctf") if tcfg.fine_weight else ("coarse",)

    def chance(n_images: int) -> dict[str, float]:
        c = {}
        for m in modes:
            for k in KS:
                c[f"{m}.speech_to_image.R@{k}"] = chance_speech_to_image(k, n_images)
                c[f"{m}.image_to_speech.R@{k}"] = chance_image_to_speech(k, n_images, args.captions_per_image)
        return c

    train_rows, val_rows = read_metrics(args.out)
    rows = curve(train_rows, val_rows, modes)
    rate = [t["samples_per_s"] for t in train_rows]
    table = markdown(rows, modes, chance(n_val))
    print(f"\nval split: {n_val} images; chance R@10 S→I {100 * chance_speech_to_image(10, n_val):.1f} %")
    print(table)

    model = load_model(best)
    test = evaluate_retrieval(model, args.corpus, "test", modes=modes, kc=tcfg.topk, seconds=tcfg.eval_audio_seconds)
    test_row = {"step": json.loads((best / "config.json").read_text()).get("step", "best")
                if (best / "config.json").is_file() else "best", "seconds": float("nan"), "loss": float("nan")}
    test_row |= {f"{m}.{d}.R@{k}": test[f"{m}.{d}.R@{k}"] for m in modes for d, _ in DIRECTIONS for k in KS}
    test_table = markdown([test_row], modes, chance(n_test))
    print(f"\ntest split ({n_test} images), checkpoint {best.name}:")
    print(test_table)
    summary = (f"training samples/s: median {sorted(rate)[len(rate) // 2]:.1f} (min {min(rate):.1f}, max {max(rate):.1f}); "
               f"load before: {load}; after: {load_after}")
    print(summary)
    if args.table:
        args.table.write_text(f"val split ({n_val} images):\n\n{table}\n\ntest split ({n_test} images), "
                              f"checkpoint `{best.name}`:\n\n{test_table}\n\n{summary}\n")


if __name__ == "__main__":
    main()
