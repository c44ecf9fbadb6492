"""``vgprobe synth zr2021|vg``: build synthetic datasets with known ground truth."""

from __future__ import annotations

import argparse

HELP = "synthesise a mini ZeroSpeech 2021 set (zr2021) or an image-caption corpus (vg) with espeak-ng"


DIFFICULTIES = ("clean", "realistic")  # vgprobe.synth.conditions.DIFFICULTIES (not imported: the CLI starts fast)


def _difficulty_argument(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--difficulty", choices=DIFFICULTIES, default="realistic",
        help="realistic (default): per-utterance and per-word prosody, several variants per speaker, simulated "
        "rooms, background noise and microphones (dev-other harder than dev-clean); clean: espeak's output as is "
        "(trivially easy: log-mel ABX about 1 %%)",
    )


def add_arguments(parser: argparse.ArgumentParser) -> None:
    sub = parser.add_subparsers(dest="dataset", metavar="DATASET", required=True)
    zr = sub.add_parser("zr2021", help="ZeroSpeech 2021 layout: phonetic dev-clean/dev-other, semantic dev")
    zr.add_argument("--out", required=True, help="output folder (missing or empty)")
    zr.add_argument("--speakers", type=int, default=4, help="speakers per phonetic subset (default 4)")
    zr.add_argument("--sentences", type=int, default=25, help="sentences per speaker (default 25)")
    zr.add_argument("--semantic-voices", type=int, default=4, help="voices of the semantic sets (default 4)")
    zr.add_argument("--semantic-sentences", type=int, default=120,
                    help="sentences the 'librispeech' semantic tokens are cut from (default 120)")
    zr.add_argument("--pairs-per-dataset", type=int, default=120, help="word pairs per semantic dataset (default 120)")
    zr.add_argument("--seed", type=int, default=0)
    _difficulty_argument(zr)
    zr.add_argument("--processes", type=int, default=1, help="synthesis worker processes (speed only)")
    vg = sub.add_parser("vg", help="SpokenCOCO layout: images, spoken captions, region features")
    vg.add_argument("--out", required=True, help="output folder (missing or empty)")
    vg.add_argument("--images", type=int, default=200)
    vg.add_argument("--captions-per-image", type=int, default=2)
    vg.add_argument("--feature-dim", type=int, default=2048, help="region feature width (default 2048)")
    vg.add_argument("--seed", type=int, default=0)
    _difficulty_argument(vg)
    vg.add_argument("--processes", type=int, default=1, help="synthesis worker processes (speed only)")


def run(args: argparse.Namespace) -> int:
    from pathlib import Path

    from vgprobe.synth import build_vg_corpus, build_zr2021

    if args.dataset == "zr2021":
        out = build_zr2021(
            Path(args.out), speakers=args.speakers, sentences=args.sentences, seed=args.seed,
            semantic_voices=args.semantic_voices, semantic_sentences=args.semantic_sentences,
            pairs_per_dataset=args.pairs_per_dataset, difficulty=args.difficulty, processes=args.processes,
        )
    else:
        out = build_vg_corpus(
            Path(args.out),
            images=args.images,
            captions_per_image=args.captions_per_image,
            feature_dim=args.feature_dim,
            seed=args.seed,
            difficulty=args.difficulty,
            processes=args.processes,
        )
    print(out)
    return 0
