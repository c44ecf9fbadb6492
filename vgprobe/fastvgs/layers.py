"""Layer names of the FaST-VGS audio branch and their frame shifts.

``cnn``, ``trm1.0`` ... ``trm1.N``, ``conv2``, ``trm2.1``, ``audio.coarse``. This module is the
one place where frames and seconds are converted for FaST-VGS layers.
"""

from __future__ import annotations

from vgprobe.audio import SAMPLE_RATE
from vgprobe.errors import ConfigError
from vgprobe.fastvgs.config import FaSTVGSConfig
from vgprobe.layer_names import select_layers

AUDIO_COARSE = "audio.coarse"
CONV2_POOLING = 16  # four stride-2 stages


def layer_names(cfg: FaSTVGSConfig) -> list[str]:
    return ["cnn", *(f"trm1.{k}" for k in range(cfg.trm1_layers + 1)), "conv2", "trm2.1", AUDIO_COARSE]


def validate_layers(names: list[str], cfg: FaSTVGSConfig) -> list[str]:
    """Check names against the model; ``all`` expands to every layer. Order kept, duplicates dropped."""
    return select_layers(names, layer_names(cfg))


def frame_shift(name: str, cfg: FaSTVGSConfig) -> float | None:
    """Seconds between frames of a layer (0.02 for Conv1/Trm1, 0.32 for Conv2/Trm2); None for pooled layers."""
    base = cfg.cnn_stride / SAMPLE_RATE
    if name == "cnn" or name.startswith("trm1."):
        return base
    if name in ("conv2", "trm2.1"):
        return base * CONV2_POOLING
    if name == AUDIO_COARSE:
        return None
    raise ConfigError(f"unknown layer {name!r}")
