"""Reading, checking, resampling and z-normalising waveforms.

vgprobe models expect 16 kHz mono float32. Other sample rates are resampled with soxr (the
caller is told which files, so it can warn); stereo is an error unless ``mix_to_mono``.
Unreadable, empty, too-short or non-finite audio raises :class:`InputError` naming the file.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from vgprobe.errors import InputError

SAMPLE_RATE = 16000
AUDIO_SUFFIXES: tuple[str, ...] = (".wav", ".flac")  # the audio files vgprobe reads from a folder
MIN_SAMPLES = 400  # the wav2vec2 CNN's receptive field: shorter audio gives no frame


@dataclass(frozen=True)
class Audio:
    path: Path
    samples: np.ndarray  # (L,) float32 at 16 kHz
    source_rate: int

    @property
    def resampled(self) -> bool:
        return self.source_rate != SAMPLE_RATE

    @property
    def seconds(self) -> float:
        return len(self.samples) / SAMPLE_RATE


def read_audio(path: str | Path, *, mix_to_mono: bool = False, min_samples: int = MIN_SAMPLES) -> Audio:
    """Read one file as 16 kHz mono float32, with the checks above."""
    import soundfile as sf

    path = Path(path)
    try:
        data, rate = sf.read(str(path), dtype="float32", always_2d=True)
    except Exception as exc:  # noqa: BLE001 - libsndfile raises several types
        raise InputError(f"{path}: cannot read audio ({exc})") from exc
    if data.shape[1] > 1:
        if not mix_to_mono:
            raise InputError(f"{path}: {data.shape[1]} channels; expected mono audio (or pass --mix-to-mono)")
        data = data.mean(axis=1, keepdims=True)
    samples = np.ascontiguousarray(data[:, 0])
    if samples.size == 0:
        raise InputError(f"{path}: the file holds no audio samples")
    if not np.isfinite(samples).all():
        raise InputError(f"{path}: audio contains NaN or inf")
    if rate != SAMPLE_RATE:
        import soxr

        samples = soxr.resample(samples, rate, SAMPLE_RATE).astype(np.float32, copy=False)
    require_min_samples(path, samples.size, min_samples)
    return Audio(path=path, samples=samples, source_rate=int(rate))


def require_min_samples(path: str | Path, n: int, min_samples: int = MIN_SAMPLES) -> None:
    """Refuse audio of fewer than ``min_samples`` samples at 16 kHz (it gives no CNN frame)."""
    if n < min_samples:
        raise InputError(f"{path}: {n} samples at 16 kHz; at least {min_samples} are needed (one 25 ms frame)")


def znorm(x: np.ndarray) -> np.ndarray:
    """Per-utterance ``(x - mean) / std`` in float64 (population std), as the FaST-VGS authors; float32 out."""
    x64 = x.astype(np.float64)
    std = x64.std()
    if std == 0.0:
        raise InputError("cannot z-normalise a constant waveform (its standard deviation is 0)")
    return ((x64 - x64.mean()) / std).astype(np.float32)


def hf_normalize(x: np.ndarray) -> np.ndarray:
    """Hugging Face's wav2vec2 feature-extractor normalisation: ``(x - mean) / sqrt(var + 1e-7)``."""
    x64 = x.astype(np.float64)
    return ((x64 - x64.mean()) / np.sqrt(x64.var() + 1e-7)).astype(np.float32)
