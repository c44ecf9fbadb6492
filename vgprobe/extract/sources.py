"""Which audio files an extraction covers, where each output goes, and how they are batched.

A ZeroSpeech 2021 root (it has ``phonetic/`` or ``semantic/``) gives the parts that ``split``
and ``task`` select; any other folder gives every audio file below it, mirrored. Sharding and
batching depend only on the sorted file list and the audio lengths, never on listing order or
on which outputs already exist, so interrupted and sharded runs compute exactly what one run does.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from vgprobe.errors import ConfigError, InputError
from vgprobe.audio import AUDIO_SUFFIXES, SAMPLE_RATE
from vgprobe.zerospeech.layout import SEMANTIC_TYPES, phonetic_subsets

Task = Literal["phonetic", "semantic", "all"]


@dataclass(frozen=True)
class Source:
    audio: Path
    rel: Path  # output path relative to the layer folder, without extension


def is_zr2021_root(root: Path) -> bool:
    return (root / "phonetic").is_dir() or (root / "semantic").is_dir()


def _wavs(folder: Path) -> list[Path]:
    return sorted(p for p in folder.iterdir() if p.is_file() and p.suffix.lower() in AUDIO_SUFFIXES)


def list_sources(data: Path, *, split: str = "dev", task: Task = "all") -> list[Source]:
    """Every file to extract, sorted by output path."""
    data = Path(data)
    if not data.is_dir():
        raise InputError(f"{data}: the data folder does not exist")
    if task not in ("phonetic", "semantic", "all"):
        raise ConfigError(f"unknown task {task!r}; expected phonetic, semantic or all")
    out: list[Source] = []
    if is_zr2021_root(data):
        parts: list[Path] = []
        if task in ("phonetic", "all"):
            parts += [Path("phonetic") / s for s in phonetic_subsets(split)]
        if task in ("semantic", "all"):
            parts += [Path("semantic") / split / t for t in SEMANTIC_TYPES]
        present = [p for p in parts if (data / p).is_dir()]
        if not present:
            raise InputError(f"{data}: none of {[str(p) for p in parts]} exists for split {split!r}, task {task!r}")
        for part in present:
            out += [Source(w, part / w.stem) for w in _wavs(data / part)]
    else:
        for dirpath, _, names in os.walk(data):
            for n in names:
                p = Path(dirpath) / n
                if p.suffix.lower() in AUDIO_SUFFIXES:
                    out.append(Source(p, p.relative_to(data).with_suffix("")))
    out.sort(key=lambda s: s.rel.as_posix())
    seen: set[str] = set()
    for s in out:
        key = s.rel.as_posix()
        if key in seen:
            raise InputError(f"two audio files map to the same output {key} (e.g. {s.audio}); rename one")
        seen.add(key)
    if not out:
        raise InputError(f"{data}: no audio files ({', '.join(AUDIO_SUFFIXES)}) found")
    return out


def parse_shard(spec: str | None, env: dict[str, str] | None = None) -> tuple[int, int]:
    """``"i/n"`` (0-based) -> (i, n). Without a spec, torchrun's RANK/WORLD_SIZE, else (0, 1)."""
    env = dict(os.environ) if env is None else env
    if spec is None:
        if "WORLD_SIZE" in env and "RANK" in env:
            return int(env["RANK"]), int(env["WORLD_SIZE"])
        return 0, 1
    try:
        i_s, n_s = spec.split("/")
        i, n = int(i_s), int(n_s)
    except ValueError:
        raise ConfigError(f"--shard {spec!r}: expected i/n, e.g. 0/4") from None
    if not (n >= 1 and 0 <= i < n):
        raise ConfigError(f"--shard {spec!r}: need 0 <= i < n")
    return i, n


def shard(sources: list[Source], index: int, count: int) -> list[Source]:
    """A deterministic disjoint subset: every ``count``-th file of the sorted list."""
    return sources[index::count]


def plan_batches(lengths: list[int], batch_seconds: float, sample_rate: int = SAMPLE_RATE) -> list[list[int]]:
    """Group file indices into batches of about ``batch_seconds`` of audio, longest first.

    Sorting by length keeps padding small; ties keep the sorted-path order. The plan depends
    only on the lengths, so a resumed run recomputes each batch exactly as a fresh run would.
    """
    order = sorted(range(len(lengths)), key=lambda i: (-lengths[i], i))
    budget = max(batch_seconds, 0.0) * sample_rate
    batches: list[list[int]] = []
    cur: list[int] = []
    for i in order:
        # cost of the batch if i joins: longest length x count (the transformer pads to the longest)
        longest = lengths[cur[0]] if cur else lengths[i]
        if cur and longest * (len(cur) + 1) > budget:
            batches.append(cur)
            cur = []
        cur.append(i)
    if cur:
        batches.append(cur)
    return batches
