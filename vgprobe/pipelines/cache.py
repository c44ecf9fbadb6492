"""The layer sweep's feature cache: a deterministic folder layout keyed by what the features depend on.

An entry is an extraction root as ``vgprobe extract`` writes it (one ZR2021 submission folder per layer),
placed by the model's sha256 and a key of the data and the extraction settings::

    <cache>/<model sha256[:16]>/<split>-<settings key[:16]>/
        manifest.json          what the entry holds (below), rewritten atomically after each extraction
        <layer>/meta.yaml, <layer>/phonetic/..., <layer>/semantic/...
        .scores/<layer>/<measure>-<options key[:16]>.json      finished scores of that layer
    <cache>/models/<kind>-<key[:16]>/       random-initialised twins written as checkpoint folders

The settings key covers the resolved data path, a digest of the audio file list (relative paths and
sizes, so a regenerated dataset gets a new entry), the split, the feature format and the dtype. The
device is not part of it: CPU and GPU features differ only by float rounding. A score's key covers its
options and the sha256 of the files it reads besides the features (item files, gold
and pairs), so changing an item file recomputes the scores but not the features.

``manifest.json``::

    {"model_sha256": ..., "model": <description>, "checkpoint": ..., "data": ..., "data_digest": ...,
     "split": "dev", "format": "npy", "dtype": "float32",
     "layers": {"trm1.6": {"frame_shift": 0.02, "dim": 768, "tasks": {"phonetic": 800, "semantic": 114}}, ...}}

A layer is a cache hit for a task (``phonetic``, ``semantic``) when the manifest records it complete for as
many audio files as the dataset has now and its task folder holds that many feature files; anything else is
handed to the extraction, which resumes file by file.
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from vgprobe.atomic import write_json_atomic

MANIFEST = "manifest.json"
SCORES = ".scores"


def default_cache_dir(env: dict[str, str] | None = None) -> Path:
    """``VGPROBE_CACHE``, else ``$XDG_CACHE_HOME/vgprobe``, else ``~/.cache/vgprobe``."""
    env = dict(os.environ) if env is None else env
    if env.get("VGPROBE_CACHE"):
        return Path(env["VGPROBE_CACHE"]).expanduser()
    base = Path(env["XDG_CACHE_HOME"]).expanduser() if env.get("XDG_CACHE_HOME") else Path.home() / ".cache"
    return base / "vgprobe"


def digest(obj: Any) -> str:
    """sha256 of the canonical JSON of ``obj``."""
    return hashlib.sha256(json.dumps(obj, sort_keys=True, default=str).encode()).hexdigest()


def file_sha256(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def listing_digest(root: Path, files: Iterable[Path]) -> str:
    """Digest of (path relative to ``root``, size) of ``files``, in sorted order."""
    rows = sorted((p.relative_to(root).as_posix(), p.stat().st_size) for p in files)
    return digest(rows)


def count_feature_files(folder: Path, fmt: str) -> int:
    """Feature files (``*.<fmt>``, no temporaries) anywhere below ``folder``."""
    suffix = f".{fmt}"
    n = 0
    for dirpath, _, names in os.walk(folder):
        n += sum(1 for name in names if name.endswith(suffix) and not name.startswith("."))
    return n


@dataclass(frozen=True)
class CacheEntry:
    """One extraction root of the cache (see the module docstring)."""

    root: Path
    identity: dict[str, Any]  # model_sha256, model, checkpoint, data, data_digest, split, format, dtype

    @property
    def manifest_path(self) -> Path:
        return self.root / MANIFEST

    def read_manifest(self) -> dict[str, Any]:
        try:
            data = json.loads(self.manifest_path.read_text(encoding="utf-8"))
        except (OSError, json.JSONDecodeError):
            return {**self.identity, "layers": {}}
        return data if isinstance(data, dict) and isinstance(data.get("layers"), dict) else {**self.identity,
                                                                                                "layers": {}}

    def complete_layers(self, layers: Iterable[str], counts: Mapping[str, int]) -> list[str]:
        """The layers of ``layers`` that the cache holds whole for every task of ``counts`` (task -> number of
        audio files): the manifest records that many files and the task folder holds that many feature files."""
        recorded = self.read_manifest()["layers"]
        done = []
        for name in layers:
            tasks = (recorded.get(name) or {}).get("tasks") or {}
            if all(tasks.get(task) == n and count_feature_files(self.root / name / task, self.identity["format"]) == n
                   for task, n in counts.items()):
                done.append(name)
        return done

    def record(self, layers: Mapping[str, Mapping[str, Any]], counts: Mapping[str, int]) -> None:
        """Mark ``layers`` (name -> {frame_shift, dim}) complete for the tasks of ``counts``."""
        manifest = self.read_manifest()
        manifest.update(self.identity)
        for name, info in layers.items():
            rec = manifest["layers"].get(name) or {}
            manifest["layers"][name] = {**rec, **info, "tasks": {**(rec.get("tasks") or {}), **counts}}
        write_json_atomic(self.manifest_path, manifest)

    def score_path(self, layer: str, measure: str, options: dict[str, Any]) -> Path:
        return self.root / SCORES / layer / f"{measure}-{digest(options)[:16]}.json"

    def read_scores(self, layer: str, measure: str, options: dict[str, Any]) -> list[dict] | None:
        path = self.score_path(layer, measure, options)
        if not path.is_file():
            return None
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, json.JSONDecodeError):
            return None
        return data["rows"] if isinstance(data, dict) and data.get("options") == _jsonable(options) else None

    def write_scores(self, layer: str, measure: str, options: dict[str, Any], rows: list[dict]) -> None:
        write_json_atomic(self.score_path(layer, measure, options), {"options": _jsonable(options), "rows": rows})


def _jsonable(obj: Any) -> Any:
    return json.loads(json.dumps(obj, sort_keys=True, default=str))


def entry_for(cache: Path, *, model_sha256: str, identity: dict[str, Any]) -> CacheEntry:
    """The entry of a model (by sha256) for the data and settings in ``identity``."""
    key = digest({k: v for k, v in identity.items() if k not in ("model", "checkpoint")})
    root = Path(cache) / model_sha256[:16] / f"{identity['split']}-{key[:16]}"
    return CacheEntry(root=root, identity=identity)
