"""A training run's folder: resolved configuration, ``last``/``best`` checkpoints with the training state,
and ``metrics.jsonl``. Every write is atomic (temporary file or folder + rename).

    RUN/run.json                 the resolved configuration (recipe model + train blocks, data, overrides)
    RUN/last/model.safetensors   vgprobe checkpoint (vgprobe.fastvgs.load reads it)
    RUN/last/config.json
    RUN/last/training_state.pt   optimiser, sampler, RNG, step, best score (torch.save of plain types)
    RUN/best/...                 the checkpoint with the best validation mean R@1 (model only)
    RUN/metrics.jsonl            one JSON object per line: {"kind": "train" | "val", "step": ..., ...}
"""

from __future__ import annotations

import json
from pathlib import Path

import torch

from vgprobe.errors import CheckpointError, ConfigError
from vgprobe.atomic import atomic_folder, write_json_atomic, write_text_atomic
from vgprobe.fastvgs.checkpoint import write_checkpoint_files

STATE_NAME = "training_state.pt"
RUN_NAME = "run.json"
METRICS_NAME = "metrics.jsonl"


def prepare_run(out: Path, config: dict, *, resume: bool) -> None:
    """Create the run folder with ``run.json``; on resume, check the configuration is the saved one."""
    saved = out / RUN_NAME
    config = json.loads(json.dumps(config))  # tuples -> lists, as read back
    if resume:
        if not (out / "last" / STATE_NAME).is_file():
            raise CheckpointError(f"{out}: nothing to resume (no last/{STATE_NAME}); start without --resume")
        old = json.loads(saved.read_text(encoding="utf-8"))
        if old != config:
            diff = sorted(k for k in set(old) | set(config) if old.get(k) != config.get(k))
            raise ConfigError(f"{saved}: the run was started with a different configuration (differs in {diff}); "
                              "resume with the same recipe and flags")
        return
    if (out / "last").exists() or saved.exists():
        raise ConfigError(f"{out} already holds a run; pass --resume to continue it, or choose another --out")
    write_json_atomic(saved, config)


def save_checkpoint(out: Path, name: str, model, *, state: dict | None, extra: dict) -> Path:
    """Write ``out/name`` (model + optional training state) as one atomic folder replacement."""
    with atomic_folder(out / name) as staging:
        write_checkpoint_files(model, staging, extra=extra)
        if state is not None:
            torch.save(state, staging / STATE_NAME)
    return out / name


def load_state(out: Path) -> dict:
    path = out / "last" / STATE_NAME
    try:
        return torch.load(path, map_location="cpu", weights_only=True)
    except Exception as exc:  # noqa: BLE001 - torch raises several types
        raise CheckpointError(f"{path}: cannot read the training state ({exc})") from exc


def append_metrics(out: Path, record: dict) -> None:
    with open(out / METRICS_NAME, "a", encoding="utf-8") as f:
        f.write(json.dumps(record, sort_keys=True) + "\n")


def trim_metrics(out: Path, step: int) -> None:
    """Drop records written after ``step`` (by a run that stopped before its next checkpoint)."""
    path = out / METRICS_NAME
    if not path.is_file():
        return
    keep = [ln for ln in path.read_text(encoding="utf-8").splitlines() if ln and json.loads(ln)["step"] <= step]
    write_text_atomic(path, "".join(ln + "\n" for ln in keep))
