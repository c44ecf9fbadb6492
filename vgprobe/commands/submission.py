"""``vgprobe submission sLM21|abxLS``: a submission folder that the ZeroSpeech toolkit accepts."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

HELP = "Assemble an extracted layer (and LM score files) into a zerospeech-benchmarks sLM21 or abxLS submission."

POOLINGS = ("max", "min", "mean", "sum", "last", "lastlast")


def add_arguments(parser: argparse.ArgumentParser) -> None:
    sub = parser.add_subparsers(dest="benchmark", metavar="BENCHMARK", required=True)
    slm = sub.add_parser("sLM21", help="semantic features (+ lexical and syntactic score files)")
    _common(slm)
    slm.add_argument("--pool", choices=POOLINGS, default="max",
                     help="the sSIMI pooling you scored with, declared in params.yaml (default: max, as vgprobe semantic)")
    slm.add_argument("--metric", default="cosine",
                     help="the sSIMI distance you scored with, declared in params.yaml (default: cosine, as vgprobe semantic)")
    slm.add_argument("--lexical", type=Path, help="lexical score file ('<filename> <score>' lines) for --split")
    slm.add_argument("--syntactic", type=Path, help="syntactic score file ('<filename> <score>' lines) for --split")
    abx = sub.add_parser("abxLS", help="frame-level features for ABX (phonetic dev-clean/dev-other)")
    _common(abx)
    abx.add_argument("--distance", choices=("cosine", "euclidean", "kl", "kl_symmetric"), default="cosine",
                     help="the ABX frame distance you scored with (default: cosine, as vgprobe abx)")
    abx.add_argument("--speaker-mode", choices=("all", "within", "across"), default="all",
                     help="ABX speaker modes (default: all, i.e. within and across, as vgprobe abx)")
    abx.add_argument("--context", choices=("triphone-within", "phoneme-within", "phoneme-any", "all"),
                     default="triphone-within", help="ABX items and context (default: triphone-within, as vgprobe abx)")
    abx.add_argument("--max-size-group", type=int, default=10, help="default: 10, as vgprobe abx")
    abx.add_argument("--max-x-across", type=int, default=5, help="default: 5, as vgprobe abx")
    abx.add_argument("--seed", type=int, default=3459, help="seed of the capped draws (default: 3459, as vgprobe abx)")


def _common(p: argparse.ArgumentParser) -> None:
    p.add_argument("--features", type=Path, required=True, help="one layer folder written by `vgprobe extract`")
    p.add_argument("--data", type=Path, help="ZR2021 dataset root (default: the one recorded in the layer's meta.yaml)")
    p.add_argument("--split", choices=("dev", "test"), default="dev", help="dataset split (default: dev)")
    p.add_argument("--out", type=Path, required=True, help="the submission folder to create")
    p.add_argument("--format", dest="fmt", choices=("npy", "txt"), default="npy",
                   help="feature files: npy (float64, default) or txt")
    p.add_argument("--overwrite", action="store_true", help="replace an existing --out folder")
    who = p.add_argument_group("meta.yaml (required by the toolkit)")
    who.add_argument("--authors", required=True, help="full names of the authors, comma-separated")
    who.add_argument("--institution", required=True, help="university, company, ...")
    who.add_argument("--train-set", required=True, help="the data the model was trained on")
    opt = p.add_argument_group("meta.yaml (optional)")
    opt.add_argument("--description", help="system description (default: the model, layer and model sha256)")
    opt.add_argument("--author-label", help="short label (default: '<first author> et al.')")
    opt.add_argument("--team")
    opt.add_argument("--paper-title")
    opt.add_argument("--paper-url")
    opt.add_argument("--year", type=int, help="publication year (default: this year)")
    opt.add_argument("--bib-reference")
    opt.add_argument("--doi")
    opt.add_argument("--code-url")
    opt.add_argument("--closed-source", action="store_true", help="the code is not open source")
    opt.add_argument("--gpu-hours", type=float, help="training budget in GPU hours")
    opt.add_argument("--username", help="zerospeech.com user name (the toolkit's upload fills it in otherwise)")
    opt.add_argument("--model-id")


def run(args: argparse.Namespace) -> int:
    from vgprobe.errors import ConfigError
    from vgprobe.zerospeech.submission import (
        AbxSettings,
        Authorship,
        SemanticSettings,
        build_abxls_submission,
        build_slm21_submission,
        read_layer,
    )

    who = Authorship(
        authors=args.authors, institution=args.institution, train_set=args.train_set, description=args.description,
        author_label=args.author_label, team=args.team, paper_title=args.paper_title, paper_url=args.paper_url,
        publication_year=args.year, bib_reference=args.bib_reference, doi=args.doi, code_url=args.code_url,
        open_source=not args.closed_source, gpu_hours=args.gpu_hours, username=args.username, model_id=args.model_id,
    )
    data = args.data
    if data is None:
        recorded = read_layer(args.features).settings.get("data")
        if not recorded or not Path(recorded).is_dir():
            raise ConfigError(f"no --data given and the layer's meta.yaml records no existing dataset ({recorded!r})")
        data = Path(recorded)
        print(f"dataset: {data} (recorded in {args.features / 'meta.yaml'})", file=sys.stderr)
    common = dict(features=args.features, data=data, authorship=who, split=args.split, fmt=args.fmt,
                  overwrite=args.overwrite)
    if args.benchmark == "sLM21":
        out = build_slm21_submission(args.out, semantic=SemanticSettings(pool=args.pool, metric=args.metric),
                                     lexical=args.lexical, syntactic=args.syntactic, **common)
    else:
        abx = AbxSettings(distance=args.distance, speaker_mode=args.speaker_mode, context=args.context,
                          max_size_group=args.max_size_group, max_x_across=args.max_x_across, seed=args.seed)
        out = build_abxls_submission(args.out, abx=abx, **common)
    print(out)
    return 0
