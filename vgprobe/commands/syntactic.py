"""``vgprobe syntactic``: ZeroSpeech 2021 syntactic (sBLIMP) accuracy of a score file."""

from __future__ import annotations

import argparse

from vgprobe.commands._lm import add_lm_arguments, run_lm

HELP = "Score grammatical/ungrammatical sentence log-probabilities on ZeroSpeech 2021 syntactic (sBLIMP)."


def add_arguments(parser: argparse.ArgumentParser) -> None:
    add_lm_arguments(parser, task="syntactic", gold_columns="id, filename, voice, type, subtype, correct, transcription")


def run(args: argparse.Namespace) -> int:
    from vgprobe.zerospeech.lm.syntactic import (
        results_to_frame,
        results_to_json,
        score_syntactic,
        score_syntactic_submission,
    )

    return run_lm(args, explicit=score_syntactic, submission=score_syntactic_submission, to_frame=results_to_frame,
                  to_json=results_to_json, table=_table)


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
