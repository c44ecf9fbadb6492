"""Honest labels for the sSIMI subsets of a vgprobe synthetic set.

ZeroSpeech 2021 names its two sSIMI subsets ``synthetic`` (isolated words spoken by a
speech synthesiser) and ``librispeech`` (word tokens cut from LibriSpeech recordings).
A set built by ``vgprobe synth zr2021`` keeps both names so that the official layout and
scorer apply unchanged, but its ``librispeech`` subset is not LibriSpeech: reports should
say so next to its numbers (:data:`SYNTHETIC_LIBRISPEECH_NOTE`, :func:`subset_note`).
"""

from __future__ import annotations

import json
from pathlib import Path

SYNTHETIC_LIBRISPEECH_NOTE = (
    "This dataset was synthesised by vgprobe: its sSIMI subset named 'librispeech' holds no LibriSpeech audio. "
    "It holds word tokens cut from sentences spoken by espeak-ng voices, and keeps the official subset name only "
    "so that the ZeroSpeech 2021 layout and scorer apply unchanged; its 'synthetic' subset holds isolated words "
    "spoken by espeak-ng voices. Numbers on it are not comparable with published ZeroSpeech 2021 results."
)


def is_synthetic_set(data_root: str | Path) -> bool:
    """True when ``data_root`` was built by ``vgprobe synth zr2021`` (its ``vgprobe-synth.json`` says so)."""
    stamp = Path(data_root) / "vgprobe-synth.json"
    try:
        return json.loads(stamp.read_text(encoding="utf-8")).get("kind") == "zr2021"
    except (OSError, ValueError, AttributeError):
        return False


def subset_note(data_root: str | Path) -> str | None:
    """:data:`SYNTHETIC_LIBRISPEECH_NOTE` for a vgprobe synthetic set, None for any other dataset."""
    return SYNTHETIC_LIBRISPEECH_NOTE if is_synthetic_set(data_root) else None
