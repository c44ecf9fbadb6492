"""``vgprobe heads``: the attention-head report (statistics, CLS-attention word discovery, head ablation)."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from vgprobe.commands._options import add_progress_flags, name_path_pairs, progress_mode

HELP = ("Attention-head report of a checkpoint against its random initialisation: per-head statistics, word "
        "discovery from each layer's CLS attention scored against gold words, and ranked head ablation.")


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("--checkpoint", help="FaST-VGS folder, random:<recipe> or Hugging Face speech-encoder folder "
                   "(statistics only); default from vgprobe.toml")
    p.add_argument("--data", type=Path, help="ZeroSpeech 2021 root (its phonetic files; the ablation also scores its "
                   "semantic set) or any folder of audio files; default from vgprobe.toml")
    p.add_argument("--out", type=Path, required=True,
                   help="report folder (new, empty or an earlier heads report: it is replaced whole at the end)")
    p.add_argument("--alignments", type=Path, action="append", default=[], metavar="GOLD",
                   help="gold words: JSON {utt: [[onset_s, offset_s, word], ...]}, TextGrid file or folder, or .wrd "
                        "file(s); repeat per source (default: the TextGrids beside a vgprobe synth ZR2021 root)")
    p.add_argument("--split", choices=("dev", "test"), help="dataset split (default dev)")
    p.add_argument("--max-files", type=int, default=100, help="phonetic files analysed, shared between subsets "
                   "(default 100)")
    p.add_argument("--q", type=float, default=0.7, help="CLS-segmentation quantile per head (default 0.7)")
    p.add_argument("--pool", choices=("mean", "max", "median", "weightedmean"), default="max",
                   help="segment pooling for the codes (default max)")
    p.add_argument("--clusters", type=int, default=64, help="k-means codes (default 64; capped at the segments)")
    p.add_argument("--centroids", action="append", default=[], metavar="LAYER=NPY",
                   help="a (K, D) .npy codebook for LAYER's segments instead of k-means (repeat per layer)")
    p.add_argument("--tolerance", type=float, default=0.02, help="boundary tolerance in seconds (default 0.02)")
    p.add_argument("--abx-layer", default="trm1.6", help="layer whose ABX the ablation scores (default trm1.6)")
    p.add_argument("--corpus", type=Path, help="image-caption corpus: adds Δ coarse R@1 to the ablation")
    p.add_argument("--corpus-split", default="val", help="its split for R@1 (default val)")
    p.add_argument("--seconds", type=float, help="caption length for R@1 (default: the checkpoint's recorded setting)")
    p.add_argument("--no-ablation", dest="ablation", action="store_false", help="skip the head ablation")
    p.add_argument("--no-baseline", dest="baseline", action="store_false",
                   help="no random-initialisation twin")
    p.add_argument("--views", type=int, default=3, help="utterances drawn with their CLS attention (default 3)")
    p.add_argument("--seed", type=int, default=0, help="seed of the random twin and of k-means (default 0)")
    p.add_argument("--cache", type=Path, help="where a twin that is no recipe is saved (default the feature cache)")
    add_progress_flags(p)


def run(args: argparse.Namespace) -> int:
    from vgprobe.pipelines.heads import HeadsConfig, heads_report
    from vgprobe.project import load_project_config

    centroids = name_path_pairs(args.centroids, flag="--centroids", form="LAYER=NPY", example="trm1.3=codebook.npy")
    project = load_project_config(checkpoint=args.checkpoint, data=args.data, split=args.split)
    project.require("checkpoint", "data", hint="pass --checkpoint and --data")
    cfg = HeadsConfig(
        checkpoint=str(project.checkpoint), data=Path(project.data), out=args.out,
        alignments=tuple(args.alignments), split=project.split or "dev", baseline=args.baseline,
        max_files=args.max_files, q=args.q, pool=args.pool, clusters=args.clusters, centroids=centroids,
        tolerance=args.tolerance,
        ablation=args.ablation, abx_layer=args.abx_layer, corpus=args.corpus, corpus_split=args.corpus_split,
        seconds=args.seconds, views=args.views, seed=args.seed, cache=args.cache,
        progress=progress_mode(args),
    )
    result = heads_report(cfg, log=lambda msg: print(msg, file=sys.stderr))
    if "wordseg" in result.tables:
        ws = result.tables["wordseg"]
        view = ws[["model", "layer", "boundary_precision", "boundary_recall", "boundary_f1", "a_score", "wd"]]
        print(view.to_string(index=False, float_format=lambda v: f"{v:.3f}"))
    print(f"report: {result.out / 'report.md'}")
    return 0
