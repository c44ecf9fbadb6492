"""``vgprobe extract``: named-layer features of a model for a ZeroSpeech 2021 dataset (or any wav folder)."""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from vgprobe.commands._options import add_progress_flags

HELP = "Extract named-layer features (e.g. trm1.6, trm2.1) into ZeroSpeech 2021 submission folders."


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("--checkpoint", help="FaST-VGS folder (authors' or vgprobe's), Hugging Face speech-encoder "
                   "folder, or random:<preset> (seeded random init); default from vgprobe.toml")
    p.add_argument("--data", type=Path, help="ZeroSpeech 2021 root or any folder of wav files; default from vgprobe.toml")
    p.add_argument("--out", type=Path, help="output root: one submission folder per layer; default from vgprobe.toml")
    p.add_argument("--layer", action="append", required=True,
                   help="layer name(s), comma-separated or repeated (trm1.6, trm2.1, hidden.9, ...) or 'all'")
    p.add_argument("--split", choices=("dev", "test"), help="ZR2021 split (default dev)")
    p.add_argument("--task", choices=("phonetic", "semantic", "all"), default="all")
    p.add_argument("--format", dest="fmt", choices=("npy", "txt"), default="npy",
                   help="npy (fast, default) or txt (what the official ZR2021 validator accepts)")
    p.add_argument("--batch-seconds", type=float, default=60.0, help="audio seconds per batch (default 60)")
    p.add_argument("--device", default="cpu", help="cpu or cuda[:i]")
    p.add_argument("--dtype", choices=("float32", "bfloat16"), default="float32",
                   help="float32 (exact, default) or bfloat16 autocast (faster, approximate)")
    p.add_argument("--shard", help="i/n: process the i-th of n disjoint parts (default: RANK/WORLD_SIZE under torchrun)")
    p.add_argument("--on-error", choices=("fail", "skip"), default="fail",
                   help="bad audio: stop (default) or skip it and list it in skipped.tsv (exit code 3)")
    p.add_argument("--overwrite", action="store_true", help="replace a folder written with other settings")
    p.add_argument("--mix-to-mono", action="store_true", help="average the channels of multi-channel audio")
    p.add_argument("--seed", type=int, default=0, help="seed of random:<preset> models (default 0)")
    add_progress_flags(p)


def run(args: argparse.Namespace) -> int:
    from vgprobe.extract import ExtractConfig, extract
    from vgprobe.extract.sources import parse_shard
    from vgprobe.project import load_project_config

    project = load_project_config(checkpoint=args.checkpoint, data=args.data, out=args.out, split=args.split)
    project.require("checkpoint", "data", "out", hint="pass --checkpoint, --data and --out")
    print(project.describe(), file=sys.stderr)
    layers = tuple(n.strip() for item in args.layer for n in item.split(",") if n.strip())
    device = args.device
    if device == "cuda" and "LOCAL_RANK" in os.environ:  # torchrun: one device per process
        device = f"cuda:{os.environ['LOCAL_RANK']}"
    cfg = ExtractConfig(
        checkpoint=str(project.checkpoint), data=Path(project.data), out=Path(project.out), layers=layers,
        split=project.split or "dev", task=args.task, fmt=args.fmt, batch_seconds=args.batch_seconds,
        device=device, shard=parse_shard(args.shard), on_error=args.on_error, overwrite=args.overwrite,
        mix_to_mono=args.mix_to_mono, dtype=args.dtype, seed=args.seed,
        progress=args.progress is not False,  # a bar on a terminal, plain progress lines elsewhere
    )
    res = extract(cfg, log=lambda m: print(m, file=sys.stderr))
    print(summary_line(res, cfg.out))
    for path, reason in res.skipped:
        print(f"skipped {path}: {reason}", file=sys.stderr)
    return res.exit_code


def summary_line(res, out) -> str:
    """One line on what the run did; the rate counts only the audio this run computed."""
    if res.n_files and res.n_computed == 0 and res.n_reused == res.n_files - len(res.skipped):
        return f"all {res.n_reused} files already done for {', '.join(res.layers)} -> {out} (nothing computed)"
    rate = res.computed_seconds / res.wall_seconds if res.wall_seconds else 0.0
    return (f"extracted {', '.join(res.layers)}: {res.n_computed} files computed, {res.n_reused} already done, "
            f"{len(res.skipped)} skipped; {res.computed_seconds:.1f} s of audio computed in {res.wall_seconds:.1f} s "
            f"({rate:.1f} audio-s/s) -> {out}")
