"""Synthesis speed: vgprobe's worker pipeline (espeak-ng + alignment + 16 kHz resampling, in a fresh
process) against the bare libespeak-ng synthesis of the same jobs (the baseline: no alignment, no
resampling, no process start-up), both on one core, in the same run.

    python benchmarks/synth_speed.py [--utterances 256]

Prints seconds of audio per second of compute (× real time) for both and their ratio.
"""

from __future__ import annotations

import argparse
import random
import time

from vgprobe.synth import vocabulary
from vgprobe.synth.speakers import pick_speakers
from vgprobe.synth.worker import Job, synthesize_all


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--utterances", type=int, default=256)
    args = ap.parse_args()
    rng = random.Random(0)
    spks = pick_speakers(rng, n=8, pool="clean", first_id=100)
    jobs = [
        Job(vocabulary.sentence(rng), s.voice, s.variant, s.pitch, s.rate, i)
        for i, s in enumerate(spks[i % len(spks)] for i in range(args.utterances))
    ]
    t0 = time.perf_counter()
    utts = synthesize_all(jobs, processes=1)
    t_vgprobe = time.perf_counter() - t0
    audio_s = sum(u.duration for u in utts)

    from vgprobe.synth.espeak import Espeak

    tts = Espeak()
    t0 = time.perf_counter()
    raw_s = 0.0
    for j in jobs:
        out = tts.synthesize(j.text, voice=j.voice, variant=j.variant, pitch=j.pitch, rate=j.rate)
        raw_s += len(out.samples) / out.sample_rate
    t_raw = time.perf_counter() - t0
    print(f"utterances: {len(jobs)}, audio: {audio_s:.1f} s (vgprobe, with 0.3 s padding each), {raw_s:.1f} s (raw)")
    print(f"vgprobe synthesize_all (1 process): {t_vgprobe:.2f} s -> {audio_s / t_vgprobe:.0f}x real time")
    print(f"bare libespeak-ng (in process):     {t_raw:.2f} s -> {raw_s / t_raw:.0f}x real time")
    print(f"ratio vgprobe/bare speed: {(audio_s / t_vgprobe) / (raw_s / t_raw):.2f}")


if __name__ == "__main__":
    main()
