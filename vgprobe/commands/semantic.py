"""``vgprobe semantic``: ZeroSpeech 2021 sSIMI scores of pooled feature files."""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
from pathlib import Path

from vgprobe.errors import ConfigError

HELP = "Score features on ZeroSpeech 2021 sSIMI (semantic similarity), as the official scorer does."

POOLINGS = ("max", "min", "mean", "sum", "last", "lastlast")


def add_arguments(parser: argparse.ArgumentParser) -> None:
    explicit = parser.add_argument_group("explicit files")
    explicit.add_argument("--features", type=Path, help="folder holding synthetic/ and librispeech/ feature files")
    explicit.add_argument("--gold", type=Path, help="gold.csv (type, filename, word, voice)")
    explicit.add_argument("--pairs", type=Path, help="pairs.csv (type, dataset, word_1, word_2, similarity, relatedness)")
    sub = parser.add_argument_group("submission folder")
    sub.add_argument("--submission", type=Path, help="submission folder (features under semantic/<split>/)")
    sub.add_argument("--data", type=Path, help="ZR2021 dataset root (semantic/<split>/gold.csv and pairs.csv)")
    sub.add_argument("--split", choices=("dev", "test"), default="dev", help="dataset split (default: dev)")
    parser.add_argument("--pool", choices=POOLINGS, default="max", help="pooling over time (default: max)")
    parser.add_argument("--metric", default="cosine", help="any scipy.spatial.distance.cdist metric (default: cosine)")
    parser.add_argument("--ext", choices=(".npy", ".txt", ".pt"), help="feature format, when a folder holds several")
    parser.add_argument("--json", action="store_true", help="print the results as a JSON array")
    parser.add_argument("--out", type=Path, help="also write the result table to this CSV file")


def run(args: argparse.Namespace) -> int:
    from vgprobe.zerospeech.semantic import (
        results_to_frame,
        results_to_json,
        score_semantic,
        score_semantic_submission,
    )

    settings = dict(pool=args.pool, metric=args.metric, ext=args.ext)
    explicit = (args.features, args.gold, args.pairs)
    if any(v is not None for v in explicit):
        if not all(v is not None for v in explicit):
            raise ConfigError("--features, --gold and --pairs go together; give all three")
        results = score_semantic(args.features, args.gold, args.pairs, **settings)
    elif args.submission is not None or args.data is not None:
        if args.submission is None or args.data is None:
            raise ConfigError("--submission and --data go together; give both (and --split)")
        results = score_semantic_submission(args.submission, args.data, args.split, **settings)
    else:
        results = from_project_config(args)

    frame = results_to_frame(results)
    if args.out is not None:
        _write_csv_atomically(frame, args.out)
    if args.json:
        print(results_to_json(results))
    else:
        print(frame.to_string(index=False, float_format=lambda v: f"{v:.4f}"))
    return 0


def from_project_config(args: argparse.Namespace):
    """Score from the project configuration (vgprobe.toml); not wired yet, so say which flags are needed."""
    raise ConfigError(
        "no input given: pass --features DIR --gold gold.csv --pairs pairs.csv, "
        "or --submission DIR --data ZR_ROOT [--split dev]"
    )


def _write_csv_atomically(frame, path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "w", newline="") as f:
            frame.to_csv(f, index=False)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    print(f"wrote {path}", file=sys.stderr)
