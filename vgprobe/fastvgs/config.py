"""FaST-VGS configuration: a frozen dataclass, built from named recipes shipped with the package.

A recipe YAML holds two blocks: ``model`` (this dataclass) and ``train`` (training
hyper-parameters, read by :mod:`vgprobe.train.config`). Presets are the recipe files
``vgprobe/fastvgs/recipes/<name>.yaml`` (``fastvgs-coco``, ``fastvgs-places``, ``fastvgs-flickr8k``,
``tiny``), installed with the package; any path to such a file works too. The repository's
``model/README.md`` is the model card.
"""

from __future__ import annotations

import dataclasses
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from vgprobe.config_types import typed_fields
from vgprobe.errors import ConfigError

RECIPE_DIR = Path(__file__).resolve().parent / "recipes"
WAV2VEC2_BASE_CONV: tuple[tuple[int, int, int], ...] = ((512, 10, 5),) + ((512, 3, 2),) * 4 + ((512, 2, 2),) * 2


@dataclass(frozen=True)
class FaSTVGSConfig:
    """Every size of the model. Defaults are the released (SpokenCOCO) model."""

    # Conv1: the wav2vec2-base CNN, (channels, kernel, stride) per layer; stride product 320.
    conv_layers: tuple[tuple[int, int, int], ...] = WAV2VEC2_BASE_CONV
    # Trm1: wav2vec2-base post-LN layers, only the first ``trm1_layers`` are kept.
    hidden_size: int = 768
    trm1_layers: int = 8
    trm1_heads: int = 12
    trm1_ffn: int = 3072
    pos_conv_kernel: int = 128
    pos_conv_groups: int = 16
    w2v2_layer_norm_eps: float = 1e-5
    # Conv2 (ResDAVEnet): input linear width, then 4 stages of 2 basic blocks.
    conv2_widths: tuple[int, ...] = (128, 128, 256, 512, 768)
    conv2_kernel: int = 9
    # BERT-style layers (Trm2, image transformer, cross encoder).
    bert_heads: int = 12
    bert_ffn: int = 3072
    trm2_layers: int = 1
    image_layers: int = 6
    cross_layers: int = 2
    image_feature_dim: int = 2048
    image_box_dim: int = 4
    num_regions: int = 36
    # Dropouts (identity in eval mode).
    dropout: float = 0.1
    attention_dropout: float = 0.1
    activation_dropout: float = 0.0
    dropout_input: float = 0.1
    bert_dropout: float = 0.1
    bert_attention_dropout: float = 0.1
    initializer_range: float = 0.02

    def __post_init__(self) -> None:
        if self.conv2_widths[-1] != self.hidden_size:
            raise ConfigError(
                f"conv2_widths must end with hidden_size ({self.hidden_size}), got {self.conv2_widths}"
            )
        if len(self.conv2_widths) != 5:
            raise ConfigError(f"conv2_widths needs 5 entries (input width + 4 stages), got {self.conv2_widths}")
        for name, heads in (("trm1_heads", self.trm1_heads), ("bert_heads", self.bert_heads)):
            if self.hidden_size % heads:
                raise ConfigError(f"hidden_size {self.hidden_size} is not divisible by {name}={heads}")
        if self.trm1_layers < 1:
            raise ConfigError("trm1_layers must be at least 1")

    @property
    def cnn_dim(self) -> int:
        return self.conv_layers[-1][0]

    @property
    def cnn_stride(self) -> int:
        """Samples per Conv1 frame (320 for wav2vec2-base: 20 ms at 16 kHz)."""
        stride = 1
        for _, _, s in self.conv_layers:
            stride *= s
        return stride

    @property
    def cnn_receptive_field(self) -> int:
        """Samples seen by one Conv1 frame (400 for wav2vec2-base); shorter audio has no frame."""
        rf, jump = 1, 1
        for _, k, s in self.conv_layers:
            rf += (k - 1) * jump
            jump *= s
        return rf

    def to_dict(self) -> dict[str, Any]:
        return json.loads(json.dumps(dataclasses.asdict(self)))

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> "FaSTVGSConfig":
        known = {f.name for f in dataclasses.fields(cls)}
        unknown = sorted(set(d) - known)
        if unknown:
            raise ConfigError(f"unknown FaST-VGS config keys: {unknown}")
        d = typed_fields(cls, d, source="model block")
        if "conv_layers" in d:
            d["conv_layers"] = tuple(tuple(int(v) for v in layer) for layer in d["conv_layers"])
        if "conv2_widths" in d:
            d["conv2_widths"] = tuple(int(v) for v in d["conv2_widths"])
        return cls(**d)


def recipe_path(name_or_path: str | Path) -> Path:
    """``"tiny"`` -> ``<package>/fastvgs/recipes/tiny.yaml``; an existing path is returned as it is."""
    p = Path(name_or_path)
    if p.suffix in (".yaml", ".yml") and p.is_file():
        return p
    candidate = RECIPE_DIR / f"{name_or_path}.yaml"
    if candidate.is_file():
        return candidate
    available = sorted(x.stem for x in RECIPE_DIR.glob("*.yaml")) if RECIPE_DIR.is_dir() else []
    raise ConfigError(f"unknown recipe {str(name_or_path)!r}: not a YAML file, and not one of {available}")


def load_recipe(name_or_path: str | Path) -> dict[str, Any]:
    """The raw recipe mapping (``model`` and ``train`` blocks)."""
    path = recipe_path(name_or_path)
    with open(path, encoding="utf-8") as f:
        data = yaml.safe_load(f)
    if not isinstance(data, dict) or "model" not in data:
        raise ConfigError(f"{path}: expected a mapping with a 'model' block")
    return data


def preset(name_or_path: str | Path) -> FaSTVGSConfig:
    """The model configuration of a recipe, e.g. ``preset("tiny")``."""
    path = recipe_path(name_or_path)
    try:
        return FaSTVGSConfig.from_dict(load_recipe(path)["model"] or {})
    except (TypeError, ConfigError) as exc:
        raise ConfigError(f"{path}: bad 'model' block: {exc}") from exc
