"""Frame distances, compiled with numba.

Every frame pair goes through one function with one fixed order of operations, so a pair
gets the bit-identical value wherever it occurs: ties between identical frames stay exact.
Frames are float32 rows whose length is a multiple of 8 (zero padding adds exact zeros);
sums run in float32 over eight interleaved partial sums combined in a fixed tree.

- ``cosine`` (angular): ``acos(clamp(x·y, −1, 1)) / π`` (frames are unit vectors).
- ``euclidean``: ``sqrt(Σ (x − y)²)``.
- ``kl``: ``Σ x · log((x + ε) / (y + ε))``, ε = 1e-6; ``kl_symmetric``: the mean of both directions.
"""

from __future__ import annotations

import math
from typing import Literal

import numba
import numpy as np

Distance = Literal["cosine", "euclidean", "kl", "kl_symmetric"]
DISTANCE_CODES: dict[str, int] = {"cosine": 0, "euclidean": 1, "euclidian": 1, "kl": 2, "kl_symmetric": 3}

_PI = np.float32(math.pi)
_EPS = np.float32(1e-6)
_HALF = np.float32(0.5)
_ONE = np.float32(1.0)
_TILE = 128  # columns whose partial sums are kept at once


@numba.njit(cache=True, inline="always")
def _tree(a0, a1, a2, a3, a4, a5, a6, a7):  # noqa: ANN001, ANN202
    return ((a0 + a1) + (a2 + a3)) + ((a4 + a5) + (a6 + a7))


@numba.njit(cache=True, inline="always")
def _dot(x, y):  # noqa: ANN001, ANN202
    z = np.float32(0.0)
    a0 = a1 = a2 = a3 = a4 = a5 = a6 = a7 = z
    for c in range(0, x.shape[0], 8):
        a0 += x[c] * y[c]
        a1 += x[c + 1] * y[c + 1]
        a2 += x[c + 2] * y[c + 2]
        a3 += x[c + 3] * y[c + 3]
        a4 += x[c + 4] * y[c + 4]
        a5 += x[c + 5] * y[c + 5]
        a6 += x[c + 6] * y[c + 6]
        a7 += x[c + 7] * y[c + 7]
    return _tree(a0, a1, a2, a3, a4, a5, a6, a7)


@numba.njit(cache=True, inline="always")
def _sq(x, y):  # noqa: ANN001, ANN202
    z = np.float32(0.0)
    a0 = a1 = a2 = a3 = a4 = a5 = a6 = a7 = z
    for c in range(0, x.shape[0], 8):
        d0 = x[c] - y[c]
        d1 = x[c + 1] - y[c + 1]
        d2 = x[c + 2] - y[c + 2]
        d3 = x[c + 3] - y[c + 3]
        d4 = x[c + 4] - y[c + 4]
        d5 = x[c + 5] - y[c + 5]
        d6 = x[c + 6] - y[c + 6]
        d7 = x[c + 7] - y[c + 7]
        a0 += d0 * d0
        a1 += d1 * d1
        a2 += d2 * d2
        a3 += d3 * d3
        a4 += d4 * d4
        a5 += d5 * d5
        a6 += d6 * d6
        a7 += d7 * d7
    return _tree(a0, a1, a2, a3, a4, a5, a6, a7)


@numba.njit(cache=True, inline="always")
def _kl(x, y):  # noqa: ANN001, ANN202
    acc = np.float32(0.0)
    for c in range(x.shape[0]):
        acc += x[c] * np.float32(math.log((x[c] + _EPS) / (y[c] + _EPS)))
    return acc


@numba.njit(cache=True)
def frame_distance(x, y, kind):  # noqa: ANN001, ANN201
    """Distance between two frames (float32 rows of equal, 8-aligned length); returns float32."""
    if kind == 0:
        d = _dot(x, y)
        if d > _ONE:
            d = _ONE
        elif d < -_ONE:
            d = -_ONE
        return np.float32(math.acos(d)) / _PI
    if kind == 1:
        return np.float32(math.sqrt(_sq(x, y)))
    if kind == 2:
        return _kl(x, y)
    return _HALF * _kl(x, y) + _HALF * _kl(y, x)


def distance_code(name: str) -> int:
    """``"cosine"`` -> 0, ...; raises ValueError for an unknown name."""
    try:
        return DISTANCE_CODES[name]
    except KeyError:
        raise ValueError(f"unknown distance {name!r}; expected one of cosine, euclidean, kl, kl_symmetric") from None


@numba.njit(cache=True)
def _finish(d, kind):  # noqa: ANN001, ANN202
    """The last step of :func:`frame_distance` for kinds 0 and 1, from the reduced sum."""
    if kind == 0:
        if d > _ONE:
            d = _ONE
        elif d < -_ONE:
            d = -_ONE
        return np.float32(math.acos(d)) / _PI
    return np.float32(math.sqrt(d))


@numba.njit(cache=True)
def gather_columns(frames, off, ln, tok_lo, tok_hi, cols, cols_t):  # noqa: ANN001, ANN201
    """Frames of tokens [tok_lo, tok_hi) back to back: rows of ``cols``, columns of ``cols_t``.

    Returns the number of frames; token t starts at column sum(ln[tok_lo:t]).
    """
    n = 0
    for t in range(tok_lo, tok_hi):
        for f in range(ln[t]):
            src = frames[off[t] + f]
            for c in range(src.shape[0]):
                cols[n, c] = src[c]
                cols_t[c, n] = src[c]
            n += 1
    return n


@numba.njit(cache=True)
def distance_block(rows, cols, cols_t, c0, c1, kind, acc, out):  # noqa: ANN001, ANN201
    """out[i, j - c0] = frame_distance(rows[i], cols[j], kind) for j in [c0, c1), bit for bit.

    For kinds 0 and 1 the eight partial sums of :func:`frame_distance` are kept for a run of
    columns at once (``acc`` is (8, ≥ c1 − c0) float32), so the loop over columns vectorises
    while each pair sees exactly the same float32 operations in the same order.
    """
    w = c1 - c0
    dim = rows.shape[1]
    if kind >= 2:
        for i in range(rows.shape[0]):
            for j in range(w):
                out[i, j] = frame_distance(rows[i], cols[c0 + j], kind)
        return
    z = np.float32(0.0)
    for i in range(rows.shape[0]):
        x = rows[i]
        for t0 in range(0, w, _TILE):  # a tile of partial sums stays in L1
            n = min(w - t0, _TILE)
            for lane in range(8):
                a = acc[lane]
                for j in range(n):
                    a[j] = z
            for c in range(0, dim, 8):
                for lane in range(8):
                    xv = x[c + lane]
                    yt = cols_t[c + lane, c0 + t0 : c0 + t0 + n]
                    a = acc[lane]
                    if kind == 0:
                        for j in range(n):
                            a[j] += xv * yt[j]
                    else:
                        for j in range(n):
                            d = xv - yt[j]
                            a[j] += d * d
            o = out[i, t0 : t0 + n]
            for j in range(n):
                s = _tree(acc[0, j], acc[1, j], acc[2, j], acc[3, j], acc[4, j], acc[5, j], acc[6, j], acc[7, j])
                o[j] = _finish(s, kind)
