"""Background noise: coloured noise, babble of other synthetic talkers, and mixing at a given SNR.

    >>> n = coloured_noise(rng, 16000, exponent=1.0)              # (16000,) float64 pink noise, unit RMS
    >>> b = babble(rng, pool, 16000, talkers=5)                   # (16000,) five overlapping talkers, unit RMS
    >>> noisy = speech + scaled_to_snr(n, speech_power=p, snr_db=12.0)

- Coloured noise has power spectral density ∝ 1/f^exponent (0 white, 1 pink, 2 brown), made by
  shaping seeded white Gaussian noise in the frequency domain (flat below 20 Hz).
- Babble sums ``talkers`` streams; a stream is a run of utterances from the pool (chosen with
  ``rng``, each scaled to unit RMS over its active part) starting at a random point, so talkers are
  caught mid-sentence. The pool is the dedicated babble talkers of a build, never the speakers
  being tested.
- The SNR compares the speech power over the spoken span (first phone to last phone) with the
  noise power over the whole utterance.
"""

from __future__ import annotations

import numpy as np

_FLAT_BELOW_HZ = 20.0


def coloured_noise(rng: np.random.Generator, n: int, *, exponent: float, sample_rate: int = 16000) -> np.ndarray:
    """``n`` samples of unit-RMS noise with PSD ∝ 1/f^exponent."""
    spectrum = rng.standard_normal(n // 2 + 1) + 1j * rng.standard_normal(n // 2 + 1)
    f = np.maximum(np.fft.rfftfreq(n, 1.0 / sample_rate), _FLAT_BELOW_HZ)
    spectrum *= f ** (-exponent / 2.0)
    spectrum[0] = 0.0
    x = np.fft.irfft(spectrum, n)
    return x / np.sqrt(np.mean(x**2))


def _active_rms(x: np.ndarray) -> float:
    """RMS over the samples above 1 % of the peak (the speech, not the padding)."""
    a = np.abs(x)
    loud = x[a > 0.01 * a.max()]
    return float(np.sqrt(np.mean(loud**2))) if loud.size else 1.0


def babble(rng: np.random.Generator, pool: list[np.ndarray], n: int, *, talkers: int) -> np.ndarray:
    """``n`` samples of ``talkers`` overlapping talkers drawn from ``pool``; unit RMS."""
    out = np.zeros(n)
    for _ in range(talkers):
        parts, total = [], 0
        while total < 2 * n:
            u = np.asarray(pool[int(rng.integers(len(pool)))], dtype=np.float64)
            parts.append(u / _active_rms(u))
            total += len(u)
        stream = np.concatenate(parts)
        start = int(rng.integers(0, len(stream) - n + 1))
        out += stream[start : start + n]
    return out / np.sqrt(np.mean(out**2))


def scaled_to_snr(noise: np.ndarray, *, speech_power: float, snr_db: float) -> np.ndarray:
    """``noise`` scaled so that ``10 log10(speech_power / noise power) = snr_db``."""
    power = float(np.mean(noise**2))
    return noise * np.sqrt(speech_power / (power * 10.0 ** (snr_db / 10.0)))
