"""FaST-VGS: model, configuration, checkpoints (see :mod:`vgprobe.fastvgs.model`)."""

from vgprobe.fastvgs.checkpoint import load, save
from vgprobe.fastvgs.config import FaSTVGSConfig, preset
from vgprobe.fastvgs.layers import frame_shift, layer_names
from vgprobe.fastvgs.model import AudioEncoding, FaSTVGS, ImageEncoding, LayerOutputs

__all__ = [
    "AudioEncoding",
    "FaSTVGS",
    "FaSTVGSConfig",
    "ImageEncoding",
    "LayerOutputs",
    "frame_shift",
    "layer_names",
    "load",
    "preset",
    "save",
]
