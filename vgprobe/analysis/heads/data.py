"""The evaluation sets a head ablation is scored on, loaded once into memory.

- phonetic (ABX): the ``{split}-clean`` / ``{split}-other`` files of a ZeroSpeech 2021 root with their item files;
- semantic (sSIMI): the ``semantic/{split}/{synthetic,librispeech}`` files with ``gold.csv`` and ``pairs.csv``;
- retrieval (coarse R@1): a split of an image–caption corpus, captions cut or zero-padded to ``seconds`` and
  z-normalised over the kept samples, with padding masks, exactly as the retrieval evaluation encodes them.

Waveforms are z-normalised as FaST-VGS expects. Example::

    from vgprobe.train.data import retrieval_batch      # an image-caption corpus, read by the application
    sets = load_ablation_sets(zr_root="zr2021", retrieval=RetrievalSet(*retrieval_batch("vg", "val", seconds=6.0)))
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import torch

from vgprobe.errors import InputError


@dataclass(frozen=True)
class PhoneticSubset:
    name: str  # e.g. dev-clean
    item_file: Path
    utterances: dict[str, torch.Tensor]  # stem -> z-normalised waveform (L,)


@dataclass(frozen=True)
class SemanticSet:
    gold: Path
    pairs: Path
    utterances: dict[str, dict[str, torch.Tensor]]  # type (synthetic, librispeech) -> stem -> waveform


@dataclass(frozen=True)
class RetrievalSet:
    """``wav`` (N, L) and ``padding`` (N, L) (True = padding) of N captions; ``feats`` (M, R, F) and ``boxes``
    (M, R, 4) of the M distinct images; ``audio_image`` (N,) long = each caption's image."""

    wav: torch.Tensor
    padding: torch.Tensor
    feats: torch.Tensor
    boxes: torch.Tensor
    audio_image: torch.Tensor


@dataclass(frozen=True)
class AblationSets:
    phonetic: tuple[PhoneticSubset, ...] = ()
    semantic: SemanticSet | None = None
    retrieval: RetrievalSet | None = None


def _read_folder(folder: Path) -> dict[str, torch.Tensor]:
    from vgprobe.audio import AUDIO_SUFFIXES, read_audio, znorm

    if not folder.is_dir():
        raise InputError(f"{folder}: folder not found")
    files = sorted(p for p in folder.iterdir() if p.is_file() and p.suffix.lower() in AUDIO_SUFFIXES)
    if not files:
        raise InputError(f"{folder}: no audio files")
    return {p.stem: torch.from_numpy(znorm(read_audio(p).samples)) for p in files}


def load_phonetic(root: str | Path, *, split: str = "dev") -> tuple[PhoneticSubset, ...]:
    from vgprobe.zerospeech import layout

    return tuple(PhoneticSubset(s, layout.item_file(root, s), _read_folder(layout.phonetic_wav_dir(root, s)))
                 for s in layout.phonetic_subsets(split))


def load_semantic(root: str | Path, *, split: str = "dev") -> SemanticSet:
    from vgprobe.zerospeech import layout

    gold, pairs = layout.semantic_gold(root, split), layout.semantic_pairs(root, split)
    for p in (gold, pairs):
        if not p.is_file():
            raise InputError(f"{p}: not found (a ZeroSpeech 2021 semantic set needs gold.csv and pairs.csv)")
    utts = {t: _read_folder(layout.semantic_wav_dir(root, split, t)) for t in layout.SEMANTIC_TYPES}
    return SemanticSet(gold, pairs, utts)


def load_ablation_sets(
    *,
    zr_root: str | Path | None = None,
    retrieval: RetrievalSet | None = None,
    split: str = "dev",
) -> AblationSets:
    """Whatever of the three sets the given roots provide (a ZR2021 root without ``semantic/`` gives no sSIMI)."""
    phonetic: tuple[PhoneticSubset, ...] = ()
    semantic = None
    if zr_root is not None:
        zr_root = Path(zr_root)
        if (zr_root / "phonetic").is_dir():
            phonetic = load_phonetic(zr_root, split=split)
        if (zr_root / "semantic").is_dir():
            semantic = load_semantic(zr_root, split=split)
        if not phonetic and semantic is None:
            raise InputError(f"{zr_root}: neither phonetic/ nor semantic/ found (not a ZeroSpeech 2021 root)")
    if not phonetic and semantic is None and retrieval is None:
        raise InputError("no evaluation set: give zr_root and/or retrieval")
    return AblationSets(phonetic, semantic, retrieval)
