"""Write a dataset folder atomically: build it in a temporary sibling folder, then rename it into place.

    >>> with atomic_dataset(Path("zr"), kind="zr2021", config={"seed": 0}) as tmp:   # doctest: +SKIP
    ...     (tmp / "phonetic").mkdir()                # write everything under tmp
    >>> # now zr/ holds the data and zr/vgprobe-synth.json records kind + config

If ``out`` already holds a dataset built with the same kind and config, the body is skipped
(``atomic_dataset`` yields ``None``): building is idempotent. A non-empty ``out`` holding anything else
is an error, and so is a folder that cannot be written. On any error the temporary folder is removed,
so nothing half-written is left.
"""

from __future__ import annotations

import json
import shutil
import tempfile
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

from vgprobe.errors import ConfigError

STAMP = "vgprobe-synth.json"


def _stamp(kind: str, config: dict) -> dict:
    from vgprobe import __version__

    return {"kind": kind, "config": config, "vgprobe": __version__}


@contextmanager
def atomic_dataset(out: Path, *, kind: str, config: dict) -> Iterator[Path | None]:
    out = Path(out)
    stamp = _stamp(kind, config)
    if out.exists():
        if not out.is_dir():
            raise ConfigError(f"output {out} exists and is not a folder")
        if any(out.iterdir()):
            existing = out / STAMP
            try:
                found = json.loads(existing.read_text())
            except (OSError, ValueError):
                found = None
            if found is not None and found.get("kind") == kind and found.get("config") == config:
                yield None
                return
            raise ConfigError(
                f"output folder {out} already holds other data"
                + (f" (a {found.get('kind')} set built with {found.get('config')})" if found else "")
                + f"; expected an empty or missing folder, or one built with {config}"
            )
    parent = out.parent if str(out.parent) else Path(".")
    try:
        parent.mkdir(parents=True, exist_ok=True)
        tmp = Path(tempfile.mkdtemp(prefix=f".{out.name}.tmp-", dir=parent))
    except OSError as exc:
        raise ConfigError(f"cannot write the output folder {out}: {exc.strerror or exc}") from exc
    try:
        yield tmp
        (tmp / STAMP).write_text(json.dumps(stamp, indent=1, sort_keys=True) + "\n")
        if out.exists():
            out.rmdir()  # empty (checked above)
        tmp.rename(out)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
