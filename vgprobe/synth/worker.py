"""Synthesis in fresh worker processes, in a fixed order, so results never depend on espeak's state.

libespeak-ng keeps state between calls inside one process, so :func:`synthesize_all` cuts the job list
into fixed chunks of :data:`CHUNK` jobs and runs each chunk in a new ``python -m vgprobe.synth.worker``
process (several at once when ``processes > 1``). The chunks depend on the job list only, never on the
number of processes, so the same jobs always give byte-identical audio.

    >>> jobs = [Job(text="a red circle", voice="en-us", variant="m3", pitch=50, rate=175, seed=7)]
    >>> [utt] = synthesize_all(jobs)                          # doctest: +SKIP
    >>> utt.audio.dtype, utt.audio.shape                      # int16, (n,) at 16 kHz
    >>> utt.alignment.phones[0].label                         # 'AH'

Each utterance is resampled from espeak's 22050 Hz to 16 kHz (soxr, HQ), gets :data:`PAD_S` seconds of
silence at both ends, and a faint seeded dither (std :data:`DITHER` in int16 units) so that no frame is
exactly zero, as in recorded speech. Alignment times include the leading pad.
"""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np

from vgprobe.audio import SAMPLE_RATE
from vgprobe.errors import ConfigError, InputError
from vgprobe.synth.alignment import Alignment, Phone, Word

PAD_S = 0.15
DITHER = 2.0
CHUNK = 64


@dataclass(frozen=True)
class Job:
    text: str
    voice: str  # espeak language voice, e.g. "en-us"
    variant: str | None  # espeak variant, e.g. "m3", "f2", "klatt" (None: the voice's own)
    pitch: int  # 0..100, espeak's default 50
    rate: int  # words per minute, espeak's default 175
    seed: int  # seeds the dither
    pitch_range: int = 50  # 0 (monotone)..100, espeak's default 50
    ssml: bool = False  # text is SSML (per-word <prosody>, <break>; see prosody.py)


@dataclass(frozen=True)
class Utterance:
    audio: np.ndarray  # (n,) int16 at 16 kHz
    alignment: Alignment

    @property
    def duration(self) -> float:
        return len(self.audio) / SAMPLE_RATE


def _render(tts, job: Job) -> tuple[np.ndarray, dict]:
    import soxr

    from vgprobe.synth.alignment import align

    out = tts.synthesize(
        job.text, ssml=job.ssml, voice=job.voice, variant=job.variant, pitch=job.pitch, rate=job.rate,
        pitch_range=job.pitch_range,
    )
    al = align(out, text=job.text, ssml=job.ssml).shifted(PAD_S)
    x = soxr.resample(out.samples.astype(np.float32), out.sample_rate, SAMPLE_RATE, quality="HQ")
    pad = np.zeros(int(round(PAD_S * SAMPLE_RATE)), np.float32)
    x = np.concatenate([pad, x, pad])
    rng = np.random.default_rng(job.seed)
    x = x + rng.normal(0.0, DITHER, size=x.shape)
    audio = np.clip(np.round(x), -32768, 32767).astype(np.int16)
    meta = {
        "phones": [[p.label, p.start, p.end, p.word] for p in al.phones],
        "words": [[w.text, w.start, w.end, w.merged] for w in al.words],
    }
    return audio, meta


def _worker_main(out_path: str) -> int:
    """Read jobs (JSON list) from stdin, write ``out_path`` (.npz: audio, lengths, meta)."""
    from vgprobe.synth.espeak import Espeak

    jobs = [Job(**j) for j in json.load(sys.stdin)]
    tts = Espeak()
    audios, metas = [], []
    for job in jobs:
        a, m = _render(tts, job)
        audios.append(a)
        metas.append(m)
    meta = np.frombuffer(json.dumps(metas).encode(), dtype=np.uint8)
    lengths = np.array([len(a) for a in audios], dtype=np.int64)
    with open(out_path, "wb") as f:
        np.savez(f, audio=np.concatenate(audios), lengths=lengths, meta=meta)
    return 0


def _run_chunk(jobs: list[Job], tmp: Path, index: int) -> list[Utterance]:
    out = tmp / f"chunk{index}.npz"
    proc = subprocess.run(
        [sys.executable, "-m", "vgprobe.synth.worker", str(out)],
        input=json.dumps([asdict(j) for j in jobs]).encode(),
        capture_output=True,
    )
    if proc.returncode != 0:
        err = proc.stderr.decode(errors="replace").strip().splitlines()
        raise InputError(f"speech synthesis failed: {err[-1] if err else 'worker exited ' + str(proc.returncode)}")
    with np.load(out, allow_pickle=False) as z:
        audio, lengths, meta = z["audio"], z["lengths"], json.loads(z["meta"].tobytes().decode())
    utts, offset = [], 0
    for n, m in zip(lengths, meta):
        al = Alignment(
            tuple(Phone(lab, s, e, w) for lab, s, e, w in m["phones"]),
            tuple(Word(t, s, e, merged) for t, s, e, merged in m["words"]),
        )
        utts.append(Utterance(audio[offset : offset + n].copy(), al))
        offset += int(n)
    return utts


def synthesize_all(jobs: list[Job], *, processes: int = 1) -> list[Utterance]:
    """Synthesise every job (in order) in fresh worker processes; see the module docstring."""
    for j in jobs:
        if not j.text.strip():
            raise InputError("cannot synthesise empty text")
    chunks = [jobs[i : i + CHUNK] for i in range(0, len(jobs), CHUNK)]
    with tempfile.TemporaryDirectory(prefix="vgprobe-synth-") as tmp:
        with ThreadPoolExecutor(max_workers=max(1, processes)) as pool:
            parts = list(pool.map(lambda ic: _run_chunk(ic[1], Path(tmp), ic[0]), enumerate(chunks)))
    return [u for part in parts for u in part]


def check_voices(voices: list[tuple[str, str | None]]) -> None:
    """Raise :class:`vgprobe.errors.ConfigError` for an unknown voice or variant (espeak accepts them silently)."""
    from vgprobe.synth.espeak import available_variants, known_languages

    for voice, variant in voices:
        if voice.lower() not in known_languages():
            raise ConfigError(f"unknown espeak voice {voice!r}; expected one of {sorted(known_languages())}")
        if variant is not None and variant not in available_variants():
            raise ConfigError(f"unknown espeak variant {variant!r}; expected one of {list(available_variants())}")


if __name__ == "__main__":
    sys.exit(_worker_main(sys.argv[1]))
