"""Loading pickles from outside without executing code.

- ``args.pkl`` (the authors' ``argparse.Namespace``): a restricted unpickler that admits
  ``argparse.Namespace`` and plain values only.
- ``best_bundle.pth``: ``torch.load(weights_only=True)`` with the smallest allow-list that
  the numpy ``indices`` array needs.
"""

from __future__ import annotations

import argparse
import pickle
from pathlib import Path
from typing import Any

import numpy as np
import torch

from vgprobe.errors import CheckpointError

_ALLOWED_ARGS_GLOBALS = {("argparse", "Namespace"): argparse.Namespace}


class _ArgsUnpickler(pickle.Unpickler):
    def find_class(self, module: str, name: str) -> Any:
        try:
            return _ALLOWED_ARGS_GLOBALS[(module, name)]
        except KeyError:
            raise pickle.UnpicklingError(
                f"refusing to load global {module}.{name}: only argparse.Namespace and plain values are allowed"
            ) from None


def load_args_pickle(path: str | Path) -> argparse.Namespace:
    """Read the authors' ``args.pkl`` without running any code it may carry."""
    path = Path(path)
    try:
        with open(path, "rb") as f:
            obj = _ArgsUnpickler(f).load()
    except pickle.UnpicklingError as exc:
        raise CheckpointError(f"{path}: unsafe or invalid pickle ({exc})") from exc
    except (OSError, EOFError, ValueError, TypeError, AttributeError) as exc:
        raise CheckpointError(f"{path}: cannot read pickle ({exc})") from exc
    if not isinstance(obj, argparse.Namespace):
        raise CheckpointError(f"{path}: expected a pickled argparse.Namespace, found {type(obj).__name__}")
    return obj


def numpy_globals() -> list:
    """What numpy arrays and scalars of plain numeric dtypes need in a weights-only load."""
    from numpy._core import multiarray

    dtypes = [getattr(np.dtypes, n) for n in ("Int64DType", "Int32DType", "Float64DType", "Float32DType", "BoolDType")]
    return [
        multiarray._reconstruct,
        (multiarray._reconstruct, "numpy.core.multiarray._reconstruct"),
        multiarray.scalar,
        (multiarray.scalar, "numpy.core.multiarray.scalar"),
        np.ndarray,
        np.dtype,
        *dtypes,
    ]


def load_torch_bundle(path: str | Path) -> dict:
    """``torch.load`` a released ``best_bundle.pth`` with ``weights_only=True``."""
    path = Path(path)
    try:
        with torch.serialization.safe_globals(numpy_globals()):
            obj = torch.load(path, map_location="cpu", weights_only=True)
    except pickle.UnpicklingError as exc:
        raise CheckpointError(
            f"{path}: refused: the file holds objects that a weights-only load does not allow ({exc})"
        ) from exc
    except (OSError, RuntimeError, EOFError) as exc:
        raise CheckpointError(f"{path}: cannot read checkpoint ({exc})") from exc
    if not isinstance(obj, dict):
        raise CheckpointError(f"{path}: expected a dict bundle, found {type(obj).__name__}")
    return obj
