"""Shared by ``vgprobe lexical`` and ``vgprobe syntactic``: which form of input the flags give."""

from __future__ import annotations

import argparse
from typing import Callable

from vgprobe.errors import ConfigError


def scores_from_args(args: argparse.Namespace, explicit: Callable, submission: Callable):
    """``explicit(gold, scores)`` or ``submission(submission, data, split)``, whichever form the flags give."""
    if args.gold is not None or args.scores is not None:
        if args.gold is None or args.scores is None:
            raise ConfigError("--gold and --scores go together; give both")
        return explicit(args.gold, args.scores)
    if args.submission is not None or args.data is not None:
        if args.submission is None or args.data is None:
            raise ConfigError("--submission and --data go together; give both (and --split)")
        return submission(args.submission, args.data, args.split)
    raise ConfigError("give --gold and --scores, or --submission and --data")
