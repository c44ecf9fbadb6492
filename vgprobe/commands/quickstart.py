"""``vgprobe quickstart``: synthesise data, train tiny FaST-VGS, extract, score, report — offline."""

from __future__ import annotations

import argparse
from pathlib import Path

HELP = "Run the whole pipeline on synthetic data: synth, train tiny FaST-VGS, extract, ABX, sSIMI, report."


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("--out", type=Path, default=Path("runs/quickstart"), help="output folder (default runs/quickstart)")
    p.add_argument("--fast", action="store_true", help="smaller data and shorter training (under 3 minutes; for CI)")
    p.add_argument("--recipe", default="tiny", help="recipe to train (default tiny)")
    p.add_argument("--no-progress", action="store_true", help="no progress output (default: bars on a terminal, a line every 30 s elsewhere)")


def run(args: argparse.Namespace) -> int:
    from vgprobe.pipelines.quickstart import QuickstartConfig, quickstart

    report = quickstart(QuickstartConfig(out=args.out, fast=args.fast, recipe=args.recipe),
                        progress=not args.no_progress)  # a bar on a terminal, plain lines elsewhere
    print(f"report: {report / 'report.md'}")
    return 0
