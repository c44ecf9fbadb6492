"""``vgprobe sweep``: every layer of a checkpoint (and its random twin, and log-mel) on ABX, sSIMI and probes."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from vgprobe.commands._options import add_progress_flags, name_path_pairs, progress_mode

HELP = ("Score every layer of a checkpoint, its random-init twin and log-mel on ZR2021 ABX, sSIMI and probes; "
        "report the best layer per measure against the paper's choices.")


def _names(text: str) -> tuple[str, ...]:
    names = tuple(n.strip() for n in text.split(",") if n.strip())
    return () if names == ("none",) else names


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("--checkpoint", help="FaST-VGS folder (authors' or vgprobe's), Hugging Face speech-encoder folder "
                   "or random:<recipe>; default from vgprobe.toml")
    p.add_argument("--data", type=Path, help="ZeroSpeech 2021 dataset root; default from vgprobe.toml")
    p.add_argument("--split", choices=("dev", "test"), help="dataset split (default dev)")
    p.add_argument("--out", type=Path, required=True,
                   help="report folder (new, empty, or an earlier sweep's: it is replaced whole at the end)")
    p.add_argument("--layers", type=_names, default=("all",),
                   help="comma-separated layer names (default all: cnn, trm1.0-trm1.8, conv2, trm2.1 for FaST-VGS; "
                        "hidden.0-N for Hugging Face encoders)")
    p.add_argument("--baselines", type=_names, default=("random", "logmel"),
                   help="random (same architecture, seeded random init), logmel, or none (default random,logmel)")
    p.add_argument("--probes", type=_names, default=("abx", "semantic", "cca", "mi", "linear"),
                   help="measures: abx, semantic (sSIMI), cca (PWCCA), mi (k-means NMI), linear (linear probe); "
                        "default all")
    p.add_argument("--pools", type=_names, default=("max", "mean"), help="sSIMI poolings (default max,mean)")
    p.add_argument("--alignments", action="append", default=[], metavar="SUBSET=JSON",
                   help="word alignments {utt: [[onset_s, offset_s, word], ...]} of a phonetic subset, for word "
                        "probes on running speech (repeat per subset, e.g. dev-clean=words.json)")
    p.add_argument("--cache", type=Path, help="feature cache (default $VGPROBE_CACHE, else ~/.cache/vgprobe)")
    p.add_argument("--device", default="cpu", help="cpu or cuda[:i] for extraction")
    p.add_argument("--dtype", choices=("float32", "bfloat16"), default="float32",
                   help="extraction precision (default float32, exact)")
    p.add_argument("--batch-seconds", type=float, default=60.0, help="audio seconds per extraction batch (default 60)")
    p.add_argument("--seed", type=int, default=0, help="seed of the random twin and of the probes (default 0)")
    add_progress_flags(p)


def run(args: argparse.Namespace) -> int:
    from vgprobe.pipelines.sweep import SweepConfig, sweep
    from vgprobe.project import load_project_config

    project = load_project_config(checkpoint=args.checkpoint, data=args.data, split=args.split)
    project.require("checkpoint", "data", hint="pass --checkpoint and --data")
    alignments = name_path_pairs(args.alignments, flag="--alignments", form="SUBSET=JSON", example="dev-clean=words.json")
    cfg = SweepConfig(
        checkpoint=str(project.checkpoint), data=Path(project.data), out=args.out, split=project.split or "dev",
        layers=args.layers or ("all",), baselines=args.baselines, measures=args.probes, pools=args.pools,
        alignments=alignments, cache=args.cache, device=args.device, dtype=args.dtype,
        batch_seconds=args.batch_seconds, seed=args.seed,
        progress=progress_mode(args),
    )
    result = sweep(cfg, log=lambda msg: print(msg, file=sys.stderr))
    best = result.tables["best_layers"]
    view = best[best["model"] == "trained"][["title", "best_layer", "best_value", "paper_layer", "paper_value"]]
    if len(view):
        print(view.to_string(index=False, float_format=lambda v: f"{v:.2f}"))
    print(f"report: {result.out / 'report.md'}")
    return 0
