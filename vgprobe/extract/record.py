"""The record an extraction leaves in its output root (``.vgprobe-last.json``): which layers it wrote, for
which data, split and task, so that scorers can find them without being told.

Example::

    write_last_run(Path("feats"), layers=["trm1.6"], split="dev", task="all", data=Path("zr2021"), checkpoint="x")
    read_last_run(Path("feats"))["layers"]      # ["trm1.6"]
"""

from __future__ import annotations

import json
from pathlib import Path

from vgprobe.atomic import write_json_atomic

LAST_RUN = ".vgprobe-last.json"


def write_last_run(out: Path, *, layers: list[str], split: str, task: str, data: Path, checkpoint: str) -> None:
    rec = {"layers": layers, "split": split, "task": task, "data": str(Path(data).resolve()), "checkpoint": checkpoint}
    write_json_atomic(Path(out) / LAST_RUN, rec)


def read_last_run(out: Path) -> dict | None:
    """The record of the last extraction into ``out`` (layers, split, task, data, checkpoint), or None."""
    path = Path(out) / LAST_RUN
    if not path.is_file():
        return None
    return json.loads(path.read_text(encoding="utf-8"))
