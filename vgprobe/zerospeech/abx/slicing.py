"""Which feature frames belong to a token.

With ``r = 1 / frame_shift`` frames are centred at ``(i + 1/2) / r`` seconds.

- ``librilight`` (ZR2021, Libri-Light, zerospeech-libriabx2): in float64,
  ``start = max(0, ceil(r·onset − 0.5))``, ``end = min(n, floor(r·offset − 0.5))``,
  frames ``[start, end)``: the last frame whose centre lies inside the token is left out.
- ``exact`` (ABXpy, fastabx's default): every frame whose centre lies in
  ``[onset, offset]``, computed in exact decimal arithmetic from the item-file text:
  ``[ceil(onset/Δt − 1/2), floor(offset/Δt − 1/2) + 1)``, clipped to ``[0, n)``.

A token whose slice is empty is dropped by the scorer, as Libri-Light does.
"""

from __future__ import annotations

import math
from fractions import Fraction
from typing import Literal

Slicing = Literal["librilight", "exact"]


def librilight_bounds(onset: float, offset: float, *, step: float, n_frames: int) -> tuple[int, int]:
    """Libri-Light's slice ``[start, end)``; ``step = 1 / frame_shift`` as a float64.

    >>> librilight_bounds(0.0, 0.1, step=50.0, n_frames=100)
    (0, 4)
    """
    start = max(0, math.ceil(step * onset - 0.5))
    end = min(n_frames, math.floor(step * offset - 0.5))
    return start, end


def exact_bounds(onset_text: str, offset_text: str, *, frame_shift: Fraction, n_frames: int) -> tuple[int, int]:
    """Every frame whose centre lies in ``[onset, offset]``, in exact arithmetic.

    >>> exact_bounds("0.0", "0.1", frame_shift=Fraction("0.02"), n_frames=100)
    (0, 5)
    """
    half = Fraction(1, 2)
    start = max(0, math.ceil(Fraction(onset_text) / frame_shift - half))
    end = min(n_frames, math.floor(Fraction(offset_text) / frame_shift - half) + 1)
    return start, end


def frame_shift_fraction(frame_shift: float | str) -> Fraction:
    """The frame shift as an exact decimal: ``0.02`` -> ``Fraction(1, 50)`` (not the binary float)."""
    value = Fraction(str(frame_shift)) if isinstance(frame_shift, float) else Fraction(frame_shift)
    if value <= 0:
        raise ValueError(f"frame shift must be positive, got {frame_shift}")
    return value
