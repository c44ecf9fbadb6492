"""Options several commands share: the ``--progress`` / ``--no-progress`` pair, ``NAME=PATH`` values."""

from __future__ import annotations

import argparse
from pathlib import Path

from vgprobe.errors import ConfigError
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


def name_path_pairs(items: list[str], *, flag: str, form: str, example: str) -> tuple[tuple[str, Path], ...]:
    """``["a=x.json", ...]`` -> ``(("a", Path("x.json")), ...)``; anything else is an error naming ``flag``."""
    out = []
    for item in items:
        name, sep, path = item.partition("=")
        if not sep or not name or not path:
            raise ConfigError(f"{flag} {item!r}: expected {form}, e.g. {example}")
        out.append((name, Path(path)))
    return tuple(out)
