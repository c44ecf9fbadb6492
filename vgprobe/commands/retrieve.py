"""``vgprobe retrieve``: speech <-> image retrieval recall of a FaST-VGS checkpoint on a corpus split."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from vgprobe.errors import ConfigError

HELP = "Retrieval recall@1/5/10 (both directions) and time per query of a FaST-VGS checkpoint."


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--checkpoint", required=True,
                        help="vgprobe or authors' checkpoint folder, or random:<recipe> (seeded random init, --seed)")
    parser.add_argument("--data", required=True, type=Path, help="corpus root (the authors' data_root)")
    parser.add_argument("--split", default="test", help="manifest split (default: test)")
    parser.add_argument("--dataset", choices=("spokencoco", "flickr8k", "places"),
                        help="corpus layout (default: the checkpoint's training data, else spokencoco)")
    parser.add_argument("--audio-root", type=Path, help="folder the manifests' wav paths are relative to, when the audio "
                        "is not under --data (Places: the authors' raw_audio_base_path)")
    parser.add_argument("--mode", default="coarse,ctf", help="comma-separated: coarse, fine, ctf (default coarse,ctf)")
    parser.add_argument("--kc", type=int, help="coarse candidates re-ranked by ctf (default: the checkpoint's "
                        "recorded validation setting, else 100)")
    parser.add_argument("--seconds", type=float, help="audio cut/padded to this length (default: the checkpoint's "
                        "recorded validation setting, else 10)")
    parser.add_argument("--seed", type=int, default=0, help="seed of random:<recipe> (default 0)")
    parser.add_argument("--batch-size", type=int, default=64)
    parser.add_argument("--drop-missing", action="store_true", help="skip captions whose wav or features are missing")
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--json", action="store_true", help="print the flat result dict as JSON")


def run(args: argparse.Namespace) -> int:
    import vgprobe.fastvgs as fv
    from vgprobe.train.evaluate import evaluate_retrieval, recorded_eval_settings
    from vgprobe.fastvgs.retrieval import MODES

    modes = tuple(m.strip() for m in args.mode.split(",") if m.strip())
    bad = [m for m in modes if m not in MODES]
    if bad or not modes:
        raise ConfigError(f"--mode {args.mode!r}: choose a comma-separated subset of {','.join(MODES)}")
    if args.checkpoint.startswith("random:"):
        import torch

        torch.manual_seed(args.seed)
        model = fv.FaSTVGS(fv.preset(args.checkpoint.removeprefix("random:"))).eval().to(args.device)
        recorded, source = recorded_eval_settings(args.checkpoint)
    else:
        model = fv.load(args.checkpoint, map_location=args.device)
        recorded, source = recorded_eval_settings(args.checkpoint)
    chosen = {"seconds": args.seconds, "kc": args.kc, "dataset": args.dataset}
    settings = {k: recorded[k] if v is None else v for k, v in chosen.items()}
    defaulted = [k for k, v in chosen.items() if v is None]
    if defaulted:
        print(f"{', '.join(f'{k}={settings[k]}' for k in defaulted)} from {source}", file=sys.stderr)
    res = evaluate_retrieval(model, args.data, args.split, modes=modes, kc=settings["kc"],
                             dataset=settings["dataset"], seconds=settings["seconds"], batch_size=args.batch_size,
                             drop_missing=args.drop_missing, device=args.device, audio_root=args.audio_root)
    if args.json:
        print(json.dumps(res, indent=2, sort_keys=True))
        return 0
    print(format_table(res, modes))
    return 0


def format_table(res: dict, modes) -> str:
    head = f"{int(res['n_audio'])} captions, {int(res['n_image'])} images" + (
        f", {int(res['dropped'])} captions dropped" if res.get("dropped") else "")
    lines = [head, f"{'mode':<8}{'direction':<18}{'R@1':>8}{'R@5':>8}{'R@10':>8}{'R@100':>8}{'ms/query':>10}"]
    for m in modes:
        for d in ("speech_to_image", "image_to_speech"):
            r = [res.get(f"{m}.{d}.R@{k}") for k in (1, 5, 10, 100)]
            cells = "".join(f"{100 * v:>8.1f}" if v is not None else f"{'':>8}" for v in r)
            lines.append(f"{m:<8}{d:<18}{cells}{1000 * res[f'{m}.seconds_per_query']:>10.2f}")
    if "kc" in res:
        lines.append(f"ctf re-ranks the coarse top {int(res['kc'])}; recall in %")
    return "\n".join(lines)
