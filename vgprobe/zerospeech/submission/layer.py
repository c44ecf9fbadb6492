"""Reading an extracted layer folder: its ``meta.yaml`` (what ``vgprobe extract`` recorded) and its files.

A layer folder mirrors the dataset (``phonetic/<subset>/<stem>.npy``,
``semantic/<split>/<type>/<stem>.npy``; ``.txt`` or ``.pt`` work too) and holds a
``meta.yaml`` whose ``vgprobe.settings`` block records how the features were made::

    vgprobe:
      version: 0.1.0
      settings:
        model: FaST-VGS tiny at random initialisation (seed 0)
        model_sha256: eca1e4e4...        (64 hex digits)
        checkpoint: random:tiny
        layer: trm1.6
        frame_shift: 0.02                (seconds; null for a layer without a time axis)
        data: /tmp/zr
        ...

:func:`read_layer` refuses a ``meta.yaml`` that is missing, is not YAML, or lacks one of
these fields, naming the file, the line where it can, and what was expected.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from vgprobe.errors import InputError

REQUIRED = ("model", "model_sha256", "checkpoint", "layer", "frame_shift")
_SHA256 = re.compile(r"[0-9a-f]{64}")


@dataclass(frozen=True)
class Layer:
    """An extracted layer folder and the settings ``vgprobe extract`` recorded for it."""

    folder: Path
    model: str
    model_sha256: str
    checkpoint: str
    layer: str
    frame_shift: float | None  # seconds between frames
    settings: dict[str, Any]  # every recorded setting (data, split, format, dtype, ...)
    version: str  # the vgprobe version that extracted it


def read_layer(folder: str | Path) -> Layer:
    """Read and check ``folder/meta.yaml`` (see the module docstring)."""
    folder = Path(folder)
    path = folder / "meta.yaml"
    if not folder.is_dir():
        raise InputError(f"{folder}: layer folder not found; expected a folder written by `vgprobe extract`")
    if not path.is_file():
        raise InputError(f"{path}: not found; expected the meta.yaml that `vgprobe extract` writes into each layer folder")
    text = path.read_text(encoding="utf-8", errors="replace")
    try:
        doc = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f":{mark.line + 1}" if mark is not None else ""
        raise InputError(f"{path}{where}: not valid YAML ({getattr(exc, 'problem', None) or exc})") from None
    block = doc.get("vgprobe") if isinstance(doc, dict) else None
    settings = block.get("settings") if isinstance(block, dict) else None
    if not isinstance(settings, dict):
        raise InputError(f"{path}: no 'vgprobe: settings:' mapping; expected the meta.yaml that `vgprobe extract` writes")
    missing = [k for k in REQUIRED if k not in settings]
    if missing:
        raise InputError(f"{path}:{_line(text, 'settings')}: vgprobe.settings lacks {', '.join(missing)}")
    for key in ("model", "checkpoint", "layer"):
        if not isinstance(settings[key], str) or not settings[key]:
            raise InputError(f"{path}:{_line(text, key)}: vgprobe.settings.{key} must be a non-empty text, "
                             f"found {settings[key]!r}")
    sha = settings["model_sha256"]
    if not isinstance(sha, str) or not _SHA256.fullmatch(sha):
        raise InputError(f"{path}:{_line(text, 'model_sha256')}: vgprobe.settings.model_sha256 must be 64 lower-case "
                         f"hex digits, found {sha!r}")
    shift = settings["frame_shift"]
    if shift is not None and (isinstance(shift, bool) or not isinstance(shift, (int, float)) or not shift > 0):
        raise InputError(f"{path}:{_line(text, 'frame_shift')}: vgprobe.settings.frame_shift must be a positive "
                         f"number of seconds or null, found {shift!r}")
    return Layer(
        folder=folder, model=settings["model"], model_sha256=sha, checkpoint=settings["checkpoint"],
        layer=settings["layer"], frame_shift=None if shift is None else float(shift), settings=dict(settings),
        version=str(block.get("version", "")),
    )


def _line(text: str, key: str) -> int:
    """The 1-based line of the first ``key:`` in ``text`` (1 when absent)."""
    for number, line in enumerate(text.splitlines(), start=1):
        if line.strip().startswith(f"{key}:"):
            return number
    return 1
