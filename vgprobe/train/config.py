"""A recipe's ``train:`` block as a frozen, type-checked configuration, and recipe + overrides resolution.

Example::

    model_cfg, train_cfg, resolved = resolve_config("tiny", {"lr": 1e-4})
    train_cfg.batch_size, resolved["recipe"]          # 16, ".../tiny.yaml"
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from pathlib import Path

from vgprobe.config_types import convert, typed_fields
from vgprobe.errors import ConfigError
from vgprobe.fastvgs.config import FaSTVGSConfig, load_recipe, recipe_path


@dataclass(frozen=True)
class TrainConfig:
    """The ``train:`` block of a recipe."""

    dataset: str
    batch_size: int
    epochs: int
    lr: float
    betas: tuple[float, float]
    eps: float
    weight_decay: float
    warmup_fraction: float
    max_grad_norm: float
    coarse_weight: float
    fine_weight: float
    margin: float
    train_audio_seconds: float
    eval_audio_seconds: float
    val_every_steps: int
    val_batch_size: int
    topk: int
    seed: int
    train_cnn: bool = False  # the authors freeze the CNN
    pairs_per_chunk: int = 1024
    fine_checkpoint: bool = False  # recompute the fine pass's activations in backward (memory of one chunk)
    num_workers: int = 0

    @classmethod
    def from_dict(cls, d: dict, *, source: str = "train block") -> "TrainConfig":
        known = {f.name for f in dataclasses.fields(cls)}
        unknown = sorted(set(d) - known)
        if unknown:
            raise ConfigError(f"{source}: unknown train settings {unknown}; known: {sorted(known)}")
        d = typed_fields(cls, d, source=source)
        if "betas" in d:
            betas = d["betas"]
            if not isinstance(betas, (list, tuple)) or len(betas) != 2:
                raise ConfigError(f"{source}: betas must be a pair [beta1, beta2], got {betas!r}")
            d["betas"] = tuple(convert("betas", b, float, source) for b in betas)
        try:
            return cls(**d)
        except TypeError as exc:
            raise ConfigError(f"{source}: {exc}") from exc


def resolve_config(recipe: str | Path, overrides: dict | None) -> tuple[FaSTVGSConfig, TrainConfig, dict]:
    """(model config, train config, the resolved configuration as plain data) of a recipe with overrides
    (``None`` values keep the recipe's)."""
    path = recipe_path(recipe)
    raw = load_recipe(path)
    if "train" not in raw:
        raise ConfigError(f"{path}: the recipe has no 'train' block")
    given = {k: v for k, v in (overrides or {}).items() if v is not None}
    model_cfg = FaSTVGSConfig.from_dict(raw["model"] or {})
    source = f"{path} train block" + (f" with overrides of {sorted(given)}" if given else "")
    tcfg = TrainConfig.from_dict(dict(raw["train"]) | given, source=source)
    return model_cfg, tcfg, {"recipe": str(path), "model": model_cfg.to_dict(), "train": dataclasses.asdict(tcfg)}
