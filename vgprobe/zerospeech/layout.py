"""Where things live in a ZeroSpeech 2021 dataset and in a submission folder.

Dataset root (the official layout; vgprobe's synthetic sets write the same)::

    phonetic/<dev|test>-<clean|other>/*.wav, <subset>.item
    semantic/<split>/{synthetic,librispeech}/*.wav, gold.csv, pairs.csv
    lexical/<split>/*.wav, gold.csv
    syntactic/<split>/*.wav, gold.csv

Submission folder (the ZR2021 one, which ``zerospeech-benchmarks`` reads for sLM21)::

    meta.yaml  params.yaml
    phonetic/<subset>/<stem>.<ext>           (abxLS submissions hold <subset>/ at the root too)
    semantic/<split>/{synthetic,librispeech}/<stem>.<ext>
    lexical/<split>.txt  syntactic/<split>.txt
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from vgprobe.errors import InputError

Split = Literal["dev", "test"]
PHONETIC_KINDS: tuple[str, ...] = ("clean", "other")
SEMANTIC_TYPES: tuple[str, ...] = ("synthetic", "librispeech")
LM_TASKS: tuple[str, ...] = ("lexical", "syntactic")


def phonetic_subsets(split: str) -> tuple[str, ...]:
    """``dev`` -> ``("dev-clean", "dev-other")``."""
    _check_split(split)
    return tuple(f"{split}-{kind}" for kind in PHONETIC_KINDS)


def phonetic_wav_dir(root: str | Path, subset: str) -> Path:
    return Path(root) / "phonetic" / subset


def item_file(root: str | Path, subset: str, *, kind: Literal["triphone", "phoneme"] = "triphone") -> Path:
    """The item file of a phonetic subset.

    Official place: ``phonetic/<subset>/<subset>.item`` (triphone items). vgprobe's synthetic
    sets also write phoneme items as ``<subset>.phoneme.item``. An item file beside the
    folder (``phonetic/<subset>.item``) is accepted too.
    """
    name = f"{subset}.item" if kind == "triphone" else f"{subset}.phoneme.item"
    candidates = [Path(root) / "phonetic" / subset / name, Path(root) / "phonetic" / name]
    for c in candidates:
        if c.is_file():
            return c
    raise InputError(f"no {kind} item file for {subset}: looked for {', '.join(map(str, candidates))}")


def semantic_wav_dir(root: str | Path, split: str, type_: str) -> Path:
    folder = _split_dir(root, "semantic", split)
    if type_ not in SEMANTIC_TYPES:
        raise InputError(f"unknown semantic type {type_!r}; expected one of {SEMANTIC_TYPES}")
    return folder / type_


def semantic_gold(root: str | Path, split: str) -> Path:
    return _split_dir(root, "semantic", split) / "gold.csv"


def semantic_pairs(root: str | Path, split: str) -> Path:
    return _split_dir(root, "semantic", split) / "pairs.csv"


def submission_phonetic_dir(submission: str | Path, subset: str) -> Path:
    return Path(submission) / "phonetic" / subset


def submission_semantic_dir(submission: str | Path, split: str) -> Path:
    """Holds ``synthetic/<stem>.<ext>`` and ``librispeech/<stem>.<ext>``."""
    return _split_dir(submission, "semantic", split)


def _split_dir(root: str | Path, task: str, split: str) -> Path:
    """``root/<task>/<split>``, the split checked."""
    _check_split(split)
    return Path(root) / task / split


def _check_split(split: str) -> None:
    if split not in ("dev", "test"):
        raise InputError(f"unknown split {split!r}; expected 'dev' or 'test'")


def lexical_gold(root: str | Path, split: str) -> Path:
    return _split_dir(root, "lexical", split) / "gold.csv"


def syntactic_gold(root: str | Path, split: str) -> Path:
    return _split_dir(root, "syntactic", split) / "gold.csv"


def lm_wav_dir(root: str | Path, task: str, split: str) -> Path:
    """``lexical/<split>/`` or ``syntactic/<split>/``: one wav per line of the task's gold file."""
    folder = _split_dir(root, task, split)
    if task not in LM_TASKS:
        raise InputError(f"unknown task {task!r}; expected one of {LM_TASKS}")
    return folder


def submission_lexical_scores(submission: str | Path, split: str) -> Path:
    """``lexical/<split>.txt``: one ``<filename> <score>`` line per audio file."""
    _check_split(split)
    return Path(submission) / "lexical" / f"{split}.txt"


def submission_syntactic_scores(submission: str | Path, split: str) -> Path:
    """``syntactic/<split>.txt``: one ``<filename> <score>`` line per audio file."""
    _check_split(split)
    return Path(submission) / "syntactic" / f"{split}.txt"
