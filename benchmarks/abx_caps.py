"""Capped ABX: vgprobe's keyed, seeded sampler against zerospeech-libriabx2's RNG, over many seeds.

With caps (ZR2021: at most 10 tokens per A/B/X group, 5 X speakers) both scorers score a random
subset of the triplets, drawn differently (see the docstring of ``vgprobe.zerospeech.abx``), so
their capped scores differ by sampling noise. This script measures that noise and checks that
the two samplers agree on average: for each feature set, subset and speaker mode it scores
``--seeds`` seeds with each scorer and prints mean, standard deviation and standard error, the
difference of the means in units of the reference's standard error and of the standard error
of the difference, and the caps-off score (no sampling) for scale. Acceptance: vgprobe's mean
lies within 2 standard errors of the reference's (where the caps do not bite, no seed changes
anything and both equal the caps-off score up to the reference's float32 rounding).

Usage (the reference lives in its own venv, see tests/data/abx/README.md)::

    python benchmarks/abx_caps.py --peer-python /work/refenv/libriabx2/bin/python [--seeds 10]

The data: ``vgprobe synth zr2021`` (``--speakers`` × ``--sentences`` per subset: with more than
10 tokens per group and more than 5 other speakers the caps bite) as vgprobe's 40-band log-mel
(``clean``), and the same with white noise at 0 dB SNR added to the waveform (``noisy``, harder).
Context mode within (the ZR2021 protocol), cosine distance, 10 ms frames.
"""

from __future__ import annotations

import argparse
import json
import math
import subprocess
import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
SUBSETS = ("dev-clean", "dev-other")
NOISE_SNR_DB = {"clean": None, "noisy": 0.0}

PEER = """
import contextlib, io, json, sys
sys.path.insert(0, {gen!r})
from abx_random_sets import run_peer
for seed in {seeds!r}:
    with contextlib.redirect_stdout(io.StringIO()):
        s = run_peer({feats!r}, {item!r}, frame_shift=0.01, speaker_mode="all", context_mode="within",
                     max_size_group=10, max_x_across=5, seed=seed)
    print(json.dumps({{"seed": seed, **s}}), flush=True)
"""


def make_features(root: Path, work: Path, kind: str) -> None:
    """``work/<kind>/<subset>/<stem>.npy``: log-mel of every phonetic wav (noise added for ``noisy``)."""
    import soundfile as sf
    import torch

    from vgprobe.extract.encoders import LogMelEncoder

    encoder = LogMelEncoder()
    rng = np.random.default_rng(0)
    for subset in SUBSETS:
        out = work / kind / subset
        if out.is_dir():
            continue
        tmp = out.with_name(out.name + ".tmp")
        tmp.mkdir(parents=True, exist_ok=True)
        for wav in sorted((root / "phonetic" / subset).glob("*.wav")):
            x, _ = sf.read(wav, dtype="float64")
            if NOISE_SNR_DB[kind] is not None:
                x = x + rng.standard_normal(len(x)) * np.sqrt(np.mean(x**2) / 10 ** (NOISE_SNR_DB[kind] / 10))
            lm = encoder.compute([torch.from_numpy(x.astype(np.float32))], ["logmel"])[0]["logmel"]
            np.save(tmp / f"{wav.stem}.npy", lm.astype(np.float32))
        tmp.rename(out)


def stats(values: list[float]) -> dict[str, float]:
    a = np.asarray(values, dtype=np.float64)
    sd = float(a.std(ddof=1)) if len(a) > 1 else float("nan")
    return {"mean": float(a.mean()), "sd": sd, "se": sd / math.sqrt(len(a)), "n": len(a)}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--peer-python", required=True)
    parser.add_argument("--seeds", type=int, default=10)
    parser.add_argument("--speakers", type=int, default=8)
    parser.add_argument("--sentences", type=int, default=40)
    parser.add_argument("--features", default="clean,noisy")
    parser.add_argument("--subsets", default=",".join(SUBSETS))
    parser.add_argument("--workdir", type=Path, default=Path("/tmp/vgprobe_abx_caps"))
    args = parser.parse_args()
    from vgprobe.synth.zr2021 import build_zr2021
    from vgprobe.zerospeech.abx import score_abx
    from vgprobe.zerospeech.layout import item_file

    root = args.workdir / "zr"
    if not (root / "vgprobe-synth.json").is_file():
        build_zr2021(root, speakers=args.speakers, sentences=args.sentences, seed=0)
    seeds = list(range(args.seeds))
    report = []
    for kind in args.features.split(","):
        make_features(root, args.workdir, kind)
        for subset in args.subsets.split(","):
            feats, item = args.workdir / kind / subset, item_file(root, subset)
            code = PEER.format(gen=str(ROOT / "tests" / "data_gen"), seeds=seeds, feats=str(feats), item=str(item))
            peer = []
            with subprocess.Popen([args.peer_python, "-c", code], stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
                                  text=True) as proc:
                for line in proc.stdout:
                    if line.startswith("{"):
                        peer.append(json.loads(line))
                        print(f"{kind} {subset} libriabx2 {line.strip()}", file=sys.stderr, flush=True)
            if proc.returncode != 0 or len(peer) != len(seeds):
                raise RuntimeError(f"the reference failed on {feats} (exit {proc.returncode})")
            exact = {f"{r.speaker}-{r.context}": r.score for r in
                     score_abx(feats, item, frame_shift=0.01, max_size_group=None, max_x_across=None)}
            ours = [{f"{r.speaker}-{r.context}": r.score for r in score_abx(feats, item, frame_shift=0.01, seed=s)}
                    for s in seeds]
            for mode in ("within-within", "across-within"):
                p, o = stats([r[mode] for r in peer]), stats([r[mode] for r in ours])
                diff = o["mean"] - p["mean"]
                se_diff = math.sqrt(p["se"] ** 2 + o["se"] ** 2)
                row = {"features": kind, "subset": subset, "mode": mode, "caps_off": exact[mode],
                       "peer": p, "vgprobe": o, "diff": diff, "diff_in_peer_se": diff / p["se"] if p["se"] else None,
                       "diff_in_se_of_diff": diff / se_diff if se_diff else None,
                       "within_2_peer_se": abs(diff) <= 2 * p["se"]}
                report.append(row)
                print(json.dumps(row), flush=True)
    print("\n| features | subset | speaker | caps off % | libriabx2 mean ± sd % | vgprobe mean ± sd % | diff / SE(ref) |")
    print("|---|---|---|---|---|---|---|")
    for r in report:
        p, o = r["peer"], r["vgprobe"]
        z = "no draw (caps do not bite)" if p["sd"] == 0 else f"{r['diff_in_peer_se']:+.2f}"
        print(f"| {r['features']} | {r['subset']} | {r['mode'].split('-')[0]} | {100 * r['caps_off']:.3f} | "
              f"{100 * p['mean']:.3f} ± {100 * p['sd']:.3f} | {100 * o['mean']:.3f} ± {100 * o['sd']:.3f} | {z} |")
    sys.exit(0 if all(r["within_2_peer_se"] or r["peer"]["se"] == 0 for r in report) else 1)


if __name__ == "__main__":
    main()
