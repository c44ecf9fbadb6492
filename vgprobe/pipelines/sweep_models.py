"""The models a layer sweep compares: the checkpoint, its random-initialised twin and the log-mel baseline.

The twin has the checkpoint's own architecture, read from the checkpoint, at seeded random initialisation:

- FaST-VGS (authors' or vgprobe's folder): the model configuration of the checkpoint. When it equals a recipe
  of ``model/`` the twin is ``random:<recipe>`` (what ``vgprobe extract --checkpoint random:<recipe> --seed S``
  extracts); otherwise ``FaSTVGS(config)`` after ``torch.manual_seed(seed)`` is written once into the cache
  (``models/fastvgs-random-<key>``) and extracted from there.
- Hugging Face speech encoders: ``AutoModel.from_config(config.json)`` after ``torch.manual_seed(seed)`` (the
  library's own initialisation of that architecture), saved with the folder's ``preprocessor_config.json`` into
  the cache (``models/hf-random-<key>``).
- a ``random:<recipe>`` checkpoint is its own random baseline: no twin is added (the sweep says so).

Dropout rates do not count as architecture: they change neither the initial weights nor eval-mode features.

Example::

    models = resolve_models("runs/coco/best", layers=("all",), baselines=("random", "logmel"), seed=0, cache=cache)
    [(m.label, m.checkpoint, len(m.layers)) for m in models]
    # [("trained", "runs/coco/best", 12), ("random", "random:fastvgs-coco", 12), ("logmel", "logmel", 1)]
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from vgprobe.errors import ConfigError
from vgprobe.layer_names import select_layers
from vgprobe.pipelines.cache import digest

BASELINES: tuple[str, ...] = ("random", "logmel")
SKIPPED_BY_ALL: tuple[str, ...] = ("audio.coarse",)  # one vector per file: asked for by name only
DROPOUTS = ("dropout", "attention_dropout", "activation_dropout", "dropout_input", "bert_dropout",
            "bert_attention_dropout")


@dataclass(frozen=True)
class SweepModel:
    """One model of a sweep: ``checkpoint`` is what extraction loads (with ``seed``)."""

    label: str  # trained, random or logmel
    checkpoint: str
    seed: int
    description: str
    fingerprint: str  # the encoder's sha256 (weights, or the random-init recipe)
    layers: tuple[str, ...]
    frame_shifts: tuple[tuple[str, float | None], ...]
    dims: tuple[tuple[str, int], ...]
    note: str = ""

    def frame_shift(self, layer: str) -> float | None:
        return dict(self.frame_shifts)[layer]

    def dim(self, layer: str) -> int:
        return dict(self.dims)[layer]


def _describe(label: str, checkpoint: str, encoder, layers: Sequence[str], seed: int, note: str = "") -> SweepModel:
    return SweepModel(
        label=label, checkpoint=checkpoint, seed=seed, description=encoder.description,
        fingerprint=encoder.fingerprint, layers=tuple(layers),
        frame_shifts=tuple((n, encoder.frame_shift(n)) for n in layers),
        dims=tuple((n, encoder.dim(n)) for n in layers),
        note=note,
    )


def select_sweep_layers(requested: Sequence[str], known: Sequence[str]) -> list[str]:
    """``all`` means every layer but the pooled ``audio.coarse`` (ask for it by name); names are checked."""
    expanded: list[str] = []
    for item in requested:
        expanded += [n for n in known if n not in SKIPPED_BY_ALL] if item == "all" else [item]
    return select_layers(expanded, known)


def resolve_models(
    checkpoint: str,
    *,
    layers: Sequence[str],
    baselines: Sequence[str],
    seed: int,
    cache: Path,
    dtype: str = "float32",
    log: Callable[[str], None] = print,
) -> list[SweepModel]:
    """Load the checkpoint (to check the layers and fingerprint it), build its twin, add the baselines."""
    from vgprobe.extract.encoders import FaSTVGSEncoder, HFEncoder, load_encoder

    unknown = sorted(set(baselines) - set(BASELINES))
    if unknown:
        raise ConfigError(f"unknown baselines {unknown}; expected some of {', '.join(BASELINES)} (or none)")
    if checkpoint == "logmel":
        raise ConfigError("--checkpoint logmel: the log-mel baseline has a single layer; sweep a model "
                          "(it is added as a baseline by default)")
    encoder = load_encoder(checkpoint, seed=seed, dtype=dtype)
    names = select_sweep_layers(layers, encoder.layer_names())
    models = [_describe("trained", checkpoint, encoder, names, seed)]
    if "random" in baselines:
        if checkpoint.startswith("random:"):
            log(f"{checkpoint} is itself a random initialisation: no random twin added")
        else:
            if isinstance(encoder, FaSTVGSEncoder):
                twin = _fastvgs_twin(encoder.model.cfg, seed=seed, cache=cache)
            elif isinstance(encoder, HFEncoder):
                twin = _hf_twin(Path(checkpoint), seed=seed, cache=cache)
            else:  # pragma: no cover - load_encoder returns one of the three kinds
                raise ConfigError(f"{checkpoint}: no random twin for {encoder.description}")
            del encoder
            twin_encoder = load_encoder(twin, seed=seed, dtype=dtype)
            note = "same architecture as the checkpoint, seeded random initialisation"
            models.append(_describe("random", twin, twin_encoder, names, seed, note))
            del twin_encoder
    if "logmel" in baselines:
        models.append(_describe("logmel", "logmel", load_encoder("logmel"), ["logmel"], 0))
    return models


def _fastvgs_twin(cfg, *, seed: int, cache: Path) -> str:
    import torch

    from vgprobe.fastvgs import FaSTVGS, preset, save
    from vgprobe.fastvgs.config import RECIPE_DIR

    for recipe in sorted(p.stem for p in RECIPE_DIR.glob("*.yaml")):
        if _architecture(preset(recipe)) == _architecture(cfg):
            return f"random:{recipe}"
    folder = Path(cache) / "models" / f"fastvgs-random-{digest({'config': cfg.to_dict(), 'seed': seed})[:16]}"
    if not (folder / "model.safetensors").is_file():
        torch.manual_seed(seed)
        save(FaSTVGS(cfg).eval(), folder, extra={"random_init_seed": seed})
    return str(folder)


def _architecture(cfg) -> dict:
    """The configuration without the dropout rates: they neither change the initial weights nor eval-mode outputs."""
    return {k: v for k, v in cfg.to_dict().items() if k not in DROPOUTS}


def _hf_twin(path: Path, *, seed: int, cache: Path) -> str:
    import torch
    from transformers import AutoConfig, AutoModel

    from vgprobe.atomic import atomic_folder

    config_text = (path / "config.json").read_text(encoding="utf-8")
    folder = Path(cache) / "models" / f"hf-random-{digest({'config': json.loads(config_text), 'seed': seed})[:16]}"
    if not (folder / "config.json").is_file():
        config = AutoConfig.from_pretrained(path, local_files_only=True)
        torch.manual_seed(seed)
        model = AutoModel.from_config(config).eval()
        with atomic_folder(folder) as tmp:
            model.save_pretrained(tmp, safe_serialization=True)
            shutil.copyfile(path / "preprocessor_config.json", tmp / "preprocessor_config.json")
    return str(folder)
