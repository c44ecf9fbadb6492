"""The layer-wise reference set of tests/data/analysis_reference/layerwise (see its README)."""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path

import numpy as np
import pytest

DATA = Path(__file__).parent / "data" / "analysis_reference" / "layerwise"
STORED_LAYERS: tuple[int, ...] = (0, 2, 3)  # the layers whose features are stored (all six have numbers)


@cache
def expected() -> dict:
    return json.loads((DATA / "expected.json").read_text())


@cache
def labels() -> dict:
    return json.loads((DATA / "labels.json").read_text())


@cache
def phones() -> list[str]:
    return json.loads((DATA / "phones.json").read_text())


@cache
def _features() -> dict[str, np.ndarray]:
    with np.load(DATA / "features.npz") as f:
        return {k: f[k] for k in f.files}


def layer(k: int, dtype=np.float32) -> np.ndarray:
    """Layer ``k`` as ``[3000, 48]`` (float32 as stored, or cast)."""
    return _features()[f"layer_{k}"].astype(dtype)


def one_hot_target() -> np.ndarray:
    """``np.eye(20)[phone index]`` in the order of phones.json, float64 ``[3000, 20]``."""
    index = {p: i for i, p in enumerate(phones())}
    return np.eye(len(index))[[index[p] for p in labels()["labels"]]]


@pytest.fixture(autouse=True, scope="module")
def single_blas_thread():
    """These problems are small; BLAS threads only add contention on a shared machine.
    Module scope, so that it also covers the module-scoped fixtures that run the probes."""
    from threadpoolctl import threadpool_limits

    with threadpool_limits(limits=1, user_api="blas"):
        yield
