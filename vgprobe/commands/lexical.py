"""``vgprobe lexical``: ZeroSpeech 2021 lexical (sWUGGY) accuracy of a score file."""

from __future__ import annotations

import argparse
from pathlib import Path

from vgprobe.commands._lm import scores_from_args
from vgprobe.commands._report import report

HELP = "Score word/non-word log-probabilities on ZeroSpeech 2021 lexical (sWUGGY), as the official scorer does."


def add_arguments(parser: argparse.ArgumentParser) -> None:
    explicit = parser.add_argument_group("explicit files")
    explicit.add_argument("--gold", type=Path, help="lexical gold.csv (id, filename, voice, frequency, word, phones, "
                          "length, correct)")
    explicit.add_argument("--scores", type=Path, help="score file: one '<filename> <score>' line per audio file")
    sub = parser.add_argument_group("submission folder")
    sub.add_argument("--submission", type=Path, help="submission folder (scores in lexical/<split>.txt)")
    sub.add_argument("--data", type=Path, help="ZR2021 dataset root (lexical/<split>/gold.csv)")
    sub.add_argument("--split", choices=("dev", "test"), default="dev", help="dataset split (default: dev)")
    parser.add_argument("--json", action="store_true", help="print the results as a JSON array (scores as fractions)")
    parser.add_argument("--out", type=Path, help="also write the result table to this CSV file")


def run(args: argparse.Namespace) -> int:
    from vgprobe.zerospeech.lm.lexical import (
        results_to_frame,
        results_to_json,
        score_lexical,
        score_lexical_submission,
    )

    scores = scores_from_args(args, score_lexical, score_lexical_submission)
    report([(None, scores.results)], to_frame=results_to_frame, to_json=results_to_json, table=_table,
           as_json=args.json, out=args.out)
    return 0


def _table(results) -> str:
    rows = [("breakdown", "group", "frequencies", "pairs", "accuracy %", "std")]
    for r in results:
        std = "-" if r.std is None or r.std != r.std else f"{100 * r.std:.2f}"
        score = "-" if r.score != r.score else f"{100 * r.score:.2f}"
        rows.append((r.breakdown, r.group or "-", r.interval or "-", str(r.n_pairs), score, std))
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    lines = ["  ".join(cell.rjust(w) for cell, w in zip(row, widths)) for row in rows]
    lines.append("frequency bands: the official labels with the official (half-open) edges, shown as 'frequencies'")
    return "\n".join(lines)
