"""Shared by ``vgprobe lexical`` and ``vgprobe syntactic``: their flags and which form of input the flags give."""

from __future__ import annotations

import argparse
from collections.abc import Callable
from pathlib import Path

from vgprobe.commands._report import report
from vgprobe.errors import ConfigError


def add_lm_arguments(parser: argparse.ArgumentParser, *, task: str, gold_columns: str) -> None:
    """The flags of a ZR2021 LM task command; ``task`` names the submission and dataset folder."""
    explicit = parser.add_argument_group("explicit files")
    explicit.add_argument("--gold", type=Path, help=f"{task} gold.csv ({gold_columns})")
    explicit.add_argument("--scores", type=Path, help="score file: one '<filename> <score>' line per audio file")
    sub = parser.add_argument_group("submission folder")
    sub.add_argument("--submission", type=Path, help=f"submission folder (scores in {task}/<split>.txt)")
    sub.add_argument("--data", type=Path, help=f"ZR2021 dataset root ({task}/<split>/gold.csv)")
    sub.add_argument("--split", choices=("dev", "test"), default="dev", help="dataset split (default: dev)")
    parser.add_argument("--json", action="store_true", help="print the results as a JSON array (scores as fractions)")
    parser.add_argument("--out", type=Path, help="also write the result table to this CSV file")


def run_lm(args: argparse.Namespace, *, explicit: Callable, submission: Callable, to_frame: Callable,
           to_json: Callable, table: Callable) -> int:
    """Score the input the flags give and report its results as a table, JSON and/or CSV."""
    scores = scores_from_args(args, explicit, submission)
    report([(None, scores.results)], to_frame=to_frame, to_json=to_json, table=table, as_json=args.json, out=args.out)
    return 0


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
