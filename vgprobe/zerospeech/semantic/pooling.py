"""Pooling a feature matrix over time into one vector per file, as the ZR2021 sSIMI scorer does.

The official set: ``max``, ``min``, ``mean``, ``sum`` (over frames), ``last`` (``x[-1]``)
and ``lastlast`` (``x[-2]``). vgprobe pools in float64 (the official scorer reads ``.txt``
features, which numpy loads as float64), so float32 ``.npy`` files give the same numbers
as their ``.txt`` export.
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal, Sequence, get_args

import numpy as np

from vgprobe.errors import ConfigError, InputError
from vgprobe.zerospeech.features import read_features

Pooling = Literal["max", "min", "mean", "sum", "last", "lastlast"]
POOLINGS: tuple[str, ...] = get_args(Pooling)


def check_pooling(pool: str) -> Pooling:
    if pool not in POOLINGS:
        raise ConfigError(f"unknown pooling {pool!r}; expected one of {', '.join(POOLINGS)}")
    return pool  # type: ignore[return-value]


def pool_frames(frames: np.ndarray, *, pool: Pooling, source: str | Path = "features") -> np.ndarray:
    """Pool a (T, D) matrix over time into a (D,) float64 vector.

    >>> pool_frames(np.array([[1.0, 5.0], [3.0, 2.0]]), pool="max")
    array([3., 5.])

    ``source`` names the file in errors (too few frames for the pooling).
    """
    check_pooling(pool)
    x = np.asarray(frames, dtype=np.float64)
    if x.ndim != 2:
        raise InputError(f"{source}: expected a 2-D matrix (frames, dim), found shape {x.shape}")
    needed = 2 if pool == "lastlast" else 1
    if x.shape[0] < needed:
        raise InputError(
            f"{source}: {x.shape[0]} frame(s); pooling {pool!r} needs at least {needed}"
        )
    if pool == "max":
        return x.max(axis=0)
    if pool == "min":
        return x.min(axis=0)
    if pool == "mean":
        return x.mean(axis=0)
    if pool == "sum":
        return x.sum(axis=0)
    if pool == "last":
        return x[-1].copy()
    return x[-2].copy()


def pool_files(paths: Sequence[Path], *, pool: Pooling) -> np.ndarray:
    """Read and pool each file once: (N,) paths -> (N, D) float64 matrix.

    Every file must have the same feature dimension D; the error names the first that differs.
    """
    check_pooling(pool)
    if not paths:
        return np.zeros((0, 0), dtype=np.float64)
    rows: list[np.ndarray] = []
    for path in paths:
        vector = pool_frames(read_features(path), pool=pool, source=path)
        if rows and vector.shape != rows[0].shape:
            raise InputError(
                f"{path}: feature dimension {vector.shape[0]}; expected {rows[0].shape[0]} like {paths[0]}"
            )
        rows.append(vector)
    return np.stack(rows)
