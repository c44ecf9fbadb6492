"""Head ablation of a tiny FaST-VGS on the quickstart data: vgprobe's cached runner vs ablation by hand.

vgprobe (:func:`vgprobe.analysis.heads.ablate_heads`) ablates every head of Trm1, Trm2 and the image encoder
one at a time, re-running only the layers at and above the ablated one (lower layers cached), several heads
per batch, and scores ABX (trm1.6), sSIMI (trm2.1, max pooling) and coarse R@1.

The peer is what one writes by hand: for each head, switch it off (:func:`vgprobe.analysis.heads.ablate`), run
the whole model on every file (``audio_layers_each`` for the ZeroSpeech files, ``encode_audio`` /
``encode_image`` for the retrieval set), write the features and score them with the same scorers. It is
timed on ``--peer-heads`` heads (the first head of the lowest layers, the most expensive for vgprobe too),
and its per-head time is compared with vgprobe's mean per-head time; the scores of those heads must agree.

Data: ``vgprobe synth zr2021`` (defaults: 4 speakers x 25 sentences per subset, 714 semantic files) and
``vgprobe synth vg --images 600`` (val split: 120 captions, 60 images), built under ``--work`` when missing.

Usage: python benchmarks/heads_ablation.py [--checkpoint random:tiny] [--work /tmp/heads-bench] [--peer-heads 2]
       [--threads N] [--table ablation.csv] [--skip-peer]
"""

from __future__ import annotations

import argparse
import os
import resource
import tempfile
import time
from pathlib import Path

import numpy as np
import torch


def cpu_seconds() -> float:
    r = resource.getrusage(resource.RUSAGE_SELF)
    return r.ru_utime + r.ru_stime


def by_hand(model, sets, head, tmp: Path) -> dict[str, float]:
    """One head ablated the ordinary way: whole model per file, features to disk, the library scorers."""
    from vgprobe.analysis.heads import ablate
    from vgprobe.fastvgs.retrieval import retrieve
    from vgprobe.zerospeech.abx.score import score_abx
    from vgprobe.zerospeech.semantic import score_semantic

    out = {}
    with torch.no_grad(), ablate(model, [head]):
        for s in sets.phonetic:
            (tmp / s.name).mkdir(parents=True)
            for stem, f in zip(s.utterances, model.audio_layers_each(list(s.utterances.values()), ["trm1.6"])):
                np.save(tmp / s.name / f"{stem}.npy", f["trm1.6"].numpy())
            for r in score_abx(tmp / s.name, s.item_file, frame_shift=0.02):
                out[f"abx.{s.name}.{r.speaker}"] = 100 * r.score
        for t, utts in sets.semantic.utterances.items():
            (tmp / "semantic" / t).mkdir(parents=True)
            for stem, f in zip(utts, model.audio_layers_each(list(utts.values()), ["trm2.1"])):
                np.save(tmp / "semantic" / t / f"{stem}.npy", f["trm2.1"].numpy())
        for r in score_semantic(tmp / "semantic", sets.semantic.gold, sets.semantic.pairs, pool="max", metric="cosine"):
            if r.dataset == "weighted_mean":
                out[f"ssimi.{r.type}"] = r.correlation
        rs = sets.retrieval
        audio = model.encode_audio(rs.wav, rs.padding)
        image = model.encode_image(rs.feats, rs.boxes)
        rec = retrieve(model, audio, image, rs.audio_image, modes=("coarse",), ks=(1,))
    out["r1.speech_to_image"] = 100 * rec["coarse.speech_to_image.R@1"]
    out["r1.image_to_speech"] = 100 * rec["coarse.image_to_speech.R@1"]
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--checkpoint", default="random:tiny")
    ap.add_argument("--work", type=Path, default=Path(tempfile.gettempdir()) / "heads-bench")
    ap.add_argument("--seconds", type=float, default=6.0, help="retrieval audio length (tiny's eval_audio_seconds)")
    ap.add_argument("--peer-heads", type=int, default=2)
    ap.add_argument("--threads", type=int, default=torch.get_num_threads())
    ap.add_argument("--table", type=Path, help="also write vgprobe's ablation table (CSV) here")
    ap.add_argument("--skip-peer", action="store_true", help="time vgprobe only")
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    from vgprobe.analysis.heads import ablate_heads, load_ablation_sets
    from vgprobe.analysis.heads.data import RetrievalSet
    from vgprobe.train.data import retrieval_batch
    from vgprobe.extract.encoders import load_encoder
    from vgprobe.synth import build_vg_corpus, build_zr2021

    zr = build_zr2021(args.work / "zr2021")
    vg = args.work / "vg"
    if not (vg / "SpokenCOCO").is_dir():
        build_vg_corpus(vg, images=600, captions_per_image=2, seed=0)
    t0, c0 = time.perf_counter(), cpu_seconds()
    sets = load_ablation_sets(zr_root=zr, retrieval=RetrievalSet(*retrieval_batch(vg, "val", seconds=args.seconds)))
    print(f"load sets: {time.perf_counter() - t0:.1f} s wall, {cpu_seconds() - c0:.1f} s CPU "
          f"({sum(len(s.utterances) for s in sets.phonetic)} phonetic, "
          f"{sum(len(u) for u in sets.semantic.utterances.values())} semantic files, "
          f"{len(sets.retrieval.wav)} captions, {len(sets.retrieval.feats)} images)")
    model = load_encoder(args.checkpoint, seed=1).model.eval()
    t0, c0 = time.perf_counter(), cpu_seconds()
    df = ablate_heads(model, sets, model_name=args.checkpoint, progress=True)
    wall, cpu = time.perf_counter() - t0, cpu_seconds() - c0
    n = df["ablation"].nunique()
    print(f"vgprobe ablate_heads: {n} heads in {wall:.1f} s wall, {cpu:.1f} s CPU "
          f"({wall / n:.2f} s wall per head), threads {args.threads}, load average {os.getloadavg()[0]:.1f}")
    if args.table:
        df.to_csv(args.table, index=False)
    if args.skip_peer:
        return
    first = [("trm1", 1, h) for h in range(args.peer_heads)]
    t0, c0 = time.perf_counter(), cpu_seconds()
    diffs = []
    for head in first:
        with tempfile.TemporaryDirectory() as tmp:
            got = by_hand(model, sets, head, Path(tmp))
        row = df[df["ablation"] == f"trm1.1:{head[2]}"].set_index("metric")["ablated"]
        diffs += [abs(row[m] - v) for m, v in got.items()]
    pw, pc = (time.perf_counter() - t0) / len(first), (cpu_seconds() - c0) / len(first)
    print(f"by hand: {pw:.1f} s wall, {pc:.1f} s CPU per head ({len(first)} heads of trm1.1); "
          f"max |score difference| vs vgprobe {max(diffs):.2e}")
    print(f"ratio (by hand per head / vgprobe per head): wall {pw / (wall / n):.1f}x, CPU {pc / (cpu / n):.1f}x")
    print(df[df["metric"].isin(["abx", "ssimi.synthetic", "r1"])].sort_values("harm", ascending=False)
          .groupby("metric").head(3).to_string(index=False))


if __name__ == "__main__":
    main()
