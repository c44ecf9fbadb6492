"""Synthetic speech with known phone/word alignments (espeak-ng), mini ZeroSpeech 2021 sets and a
synthetic image–spoken-caption corpus in the SpokenCOCO layout.

    >>> from vgprobe.synth import build_zr2021, build_vg_corpus
    >>> build_zr2021(Path("zr"), speakers=4, sentences=25, seed=0)            # doctest: +SKIP
    >>> build_vg_corpus(Path("vg"), images=200, captions_per_image=2, seed=0)  # doctest: +SKIP
"""

from vgprobe.synth.vg import build_vg_corpus
from vgprobe.synth.zr2021 import build_zr2021

__all__ = ["build_zr2021", "build_vg_corpus"]
