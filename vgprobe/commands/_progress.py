"""The ``--progress`` / ``--no-progress`` pair shared by the commands that run long work."""

from __future__ import annotations

import argparse

from vgprobe.progress import Mode, mode_from_flag


def add_progress_flags(p: argparse.ArgumentParser) -> None:
    """``--progress`` forces a bar, ``--no-progress`` silences progress; neither: a bar on a terminal, plain
    progress lines elsewhere."""
    prog = p.add_mutually_exclusive_group()
    prog.add_argument("--progress", dest="progress", action="store_true", default=None,
                      help="progress bars (default: on a terminal; a plain line every 30 s elsewhere)")
    prog.add_argument("--no-progress", dest="progress", action="store_false")


def progress_mode(args: argparse.Namespace) -> Mode:
    return "bar" if args.progress else mode_from_flag(args.progress)
