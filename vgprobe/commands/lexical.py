"""``vgprobe lexical``: ZeroSpeech 2021 lexical (sWUGGY) accuracy of a score file."""

from __future__ import annotations

import argparse

from vgprobe.commands._lm import add_lm_arguments, run_lm

HELP = "Score word/non-word log-probabilities on ZeroSpeech 2021 lexical (sWUGGY), as the official scorer does."


def add_arguments(parser: argparse.ArgumentParser) -> None:
    add_lm_arguments(parser, task="lexical", gold_columns="id, filename, voice, frequency, word, phones, length, correct")


def run(args: argparse.Namespace) -> int:
    from vgprobe.zerospeech.lm.lexical import (
        results_to_frame,
        results_to_json,
        score_lexical,
        score_lexical_submission,
    )

    return run_lm(args, explicit=score_lexical, submission=score_lexical_submission, to_frame=results_to_frame,
                  to_json=results_to_json, table=_table)


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
