"""An offline application folder (``APP_DIR``) for the ZeroSpeech toolkit ``zerospeech-benchmarks`` 0.9.4.

``import zerospeech`` downloads the toolkit's dataset catalogue (``repo.json``) unless
``$APP_DIR/repo.json`` exists and was modified more than 7 days ago, and the toolkit finds
a dataset as ``$APP_DIR/datasets/<name>/index.json``, an index of the dataset's files.
:func:`build_app_dir` writes both for a ZeroSpeech 2021 dataset root laid out as vgprobe
reads it (``lexical/``, ``syntactic/``, ``semantic/``, ``phonetic/``), so the toolkit's
validators and its sLM21 benchmark run without a network. The catalogue's URLs are never
fetched. The index lists absolute paths into the dataset root, which stays untouched.

Standard library only: this file runs in the toolkit's own virtual environment.
"""

from __future__ import annotations

import json
import os
import time
from pathlib import Path

REPO_AGE_DAYS = 8  # older than the toolkit's 7-day refresh period
SLM21 = "sLM21-dataset"
ABXLS = "abxLS-dataset"


def build_app_dir(app_dir: str | Path, data_root: str | Path) -> Path:
    """Write ``repo.json`` (aged) and the sLM21/abxLS indexes of ``data_root`` under ``app_dir``."""
    app_dir, root = Path(app_dir).resolve(), Path(data_root).resolve()
    for sub in ("datasets", "checkpoints", "samples"):
        (app_dir / sub).mkdir(parents=True, exist_ok=True)
    catalogue = {
        "last_modified": "2020-01-01T00:00:00",
        "datasets": [_entry(SLM21), _entry(ABXLS)],
        "checkpoints": [],
        "samples": [],
    }
    repo = app_dir / "repo.json"
    repo.write_text(json.dumps(catalogue, indent=1))
    aged = time.time() - REPO_AGE_DAYS * 86400
    os.utime(repo, (aged, aged))
    _write_index(app_dir / "datasets" / SLM21, _slm21_subsets(root))
    _write_index(app_dir / "datasets" / ABXLS, _abxls_subsets(root))
    return app_dir


def _entry(name: str) -> dict:
    # type "internal" needs a zip URL; this one is never fetched (the datasets are indexed locally)
    return {"name": name, "type": "internal", "zip_url": f"https://localhost/offline/{name}.zip",
            "md5sum": "0" * 32, "total_size": 0, "description": "offline index written by vgprobe's tests/toolkit"}


def _write_index(folder: Path, subsets: dict) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "index.json").write_text(json.dumps({"subsets": subsets}, indent=1))


def _files(folder: Path, ext: str) -> dict:
    return {"item_type": "filelist_item", "file_type": ext, "relative_path": False,
            "files_list": [str(p) for p in sorted(folder.glob(f"*.{ext}"))]}


def _file(path: Path) -> dict:
    return {"item_type": "file_item", "file_type": path.suffix.lstrip("."), "relative_path": False, "file": str(path)}


def _slm21_subsets(root: Path) -> dict:
    subsets = {}
    for split in ("dev", "test"):
        for task in ("lexical", "syntactic"):
            folder = root / task / split
            if (folder / "gold.csv").is_file():
                subsets[f"{task}_{split}"] = {"items": {"wav_list": _files(folder, "wav"), "gold": _file(folder / "gold.csv")}}
        folder = root / "semantic" / split
        if (folder / "gold.csv").is_file():
            subsets[f"semantic_{split}"] = {"items": {
                "synthetic_wav_list": _files(folder / "synthetic", "wav"),
                "librispeech_wav_list": _files(folder / "librispeech", "wav"),
                "gold": _file(folder / "gold.csv"),
                "pairs": _file(folder / "pairs.csv"),
            }}
    return subsets


def _abxls_subsets(root: Path) -> dict:
    subsets = {}
    for subset in ("dev-clean", "dev-other", "test-clean", "test-other"):
        folder = root / "phonetic" / subset
        if not folder.is_dir():
            continue
        items = {"wav_list": _files(folder, "wav")}
        for key, name in (("triphone_item_file", f"{subset}.item"), ("phoneme_item_file", f"{subset}.phoneme.item")):
            if (folder / name).is_file():
                items[key] = _file(folder / name)
        subsets[subset.replace("-", "_")] = {"items": items}
    return subsets
