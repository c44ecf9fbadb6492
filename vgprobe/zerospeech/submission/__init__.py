"""Submissions for the ZeroSpeech toolkit ``zerospeech-benchmarks`` (sLM21 and abxLS) from extracted layers.

Modules: ``layer`` (an extracted layer folder and its ``meta.yaml``), ``meta`` (the
toolkit's ``meta.yaml``/``params.yaml`` schema and the settings they declare), ``build``
(assembling the folders atomically).
"""

from vgprobe.zerospeech.submission.build import build_abxls_submission, build_slm21_submission
from vgprobe.zerospeech.submission.layer import Layer, read_layer
from vgprobe.zerospeech.submission.meta import AbxSettings, Authorship, SemanticSettings

__all__ = [
    "AbxSettings",
    "Authorship",
    "Layer",
    "SemanticSettings",
    "build_abxls_submission",
    "build_slm21_submission",
    "read_layer",
]
