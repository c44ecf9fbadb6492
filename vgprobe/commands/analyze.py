"""``vgprobe analyze``: layer-sweep and attention-head reports (tables + plots)."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from vgprobe.errors import ConfigError

HELP = ("Analysis reports: ABX/sSIMI layer sweeps of extracted features, attention-head statistics, "
        "word-discovery metrics of segmentations.")


def add_arguments(p: argparse.ArgumentParser) -> None:
    sub = p.add_subparsers(dest="analysis", metavar="ANALYSIS", required=True)
    sw = sub.add_parser("sweep", help="ABX (and sSIMI) of every extracted layer of one or more models")
    sw.add_argument("--features", action="append", required=True, metavar="LABEL=ROOT",
                    help="an extraction output root (one folder per layer), e.g. trained=feats/trained; repeat")
    sw.add_argument("--data", type=Path, required=True, help="ZR2021 dataset root")
    sw.add_argument("--split", choices=("dev", "test"), default="dev")
    sw.add_argument("--layers", help="comma-separated layers (default: every layer folder)")
    sw.add_argument("--pool", default="max", help="sSIMI pooling (default max)")
    sw.add_argument("--out", type=Path, required=True, help="report folder (abx.csv, semantic.csv, abx_layers.png)")
    hd = sub.add_parser("heads", help="per-head attention statistics (FaST-VGS Trm1/Trm2, Hugging Face encoders)")
    hd.add_argument("--checkpoint", required=True, help="FaST-VGS folder, random:<recipe> or Hugging Face folder")
    hd.add_argument("--data", type=Path, required=True, help="ZR2021 root (phonetic files) or any folder of wav files")
    hd.add_argument("--max-files", type=int, default=50, help="first N files in sorted order (default 50)")
    hd.add_argument("--seed", type=int, default=0, help="seed of random:<recipe>")
    hd.add_argument("--stacks", help="comma-separated stacks (default: trm1,trm2 for FaST-VGS; encoder for "
                    "Hugging Face)")
    hd.add_argument("--alignments", type=Path, help="word alignments JSON {utt: [[onset_s, offset_s, word], ...]} "
                    "for the silence mass (every file's stem needs an entry)")
    hd.add_argument("--out", type=Path, required=True, help="report folder (heads.csv, heads.png)")
    ws = sub.add_parser("wordseg", help="word-discovery metrics of discovered segments against gold alignments",
                        description="Boundary, area, word-group and frame-scorer metrics of the word-discovery "
                                    "reference (VG-HuBERT); optionally ZeroSpeech term-discovery scores.")
    ws.add_argument("--gold", type=Path, required=True,
                    help="gold words: JSON {utt: [[onset, offset, word], ...]}, a TextGrid file or folder, "
                         "or .wrd file(s)")
    ws.add_argument("--pred", type=Path, required=True,
                    help='predicted segments: JSON {utt: {"spf", "segments", "locations", "codes"}}')
    ws.add_argument("--tolerance", type=float, default=0.02, help="boundary tolerance in seconds (default 0.02)")
    ws.add_argument("--json", action="store_true",
                    help='print the full report as JSON (non-finite numbers as "nan", "inf", "-inf")')
    ws.add_argument("--details", action="store_true",
                    help="include per-utterance boundaries and per-code/per-word details in the JSON")
    ws.add_argument("--feats", type=Path, help="segment features .npz {utt: (n_segments, D)} for the variance filter")
    ws.add_argument("--tier", default="words", help="TextGrid word tier (default words)")
    ws.add_argument("--phone-tier", default="phones", help="TextGrid phone tier, for --tde (default phones)")
    ws.add_argument("--gold-phones", type=Path, help=".phn file or folder of phone alignments, for --tde")
    ws.add_argument("--stop-word", action="append", metavar="WORD",
                    help="labels not scored as words (repeat; default <SPOKEN_NOISE> and <UNK>, as the reference; "
                         "Montreal Forced Aligner writes <unk>)")
    ws.add_argument("--allow-missing", action="store_true",
                    help="score the utterances common to gold and prediction (default: an error if they differ)")
    ws.add_argument("--tde", type=Path, metavar="DIR",
                    help="also write the ZeroSpeech class and gold files into DIR and score them with "
                         "zerospeech-tde (pip install 'vgprobe[tde]')")
    ws.add_argument("--tde-units", choices=("phones", "words"), default="phones",
                    help="units that transcribe segments for --tde (default phones)")


def run(args: argparse.Namespace) -> int:
    if args.analysis == "wordseg":
        return _wordseg(args)
    return _sweep(args) if args.analysis == "sweep" else _heads(args)


def _sweep(args: argparse.Namespace) -> int:
    from vgprobe.analysis.layer_sweep import abx_sweep, plot_abx_sweep, semantic_sweep
    from vgprobe.commands._report import write_csv_atomically

    roots = {}
    for item in args.features:
        label, sep, root = item.partition("=")
        if not sep or not label or not root:
            raise ConfigError(f"--features {item!r}: expected LABEL=ROOT")
        roots[label] = Path(root)
    layers = [n.strip() for n in args.layers.split(",")] if args.layers else None
    abx = abx_sweep(roots, args.data, split=args.split, layers=layers)  # everything is scored before anything
    sem = semantic_sweep(roots, args.data, split=args.split, layers=layers, pool=args.pool)  # is written
    write_csv_atomically(abx, args.out / "abx.csv")
    write_csv_atomically(sem, args.out / "semantic.csv")
    plot_abx_sweep(abx, args.out / "abx_layers.png")
    view = abx.assign(error=100 * abx["score"]).pivot_table(index=["model", "layer"], columns=["subset", "speaker"],
                                                            values="error")
    print(view.to_string(float_format=lambda v: f"{v:.2f}"))
    print(f"wrote {args.out}/abx.csv, semantic.csv, abx_layers.png", file=sys.stderr)
    return 0


def _heads(args: argparse.Namespace) -> int:
    from vgprobe.analysis.heads import head_statistics, load_utterances
    from vgprobe.analysis.heads.plots import plot_head_heatmaps
    from vgprobe.extract.encoders import load_encoder
    from vgprobe.extract.sources import list_sources

    enc = load_encoder(args.checkpoint, seed=args.seed)
    sources = list_sources(args.data, task="phonetic")[: args.max_files]
    stacks = [s.strip() for s in args.stacks.split(",")] if args.stacks else None
    df = head_statistics(enc, load_utterances(enc, [s.audio for s in sources]), stacks=stacks,
                         alignments=args.alignments, model_name=args.checkpoint)
    args.out.mkdir(parents=True, exist_ok=True)
    df.to_csv(args.out / "heads.csv", index=False)
    plot_head_heatmaps(df, args.out / "heads.png", stack=df["stack"].iloc[0])
    per_layer = df[df["statistic"].isin(["entropy_bits", "distance_ms", "cls_mass", "neighbour_mass"])]
    print(per_layer.pivot_table(index=["stack", "layer"], columns="statistic", values="value").to_string(
        float_format=lambda v: f"{v:.3f}"))
    print(f"wrote {args.out}/heads.csv, heads.png ({len(sources)} files)", file=sys.stderr)
    return 0


def _wordseg(args: argparse.Namespace) -> int:
    import json
    import warnings

    from vgprobe.analysis.wordseg import read_gold, read_pred, read_segment_features, score_word_discovery
    from vgprobe.analysis.wordseg.area import STOP_WORDS
    from vgprobe.analysis.wordseg.report import format_report, json_ready

    gold = read_gold(args.gold, tier=args.tier, phone_tier=args.phone_tier, phones=args.gold_phones)
    pred = read_pred(args.pred)
    feats = read_segment_features(args.feats, pred) if args.feats else None
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the report carries them; printed once below
        report = score_word_discovery(gold, pred, tolerance=args.tolerance, features=feats,
                                      stop_words=tuple(args.stop_word) if args.stop_word else STOP_WORDS,
                                      on_missing="intersect" if args.allow_missing else "error",
                                      details=args.details)
    if args.tde:
        from vgprobe.analysis.wordseg.tde import tde_scores

        scored = [u for u in gold.words if u in pred and gold.words[u]]
        report["tde"] = tde_scores(gold, pred, args.tde, units=args.tde_units, utterances=scored)
    for msg in report["warnings"]:
        print(f"warning: {msg}", file=sys.stderr)
    if args.json:
        print(json.dumps(json_ready(report), indent=1))
    else:
        print(format_report(report))
    return 0
