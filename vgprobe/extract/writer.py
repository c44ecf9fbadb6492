"""Feature files and ``meta.yaml`` of a ZeroSpeech 2021 submission folder, written atomically.

``.npy`` (default, fast) or ``.txt`` (what the official ZR2021 validator accepts: one frame per
line, float32 values printed with 9 significant digits, which round-trips them exactly).

Several shards (torchrun ranks, or ``--shard i/n`` runs) write into the same layer folders; they share no
process group, so the one step that must happen once — replacing a folder written with other settings
(``--overwrite``) — is ordered through files: see :func:`prepare_layer_folder`.
"""

from __future__ import annotations

import os
import shutil
import time
from pathlib import Path
from typing import Any, Literal

import numpy as np
import yaml

from vgprobe.atomic import atomic_write, write_text_atomic
from vgprobe.errors import ConfigError

Format = Literal["npy", "txt"]
IDENTITY_KEYS = ("model_sha256", "layer", "format", "dtype", "normalisation", "data")


def write_features(path: Path, arr: np.ndarray, fmt: Format) -> None:
    """Write one (frames, dim) float32 matrix atomically."""
    with atomic_write(path, "wb") as f:
        if fmt == "npy":
            np.save(f, np.ascontiguousarray(arr, dtype=np.float32))
        else:
            np.savetxt(f, arr.astype(np.float32), fmt="%.9g")


def is_complete(path: Path, fmt: Format, frames: int, dim: int) -> bool:
    """True when ``path`` holds a finished (frames, dim) matrix (checked, not just named)."""
    if not path.is_file():
        return False
    try:
        if fmt == "npy":
            arr = np.load(path, mmap_mode="r", allow_pickle=False)
            return arr.ndim == 2 and arr.shape == (frames, dim) and arr.dtype == np.float32
        with open(path, encoding="ascii") as f:
            lines = f.read().splitlines()
        return len(lines) == frames and all(len(line.split()) == dim for line in lines)
    except (OSError, ValueError, UnicodeDecodeError):
        return False


def meta_document(*, frame_shift: float | None, settings: dict[str, Any], version: str) -> dict[str, Any]:
    """The ZR2021 ``meta.yaml`` fields plus a ``vgprobe`` block that traces every number back."""
    return {
        "author": "vgprobe",
        "affiliation": "",
        "description": f"vgprobe {version}: layer {settings['layer']} of {settings['model']}",
        "open_source": True,
        "train_set": "",
        "gpu_budget": 0,
        "parameters": {
            "phonetic": {"metric": "cosine", "frame_shift": frame_shift},
            "semantic": {"metric": "cosine", "pooling": "max"},
        },
        "vgprobe": {"version": version, "settings": settings},
    }


def prepare_layer_folder(
    folder: Path,
    meta: dict[str, Any],
    *,
    overwrite: bool,
    shard_index: int = 0,
    wait_seconds: float = 900.0,
    poll_seconds: float = 0.5,
) -> None:
    """Create ``folder`` with ``meta.yaml``; refuse a folder written with other settings unless ``overwrite``.

    With ``overwrite``, none of the old files can be trusted and the folder is replaced — by shard 0 only,
    which holds a lock file ``.<folder name>.replacing`` beside the folder from before the deletion until the
    new ``meta.yaml`` is written. Any other shard never deletes: it waits (polling every ``poll_seconds``, at
    most ``wait_seconds``) until ``meta.yaml`` carries its settings and no replacement is under way, so the
    files it then writes cannot be deleted. A missing ``meta.yaml`` with no lock is a new folder, which any
    shard may create (shards may start in any order, e.g. as the tasks of a job array). A lock left by a shard 0
    that was killed is removed by the next shard 0."""
    new_settings = meta["vgprobe"]["settings"]
    lock = folder.with_name(f".{folder.name}.replacing")
    deadline = time.monotonic() + wait_seconds
    while True:
        # meta.yaml first, the lock second: shard 0 takes the lock before deleting and drops it after writing
        # the new meta.yaml, so "no meta.yaml, then no lock" cannot be a replacement half done
        old_settings = _settings(folder / "meta.yaml")
        changed = [] if old_settings is None else [k for k in IDENTITY_KEYS
                                                     if old_settings.get(k) != new_settings.get(k)]
        if changed and not overwrite:
            detail = "; ".join(f"{k}: {old_settings.get(k)!r} -> {new_settings.get(k)!r}" for k in changed)
            raise ConfigError(f"{folder} holds features extracted with other settings ({detail}); use --overwrite")
        if shard_index == 0 and changed:
            _replace(folder, lock, meta)
            return
        if shard_index == 0 or not (changed or lock.exists()):
            break
        if time.monotonic() >= deadline:
            raise ConfigError(
                f"{folder}: shard {shard_index} waited {wait_seconds:g} s for shard 0 to replace this folder, which "
                "holds features extracted with other settings (--overwrite); only shard 0 deletes it, so run shard 0 "
                f"too, or delete {folder} yourself" + (f" (and {lock}, left by a shard 0 that stopped)"
                                                        if lock.exists() else ""))
        _pause(poll_seconds)
    if old_settings is not None:
        tasks = sorted(set(old_settings.get("tasks", [])) | set(new_settings.get("tasks", [])))
        meta["vgprobe"]["settings"]["tasks"] = tasks
    folder.mkdir(parents=True, exist_ok=True)
    write_text_atomic(folder / "meta.yaml", yaml.safe_dump(meta, sort_keys=False))
    if shard_index == 0:
        lock.unlink(missing_ok=True)  # left by a shard 0 that stopped mid-replacement: the folder is now whole


def _settings(path: Path) -> dict[str, Any] | None:
    """The ``vgprobe.settings`` block of a ``meta.yaml`` (empty when unreadable), or None when there is none."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return None
    try:
        old = yaml.safe_load(text) or {}
    except yaml.YAMLError:
        old = {}
    return (old.get("vgprobe") or {}).get("settings") or {}


def _replace(folder: Path, lock: Path, meta: dict[str, Any]) -> None:
    """Shard 0's replacement of a folder written with other settings, under the lock file."""
    lock.parent.mkdir(parents=True, exist_ok=True)
    lock.write_text(f"{os.getpid()}\n", encoding="utf-8")
    try:
        shutil.rmtree(folder)
        folder.mkdir()
        write_text_atomic(folder / "meta.yaml", yaml.safe_dump(meta, sort_keys=False))
    finally:
        lock.unlink(missing_ok=True)


def _pause(seconds: float) -> None:
    time.sleep(seconds)


def read_meta(folder: Path) -> dict[str, Any]:
    path = Path(folder) / "meta.yaml"
    return yaml.safe_load(path.read_text(encoding="utf-8")) or {}
