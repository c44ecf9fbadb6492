"""``vgprobe abx``: ZeroSpeech 2021 / Libri-Light ABX error rates of feature files."""

from __future__ import annotations

import argparse
import math
import sys
from pathlib import Path

from vgprobe.commands._report import add_layer_argument, project_targets, report
from vgprobe.errors import ConfigError

HELP = ("Score features on ZeroSpeech 2021 ABX (phonetic) as Libri-Light computes it: identical with caps off; "
        "the default caps draw with a seeded sampler of vgprobe's own")


def _modes(allowed: tuple[str, ...]):
    def parse(text: str) -> tuple[str, ...]:
        modes = tuple(m.strip() for m in text.split(",") if m.strip())
        bad = [m for m in modes if m not in allowed]
        if bad or not modes:
            raise argparse.ArgumentTypeError(f"expected a comma list of {', '.join(allowed)}, got {text!r}")
        return modes

    return parse


def _cap(text: str) -> int | None:
    if text.lower() == "none":
        return None
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a positive integer or 'none', got {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"expected a positive integer or 'none', got {text!r}")
    return value


def add_arguments(parser: argparse.ArgumentParser) -> None:
    explicit = parser.add_argument_group("explicit files")
    explicit.add_argument("--features", type=Path, help="folder of feature files (<stem>.npy|.txt|.pt)")
    explicit.add_argument("--item", type=Path, help="the .item file")
    explicit.add_argument("--frame-shift", type=float, help="seconds between frames (e.g. 0.02); "
                          "with --submission, read from meta.yaml when there")
    sub = parser.add_argument_group("submission folder")
    sub.add_argument("--submission", type=Path, help="submission folder (features under phonetic/<split>-clean|other)")
    sub.add_argument("--data", type=Path, help="ZR2021 dataset root (phonetic/<subset>/<subset>.item)")
    sub.add_argument("--split", choices=("dev", "test"), default="dev", help="dataset split (default: dev)")
    sub.add_argument("--items", choices=("triphone", "phoneme"), default="triphone", help="item kind (default: triphone)")
    parser.add_argument("--speaker", type=_modes(("within", "across")), default=("within", "across"),
                        help="speaker modes, comma-separated (default: within,across)")
    parser.add_argument("--context", type=_modes(("within", "any")), default=("within",),
                        help="context modes, comma-separated (default: within)")
    parser.add_argument("--distance", choices=("cosine", "euclidean", "kl", "kl_symmetric"), default="cosine",
                        help="frame distance (default: cosine, i.e. angular)")
    parser.add_argument("--max-size-group", type=_cap, default=10, help="cap on tokens per group, or 'none' (default: 10)")
    parser.add_argument("--max-x-across", type=_cap, default=5, help="cap on X speakers, or 'none' (default: 5)")
    parser.add_argument("--seed", type=int, default=3459, help="seed of the capped draws (default: 3459)")
    parser.add_argument("--slicing", choices=("librilight", "exact"), default="librilight",
                        help="frames of a token: as Libri-Light (default) or every frame centred inside it")
    parser.add_argument("--ext", choices=(".npy", ".txt", ".pt"), help="feature format, when a folder holds several")
    parser.add_argument("--ignore-missing", action="store_true", help="score the items whose file has features, "
                        "ignoring the others (default: error)")
    parser.add_argument("--allow-reversed-items", action="store_true", help="drop item lines whose onset lies after "
                        "their offset, as Libri-Light does (default: error naming file:line)")
    parser.add_argument("--json", action="store_true", help="print the results as a JSON array (scores as fractions)")
    parser.add_argument("--out", type=Path, help="also write the results to this CSV file")
    add_layer_argument(parser)


def run(args: argparse.Namespace) -> int:
    from vgprobe.zerospeech.abx import results_to_frame, results_to_json, score_abx
    from vgprobe.zerospeech.abx.dataset import NotScorableError
    from vgprobe.zerospeech.abx.submission import score_abx_submission

    options = dict(speaker_modes=args.speaker, context_modes=args.context, distance=args.distance,
                   max_size_group=args.max_size_group, max_x_across=args.max_x_across, seed=args.seed,
                   slicing=args.slicing, ext=args.ext, ignore_missing=args.ignore_missing,
                   allow_reversed_items=args.allow_reversed_items)
    if args.features is not None or args.item is not None:
        if args.features is None or args.item is None or args.frame_shift is None:
            raise ConfigError("--features, --item and --frame-shift go together; give all three")
        per_layer = [(None, score_abx(args.features, args.item, frame_shift=args.frame_shift, **options))]
    elif args.submission is not None or args.data is not None:
        if args.submission is None or args.data is None:
            raise ConfigError("--submission and --data go together; give both (and --split)")
        per_layer = [(None, score_abx_submission(args.submission, args.data, args.split,
                                                 frame_shift=args.frame_shift, item_kind=args.items, **options))]
    else:
        targets, data, split = project_targets(args, "phonetic")
        per_layer = []
        for layer, folder in targets:
            try:
                per_layer.append((layer, score_abx_submission(folder, data, split, frame_shift=args.frame_shift,
                                                              item_kind=args.items, **options)))
            except NotScorableError as exc:  # a layer too coarse for ABX: recorded, the sweep goes on
                print(f"{layer}: not scorable: {exc}", file=sys.stderr)
                per_layer.append((layer, exc))
        if all(isinstance(results, NotScorableError) for _, results in per_layer):
            raise per_layer[-1][1]

    def to_frame(results):
        return _unscorable_frame(results) if isinstance(results, NotScorableError) else results_to_frame(results)

    def to_json(results):
        if isinstance(results, NotScorableError):
            return _unscorable_frame(results).to_json(orient="records")
        return results_to_json(results)

    report(per_layer, to_frame=to_frame, to_json=to_json, table=_table, as_json=args.json, out=args.out)
    return 0


def _unscorable_frame(exc):
    """One row for a layer ABX cannot score: no score, the reason and the numbers behind it."""
    import pandas as pd

    return pd.DataFrame([{"status": "not scorable", "reason": str(exc), "frame_shift": exc.frame_shift,
                          "empty_fraction": exc.empty_fraction, "features": exc.features}])


def _table(results) -> str:
    from vgprobe.zerospeech.abx.dataset import NotScorableError

    if isinstance(results, NotScorableError):
        return f"not scorable: {results}"
    rows = [("subset", "speaker", "context", "distance", "ABX error %", "95% CI", "cells", "triplets")]
    for r in results:
        ci = "-" if math.isnan(r.ci_low) else f"{100 * r.ci_low:.2f}–{100 * r.ci_high:.2f}"
        rows.append((r.subset or "-", r.speaker, r.context, r.distance, f"{100 * r.score:.3f}", ci,
                     str(r.n_cells), str(r.n_triplets)))
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    return "\n".join("  ".join(cell.rjust(w) for cell, w in zip(row, widths)) for row in rows)
