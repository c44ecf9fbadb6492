"""Reading feature files (one 2-D float matrix per audio file) as the scorers need them.

Accepted formats: ``.npy`` (fast path), ``.txt`` (what the official ZR2021 validator
accepts: whitespace-separated floats, one frame per line) and ``.pt`` (a single tensor,
loaded with ``weights_only=True`` so no pickled code runs).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from vgprobe.errors import InputError

FEATURE_EXTENSIONS: tuple[str, ...] = (".npy", ".txt", ".pt")
# An extraction that is running or was interrupted leaves one marker per shard in its layer folder
# (``.vgprobe-incomplete.shard-<i>-of-<n>``); re-running the same extraction finishes it and removes it.
INCOMPLETE_MARKER = ".vgprobe-incomplete"


def incomplete_shards(layer_folder: str | Path) -> list[str]:
    """The shards (``"i/n"``) whose extraction into ``layer_folder`` has not finished."""
    names = sorted(p.name for p in Path(layer_folder).glob(f"{INCOMPLETE_MARKER}.shard-*"))
    return [n.removeprefix(f"{INCOMPLETE_MARKER}.shard-").replace("-of-", "/") for n in names]


def require_complete(folder: str | Path) -> None:
    """Refuse a feature folder inside an unfinished extraction (its layer folder, the nearest ancestor with a
    ``meta.yaml``, within three levels, carries an incomplete marker)."""
    folder = Path(folder)
    for layer in [folder, *folder.parents][:4]:
        if (layer / "meta.yaml").is_file():
            shards = incomplete_shards(layer)
            if shards:
                raise InputError(f"{layer}: the extraction into this folder has not finished (shard "
                                 f"{', '.join(shards)} interrupted or still running); re-run the same "
                                 "`vgprobe extract` command to finish it")
            return


def read_features(path: str | Path, *, allow_empty: bool = True) -> np.ndarray:
    """Read one feature file as a C-contiguous 2-D float array (frames, dim).

    float32 and float64 are kept as they are; other dtypes are refused. A 1-D array
    is read as a single frame. NaN or inf values raise :class:`InputError` naming the file.
    """
    path = Path(path)
    ext = path.suffix
    try:
        if ext == ".npy":
            arr = np.load(path, allow_pickle=False)
        elif ext == ".txt":
            arr = np.loadtxt(path, dtype=np.float64, ndmin=2)
        elif ext == ".pt":
            import torch

            obj = torch.load(path, map_location="cpu", weights_only=True)
            if not isinstance(obj, torch.Tensor):
                raise InputError(f"{path}: expected a single tensor in the .pt file, found {type(obj).__name__}")
            arr = obj.detach().numpy()
        else:
            raise InputError(f"{path}: unknown feature extension {ext!r}; expected one of {FEATURE_EXTENSIONS}")
    except InputError:
        raise
    except Exception as exc:  # noqa: BLE001 - report any reader failure with the file name
        raise InputError(f"{path}: cannot read feature file ({exc})") from exc
    if arr.ndim == 1:
        arr = arr[None, :]
    if arr.ndim != 2:
        raise InputError(f"{path}: expected a 2-D matrix (frames, dim), found shape {arr.shape}")
    if arr.dtype not in (np.float32, np.float64):
        if np.issubdtype(arr.dtype, np.floating) or np.issubdtype(arr.dtype, np.integer):
            arr = arr.astype(np.float64)
        else:
            raise InputError(f"{path}: expected float features, found dtype {arr.dtype}")
    if not allow_empty and arr.shape[0] == 0:
        raise InputError(f"{path}: the feature matrix has no frames")
    if not np.isfinite(arr).all():
        raise InputError(f"{path}: features contain NaN or inf")
    return np.ascontiguousarray(arr)


def index_feature_files(folder: str | Path, ext: str | None = None) -> dict[str, Path]:
    """Map file stem -> feature file path for the files directly inside ``folder``.

    With ``ext`` None, the folder must hold exactly one feature format; several formats
    raise an error that lists them (pass ``ext`` to choose). Two files with the same stem
    in one format cannot happen; the same stem in several formats is resolved by ``ext``.
    """
    folder = Path(folder)
    if not folder.is_dir():
        raise InputError(f"{folder}: feature folder does not exist")
    require_complete(folder)
    if ext is not None:
        ext = ext if ext.startswith(".") else f".{ext}"
        if ext not in FEATURE_EXTENSIONS:
            raise InputError(f"unknown feature extension {ext!r}; expected one of {FEATURE_EXTENSIONS}")
    by_ext: dict[str, dict[str, Path]] = {}
    for p in folder.iterdir():
        if p.is_file() and p.suffix in FEATURE_EXTENSIONS:
            by_ext.setdefault(p.suffix, {})[p.stem] = p
    if ext is not None:
        return dict(sorted(by_ext.get(ext, {}).items()))
    if len(by_ext) > 1:
        found = ", ".join(f"{e} ({len(v)} files)" for e, v in sorted(by_ext.items()))
        raise InputError(f"{folder}: several feature formats found: {found}; choose one with --ext")
    if not by_ext:
        return {}
    (files,) = by_ext.values()
    return dict(sorted(files.items()))
