"""Microphone and line colouring: a random magnitude response applied as a zero-delay linear-phase FIR.

    >>> fir = draw_response(rng, ranges=cond.mic)       # (TAPS,) float64, symmetric
    >>> y = apply_fir(x, fir)                            # same length as x, no delay

The response is the product of a 2nd-order Butterworth high-pass magnitude (corner drawn), an
8th-order Butterworth low-pass magnitude (the band limit, drawn; none at or above 7.9 kHz) and a smooth
random colouring: gains in dB, normal with the preset's std, at :data:`KNOTS` log-spaced
frequencies, interpolated on log frequency. ``scipy.signal.firwin2`` turns it into a linear-phase FIR
of :data:`TAPS` (odd) taps; :func:`apply_fir` convolves in ``mode="same"``, which for an odd symmetric
filter removes its ``(TAPS - 1) / 2``-sample group delay exactly, so alignments are unchanged.
"""

from __future__ import annotations

import numpy as np

from vgprobe.audio import SAMPLE_RATE
from vgprobe.synth.conditions import MicRanges

TAPS = 255
KNOTS = np.geomspace(100.0, 7000.0, 8)
NO_LOWPASS_HZ = 7900.0


def response(freqs: np.ndarray, *, highpass_hz: float, lowpass_hz: float, knots_db: np.ndarray) -> np.ndarray:
    """Magnitude (linear) at ``freqs`` Hz; see the module docstring."""
    f = np.maximum(freqs, 1.0)
    gain = 1.0 / np.sqrt(1.0 + (highpass_hz / f) ** 4)
    if lowpass_hz < NO_LOWPASS_HZ:
        gain = gain / np.sqrt(1.0 + (f / lowpass_hz) ** 16)
    colour_db = np.interp(np.log(f), np.log(KNOTS), knots_db)
    return gain * 10.0 ** (colour_db / 20.0)


def draw_response(rng: np.random.Generator, *, ranges: MicRanges) -> np.ndarray:
    """A random microphone FIR (:data:`TAPS` taps) from the preset's ranges."""
    from scipy.signal import firwin2

    highpass = rng.uniform(*ranges.highpass_hz)
    lowpass = rng.uniform(*ranges.lowpass_hz)
    knots_db = rng.normal(0.0, ranges.colour_sd_db, size=len(KNOTS))
    freqs = np.linspace(0.0, SAMPLE_RATE / 2, 513)
    gain = response(freqs, highpass_hz=highpass, lowpass_hz=lowpass, knots_db=knots_db)
    gain[0] = 0.0
    return firwin2(TAPS, freqs, gain, fs=SAMPLE_RATE)


def apply_fir(x: np.ndarray, fir: np.ndarray) -> np.ndarray:
    """``x`` filtered by the odd-length symmetric ``fir`` with its group delay removed (same length)."""
    from scipy.signal import oaconvolve

    return oaconvolve(np.asarray(x, dtype=np.float64), fir, mode="same")
