"""``vgprobe semantic``: ZeroSpeech 2021 sSIMI scores of pooled feature files, with bootstrap 95 % intervals."""

from __future__ import annotations

import argparse
from pathlib import Path

from vgprobe.commands._report import add_layer_argument, project_targets, report
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
    parser.add_argument("--bootstrap", type=int, default=1000, metavar="N",
                        help="resamples of the pairs for the 95%% confidence intervals (default: 1000; 0: none)")
    parser.add_argument("--bootstrap-seed", type=int, default=0, help="seed of the resampling (default: 0)")
    parser.add_argument("--json", action="store_true", help="print the results as a JSON array")
    parser.add_argument("--out", type=Path, help="also write the result table to this CSV file")
    add_layer_argument(parser)


def run(args: argparse.Namespace) -> int:
    import sys

    from vgprobe.zerospeech.semantic import (
        results_to_frame,
        results_to_json,
        score_semantic,
        score_semantic_submission,
        subset_note,
    )

    settings = dict(pool=args.pool, metric=args.metric, ext=args.ext, n_bootstrap=args.bootstrap,
                    bootstrap_seed=args.bootstrap_seed)
    data = None
    explicit = (args.features, args.gold, args.pairs)
    if any(v is not None for v in explicit):
        if not all(v is not None for v in explicit):
            raise ConfigError("--features, --gold and --pairs go together; give all three")
        per_layer = [(None, score_semantic(args.features, args.gold, args.pairs, **settings))]
    elif args.submission is not None or args.data is not None:
        if args.submission is None or args.data is None:
            raise ConfigError("--submission and --data go together; give both (and --split)")
        per_layer = [(None, score_semantic_submission(args.submission, args.data, args.split, **settings))]
        data = args.data
    else:
        targets, data, split = project_targets(args, "semantic")
        per_layer = [(layer, score_semantic_submission(folder, data, split, **settings)) for layer, folder in targets]
    report(per_layer, to_frame=results_to_frame, to_json=results_to_json, table=_table, as_json=args.json,
           out=args.out)
    note = subset_note(data) if data is not None else None
    if note:
        print(f"note: {note}", file=sys.stderr)
    return 0


def _table(results) -> str:
    rows = [("type", "dataset", "correlation", "95% CI", "pairs")]
    for r in results:
        ci = "-" if r.ci_low is None or r.ci_low != r.ci_low else f"[{r.ci_low:.2f}, {r.ci_high:.2f}]"
        rows.append((r.type, r.dataset, f"{r.correlation:.4f}", ci, str(r.n_pairs)))
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    return "\n".join("  ".join(cell.rjust(w) for cell, w in zip(row, widths)) for row in rows)
