"""Atomic writes: a result file or folder either appears whole or not at all.

Everything is written under a temporary sibling name (``.<name>.<pid>.tmp`` for files, a
``.<name>.*.staging`` folder for folders) and renamed over the target with ``os.replace``; on any
error the temporary is removed. A killed process can leave a ``.<name>.<pid>.tmp`` behind: it is
never mistaken for a result, and :func:`remove_stale_temporaries` deletes those whose process is gone.

Example::

    with atomic_write(Path("out/scores.csv")) as f:
        frame.to_csv(f, index=False)
    write_json_atomic(Path("run/run.json"), config)
    with atomic_folder(Path("runs/x/best")) as tmp:        # replaces runs/x/best as one rename
        (tmp / "model.safetensors").write_bytes(...)
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
from contextlib import contextmanager
from pathlib import Path
from typing import IO, Any, Iterator


def temporary_name(path: Path) -> Path:
    """The temporary sibling a write of ``path`` goes through (``.<name>.<pid>.tmp``)."""
    return path.with_name(f".{path.name}.{os.getpid()}.tmp")


@contextmanager
def atomic_write(path: str | Path, mode: str = "w", *, encoding: str = "utf-8", newline: str | None = None
                 ) -> Iterator[IO[Any]]:
    """Open a temporary sibling of ``path`` for writing; rename it over ``path`` when the block succeeds."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = temporary_name(path)
    try:
        if "b" in mode:
            with open(tmp, mode) as f:
                yield f
        else:
            with open(tmp, mode, encoding=encoding, newline=newline) as f:
                yield f
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def write_text_atomic(path: str | Path, text: str) -> None:
    with atomic_write(path) as f:
        f.write(text)


def write_json_atomic(path: str | Path, obj: Any) -> None:
    with atomic_write(path) as f:
        json.dump(obj, f, indent=2)
        f.write("\n")


@contextmanager
def atomic_folder(folder: str | Path) -> Iterator[Path]:
    """Yield an empty staging folder beside ``folder``; when the block succeeds it replaces ``folder``
    (an existing one is moved aside first and deleted after), otherwise it is deleted."""
    folder = Path(folder)
    folder.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{folder.name}.", suffix=".staging", dir=folder.parent))
    try:
        yield tmp
        if folder.exists():
            old = folder.with_name(f".{folder.name}.old")
            shutil.rmtree(old, ignore_errors=True)
            os.replace(folder, old)
            os.replace(tmp, folder)
            shutil.rmtree(old, ignore_errors=True)
        else:
            os.replace(tmp, folder)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def require_replaceable(folder: str | Path, *, marker: str, what: str, hint: str) -> None:
    """Refuse ``folder`` unless :func:`atomic_folder` may replace it whole: it is new, empty, or an earlier
    output of the same kind (it holds ``marker``). ``what`` names that kind in the error, ``hint`` says what to do."""
    from vgprobe.errors import ConfigError

    folder = Path(folder)
    if folder.exists():
        if not folder.is_dir():
            raise ConfigError(f"{folder}: exists and is not a folder")
        if any(folder.iterdir()) and not (folder / marker).is_file():
            raise ConfigError(f"{folder}: not empty and not {what} (no {marker}); {hint}")


def remove_stale_temporaries(folder: str | Path, *, targets: set[Path] | None = None) -> int:
    """Delete ``.<name>.<pid>.tmp`` files under ``folder`` that killed runs left (only those whose process is
    gone); with ``targets``, only temporaries of those output paths (e.g. one shard's own files: another
    shard may be writing its temporaries now, possibly on another machine, where a process id says nothing).
    Returns how many were deleted."""
    folder = Path(folder)
    removed = 0
    if not folder.is_dir():
        return 0
    for tmp in folder.rglob(".*.tmp"):
        parts = tmp.name[1:].rsplit(".", 2)  # <name>, <pid>, tmp
        if len(parts) != 3 or not parts[1].isdigit():
            continue
        if targets is not None and tmp.with_name(parts[0]) not in targets:
            continue
        if not _alive(int(parts[1])):
            tmp.unlink(missing_ok=True)
            removed += 1
    return removed


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True
