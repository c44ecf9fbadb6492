"""``vgprobe syntactic``: ZeroSpeech 2021 syntactic (sBLIMP) accuracy of a score file."""

from __future__ import annotations

import argparse
from pathlib import Path

from vgprobe.commands._report import report
from vgprobe.commands._lm import scores_from_args

HELP = "Score grammatical/ungrammatical sentence log-probabilities on ZeroSpeech 2021 syntactic (sBLIMP)."


def add_arguments(parser: argparse.ArgumentParser) -> None:
    explicit = parser.add_argument_group("explicit files")
    explicit.add_argument("--gold", type=Path, help="syntactic gold.csv (id, filename, voice, type, subtype, correct, "
                          "transcription)")
    explicit.add_argument("--scores", type=Path, help="score file: one '<filename> <score>' line per audio file")
    sub = parser.add_argument_group("submission folder")
    sub.add_argument("--submission", type=Path, help="submission folder (scores in syntactic/<split>.txt)")
    sub.add_argument("--data", type=Path, help="ZR2021 dataset root (syntactic/<split>/gold.csv)")
    sub.add_argument("--split", choices=("dev", "test"), default="dev", help="dataset split (default: dev)")
    parser.add_argument("--json", action="store_true", help="print the results as a JSON array (scores as fractions)")
    parser.add_argument("--out", type=Path, help="also write the result table to this CSV file")


def run(args: argparse.Namespace) -> int:
    from vgprobe.zerospeech.lm.syntactic import (
        results_to_frame,
        results_to_json,
        score_syntactic,
        score_syntactic_submission,
    )

    scores = scores_from_args(args, score_syntactic, score_syntactic_submission)
    report([(None, scores.results)], to_frame=results_to_frame, to_json=results_to_json, table=_table,
           as_json=args.json, out=args.out)
    return 0


def _table(results) -> str:
    rows = [("breakdown", "type", "subtype", "pairs", "accuracy %", "std")]
    for r in results:
        std = "-" if r.std is None or r.std != r.std else f"{100 * r.std:.2f}"
        mark = "" if r.official else " *"
        rows.append((r.breakdown + mark, r.type or "-", r.subtype or "-", str(r.n_pairs), f"{100 * r.score:.2f}", std))
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    lines = ["  ".join(cell.rjust(w) for cell, w in zip(row, widths)) for row in rows]
    if not all(r.official for r in results):
        lines.append("* per-subtype rows: a vgprobe extra, not part of the official scorer's output")
    return "\n".join(lines)
