"""``vgprobe analyze``: layer-sweep and attention-head reports (tables + plots)."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from vgprobe.errors import ConfigError

HELP = "Analysis reports: ABX/sSIMI layer sweeps of extracted features, attention-head statistics."


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


def run(args: argparse.Namespace) -> int:
    return _sweep(args) if args.analysis == "sweep" else _heads(args)


def _sweep(args: argparse.Namespace) -> int:
    from vgprobe.analysis.layer_sweep import abx_sweep, plot_abx_sweep, semantic_sweep

    roots = {}
    for item in args.features:
        label, sep, root = item.partition("=")
        if not sep or not label or not root:
            raise ConfigError(f"--features {item!r}: expected LABEL=ROOT")
        roots[label] = Path(root)
    layers = [n.strip() for n in args.layers.split(",")] if args.layers else None
    args.out.mkdir(parents=True, exist_ok=True)
    abx = abx_sweep(roots, args.data, split=args.split, layers=layers)
    abx.to_csv(args.out / "abx.csv", index=False)
    plot_abx_sweep(abx, args.out / "abx_layers.png")
    sem = semantic_sweep(roots, args.data, split=args.split, layers=layers, pool=args.pool)
    sem.to_csv(args.out / "semantic.csv", index=False)
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
