"""``vgprobe unit-lm``: lexical and syntactic score files from a layer's features (vgprobe's unit-bigram baseline)."""

from __future__ import annotations

import argparse
from pathlib import Path

HELP = ("Write lexical/<split>.txt and syntactic/<split>.txt of a layer with vgprobe's unit-bigram LM baseline "
        "(k-means units + add-one bigram; not a ZeroSpeech reference system).")


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("--data", type=Path, required=True, help="ZR2021 dataset root (lexical/ and syntactic/ gold files)")
    p.add_argument("--train-features", type=Path, action="append", required=True, metavar="DIR",
                   help="feature folder(s) the units and bigrams are fitted on, e.g. LAYER/phonetic/dev-clean; repeat")
    p.add_argument("--lexical-features", type=Path, required=True,
                   help="the layer's features of the lexical files (`vgprobe extract --data ROOT/lexical/dev`)")
    p.add_argument("--syntactic-features", type=Path, required=True,
                   help="the layer's features of the syntactic files (`vgprobe extract --data ROOT/syntactic/dev`)")
    p.add_argument("--out", type=Path, required=True, help="folder that receives lexical/ and syntactic/ score files")
    p.add_argument("--split", choices=("dev", "test"), default="dev")
    p.add_argument("--units", type=int, default=50, help="k-means units (default 50)")
    p.add_argument("--seed", type=int, default=0, help="k-means seed (default 0)")


def run(args: argparse.Namespace) -> int:
    from vgprobe.zerospeech.lm.baseline import BASELINE_LABEL, UnitLMConfig, write_baseline_submission

    lexical, syntactic = write_baseline_submission(
        args.data, train_features=args.train_features, lexical_features=args.lexical_features,
        syntactic_features=args.syntactic_features, out=args.out, split=args.split,
        config=UnitLMConfig(n_units=args.units, seed=args.seed))
    print(f"{lexical}\n{syntactic}\n({BASELINE_LABEL})")
    return 0
