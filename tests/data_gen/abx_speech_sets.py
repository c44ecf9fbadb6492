"""Speech-like ABX sets (espeak-ng speech -> log-mel features) and the reference scores on them.

Two steps, each in its own interpreter::

    # 1. features + item files, with vgprobe's venv (needs espeak-ng):
    python tests/data_gen/abx_speech_sets.py make tests/data/abx/speech
    # 2. the reference scores, with zerospeech-libriabx2 0.9.8 in its own venv:
    /work/refenv/libriabx2/bin/python tests/data_gen/abx_speech_sets.py pin tests/data/abx/speech

Step 1 synthesises a small ZeroSpeech 2021 dev set (``vgprobe synth zr2021``: 3 speakers × 8
sentences per subset, seed 0) and keeps ``dev-clean``: its triphone and phoneme item files
and two feature sets of every wav, both 10 ms frames:

- ``logmel``: 40 log-mel energies (vgprobe's ``logmel`` baseline) of the waveform with white
  noise added at 10 dB SNR (seeded), so that ABX errors are neither ~0 nor ~50 %;
- ``melprob``: the same frames turned into probability vectors, ``softmax(logmel / 4)`` per
  frame (non-negative, each frame sums to 1): the input the ``kl`` distances are meant for.

Step 2 prints, as JSON, zerospeech-libriabx2's scores for every (features, item kind,
distance) of ``PINNED_RUNS`` (or those named after the folder) with caps off (``max_size_group = max_x_across = 10**9``), speaker and context mode
``all``, files listed in sorted order (see :func:`abx_random_sets.run_peer`).
"""

from __future__ import annotations

import contextlib
import io
import json
import shutil
import sys
import tempfile
from pathlib import Path

import numpy as np

SUBSET = "dev-clean"
SPEAKERS = 3
SENTENCES = 8
SNR_DB = 10.0
TEMPERATURE = 4.0
FRAME_SHIFT = 0.01
ITEM_KINDS = {"triphone": f"{SUBSET}.item", "phoneme": f"{SUBSET}.phoneme.item"}
# (features, item kind, distance) pinned; the reference takes 5–15 min per run on 2 busy cores
PINNED_RUNS: tuple[tuple[str, str, str], ...] = (
    ("melprob", "triphone", "kl"),
    ("melprob", "phoneme", "kl"),
    ("melprob", "triphone", "kl_symmetric"),
    ("logmel", "triphone", "cosine"),
    ("logmel", "triphone", "euclidean"),
    ("logmel", "phoneme", "cosine"),
)


def melprob(logmel: np.ndarray) -> np.ndarray:
    """(T, 40) log-mel -> (T, 40) float32 rows summing to 1: softmax(logmel / TEMPERATURE)."""
    z = logmel.astype(np.float64) / TEMPERATURE
    p = np.exp(z - z.max(axis=1, keepdims=True))
    return (p / p.sum(axis=1, keepdims=True)).astype(np.float32)


def make(out_root: str | Path) -> None:
    import soundfile as sf
    import torch

    from vgprobe.extract.encoders import LogMelEncoder
    from vgprobe.synth.zr2021 import build_zr2021

    out = Path(out_root)
    encoder = LogMelEncoder()
    rng = np.random.default_rng(0)
    with tempfile.TemporaryDirectory() as tmp:
        root = build_zr2021(Path(tmp) / "zr", speakers=SPEAKERS, sentences=SENTENCES, seed=0)
        src = root / "phonetic" / SUBSET
        for folder in ("logmel", "melprob"):
            (out / folder).mkdir(parents=True, exist_ok=True)
        for name in ITEM_KINDS.values():
            shutil.copyfile(src / name, out / name)
        for wav in sorted(src.glob("*.wav")):
            x, _ = sf.read(wav, dtype="float64")
            noise = rng.standard_normal(len(x)) * np.sqrt(np.mean(x**2) / 10 ** (SNR_DB / 10))
            lm = encoder.compute([torch.from_numpy((x + noise).astype(np.float32))], ["logmel"])[0]["logmel"]
            np.save(out / "logmel" / f"{wav.stem}.npy", lm.astype(np.float32))
            np.save(out / "melprob" / f"{wav.stem}.npy", melprob(lm))


def pin(out_root: str | Path, runs: tuple[tuple[str, str, str], ...] = PINNED_RUNS) -> dict[str, dict[str, float]]:
    """The reference's scores {"features/kind/distance": {"within-within": ...}}; each run is
    also printed to stderr as it finishes."""
    sys.path.insert(0, str(Path(__file__).parent))
    from abx_random_sets import run_peer

    out = Path(out_root)
    pinned = {}
    for features, kind, distance in runs:
        with contextlib.redirect_stdout(io.StringIO()):
            scores = run_peer(out / features, out / ITEM_KINDS[kind], frame_shift=FRAME_SHIFT, distance=distance)
        key = f"{features}/{kind}/{distance}"
        pinned[key] = scores
        print(json.dumps({key: scores}), file=sys.stderr, flush=True)
    return pinned


if __name__ == "__main__":
    step, folder = sys.argv[1], sys.argv[2]
    if step == "make":
        make(folder)
    else:  # optional further arguments: the runs to do, as features/kind/distance
        chosen = tuple(tuple(a.split("/")) for a in sys.argv[3:]) or PINNED_RUNS
        print(json.dumps(pin(folder, chosen), indent=1))
