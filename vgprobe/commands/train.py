"""``vgprobe train``: train FaST-VGS from a recipe (one process, or one per device under torchrun)."""

from __future__ import annotations

import argparse
from pathlib import Path

HELP = "Train FaST-VGS on an image-caption corpus (SpokenCOCO / Flickr8k layout) from a named recipe (tiny, fastvgs-coco, ...) or a YAML file."

# flags that override the recipe's train block (None = keep the recipe's value)
OVERRIDES = (
    ("batch_size", int), ("epochs", int), ("lr", float), ("val_every_steps", int), ("val_batch_size", int),
    ("topk", int), ("seed", int), ("num_workers", int), ("dataset", str),
    ("train_audio_seconds", float), ("eval_audio_seconds", float), ("pairs_per_chunk", int),
)
SWITCHES = (
    ("fine_checkpoint", "recompute the fine pass's activations in backward: memory of one chunk of pairs"),
)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--recipe", required=True, help="recipe name (tiny, fastvgs-coco, ...) or YAML path")
    parser.add_argument("--data", required=True, type=Path, help="corpus root (the authors' data_root)")
    parser.add_argument("--out", required=True, type=Path, help="run folder (run.json, last/, best/, metrics.jsonl)")
    parser.add_argument("--audio-root", type=Path, help="folder the manifests' wav paths are relative to, when the audio "
                        "is not under --data (Places: the authors' raw_audio_base_path)")
    parser.add_argument("--init-w2v2", type=Path, help="wav2vec2-base weights for Conv1+Trm1 (HF folder or fairseq .pt)")
    parser.add_argument("--resume", action="store_true", help="continue the run in --out exactly where it stopped")
    parser.add_argument("--max-steps", type=int, help="stop after this many updates (the schedule keeps the recipe's length)")
    parser.add_argument("--drop-missing", action="store_true", help="skip captions whose wav or image features are missing (listed)")
    parser.add_argument("--device", help="cpu or cuda (default: cuda when available)")
    parser.add_argument("--amp", action="store_true", help="bf16 autocast (GPU only; the authors train in fp32)")
    parser.add_argument("--no-progress", action="store_true", help="no progress bar")
    parser.add_argument("--collective-timeout-minutes", type=float, default=120.0,
                        help="under torchrun: how long a process waits at a collective before the run is aborted; "
                        "the other ranks wait for rank 0's validation (default 120)")
    for name, typ in OVERRIDES:
        parser.add_argument(f"--{name.replace('_', '-')}", dest=name, type=typ, help=f"override the recipe's {name}")
    for name, text in SWITCHES:
        parser.add_argument(f"--{name.replace('_', '-')}", dest=name, action="store_true", default=None, help=text)


def run(args: argparse.Namespace) -> int:
    from datetime import timedelta

    from vgprobe.train import train

    best = train(
        args.recipe, args.data, args.out,
        overrides={name: getattr(args, name) for name, _ in OVERRIDES + SWITCHES},
        init_w2v2=args.init_w2v2, audio_root=args.audio_root, resume=args.resume, max_steps=args.max_steps, drop_missing=args.drop_missing,
        device=args.device, amp=args.amp, progress=not args.no_progress,
        collective_timeout=timedelta(minutes=args.collective_timeout_minutes),
    )
    print(best)
    return 0
