"""Synthetic speech with known phone/word alignments (espeak-ng): mini ZeroSpeech 2021 sets and a
synthetic image–spoken-caption corpus in the SpokenCOCO layout.

    >>> from vgprobe.synth import build_zr2021, build_vg_corpus
    >>> build_zr2021(Path("zr"), speakers=4, sentences=25, seed=0)            # doctest: +SKIP
    >>> build_vg_corpus(Path("vg"), images=200, captions_per_image=2, seed=0)  # doctest: +SKIP

Layouts: ``zr2021.py`` (phonetic dev-clean/dev-other with item files, semantic dev) and ``vg.py``
(SpokenCOCO manifests, wavs, images, region features). Beside every multi-word wav lie its exact
alignments (``alignment_files.py``): a Praat TextGrid per wav (tiers ``words`` and ``phones``) and one
JSON file per subset or split, ``{utt_id: [[onset_s, offset_s, word], ...]}``:

- ``phonetic/<subset>/<utt>.TextGrid`` and ``phonetic/<subset>/<subset>.words.json`` (zr2021);
- ``SpokenCOCO/wavs/<split>/<uttid>.TextGrid`` and ``SpokenCOCO/SpokenCOCO_<split>_words.json`` (vg).

How hard the speech is: ``difficulty="realistic"`` (default) or ``"clean"`` (``conditions.py``). Raw
espeak says a phone the same way every time (log-mel ABX about 1 % error); ``realistic`` varies
prosody within each speaker and records through simulated rooms, noise and microphones, so that
log-mel ABX lands near what spectral features score on LibriSpeech (``benchmarks/synth_realism.py``).
Every build is deterministic: the same arguments give byte-identical files, whatever ``processes``.
"""

from vgprobe.synth.vg import build_vg_corpus
from vgprobe.synth.zr2021 import build_zr2021

__all__ = ["build_zr2021", "build_vg_corpus"]
