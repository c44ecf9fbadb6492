"""The ``vgprobe`` command line: a thin layer over library functions.

Each subcommand lives in ``vgprobe/commands/<name>.py`` and exposes
``HELP`` (one line), ``add_arguments(parser)`` and ``run(args) -> int``.
The command modules import heavy libraries (torch, scipy, ...) inside
``run`` only, so ``vgprobe --help`` stays fast.
"""

from __future__ import annotations

import argparse
import importlib
import sys
from typing import Sequence

from vgprobe import __version__
from vgprobe.errors import VgprobeError

COMMANDS: tuple[str, ...] = (
    "synth",
    "extract",
    "abx",
    "semantic",
    "lexical",
    "syntactic",
    "submission",
    "unit-lm",
    "sweep",
    "heads",
    "train",
    "retrieve",
    "analyze",
    "quickstart",
)


def _command_module(name: str):
    return importlib.import_module(f"vgprobe.commands.{name.replace('-', '_')}")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="vgprobe",
        description="Probe visually grounded speech models on ZeroSpeech 2021 (ABX, sSIMI, sWUGGY, sBLIMP).",
    )
    parser.add_argument("--version", action="version", version=f"vgprobe {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name in COMMANDS:
        module = _command_module(name)
        p = sub.add_parser(name, help=module.HELP, description=module.HELP)
        module.add_arguments(p)
        p.set_defaults(_run=module.run)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if not hasattr(args, "_run"):
        parser.print_help()
        return 2
    try:
        return int(args._run(args) or 0)
    except VgprobeError as exc:
        print(f"vgprobe {args.command}: error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print(f"vgprobe {args.command}: interrupted", file=sys.stderr)
        return 130
