"""Assembling the two ``zerospeech-benchmarks`` submissions from extracted layer folders.

    sLM21:  build_slm21_submission("sub/slm21", features="feats/trm2.1", data="zr", authorship=who,
                                   semantic=SemanticSettings(pool="max", metric="cosine"),
                                   lexical="lm/lexical/dev.txt", syntactic="lm/syntactic/dev.txt")
    abxLS:  build_abxls_submission("sub/abxls", features="feats/trm1.6", data="zr", authorship=who)

What each writes (``<split>`` is ``dev`` or ``test``)::

    sLM21:  meta.yaml  params.yaml
            semantic/<split>/synthetic/<stem>.npy  semantic/<split>/librispeech/<stem>.npy
            lexical/<split>.txt  syntactic/<split>.txt        (when score files are given)
    abxLS:  meta.yaml  params.yaml
            <split>-clean/<stem>.npy  <split>-other/<stem>.npy   (what the toolkit reads)
            phonetic/<split>-clean/...  phonetic/<split>-other/... (the ZR2021 layout that
                                                                  ``vgprobe abx --submission`` reads;
                                                                  hard links to the same files)

Feature files are what the toolkit's validators require: one per audio file of the
dataset subset (the stems of its ``.wav`` or ``.flac`` files), 2-D, float64 in ``.npy``
(values exactly those extracted: float32 -> float64 is exact), or ``.txt`` declared in ``params.yaml``
(17 significant digits, so that numpy's float64 reader, the toolkit's, gets back exactly
those float64 values; 9 digits would identify a float32 value only when read as float32).
A ``.txt`` file needs at least two frames (numpy reads a one-line text file as a 1-D
array, which the toolkit refuses); a file without frames is refused in both formats, and
every file of a subset must have the same feature dimension. Score files are checked
against the dataset's gold file (:mod:`vgprobe.zerospeech.lm.score_file`) and written back
with one line per gold filename, in gold order; filenames the gold file does not list are
dropped with a warning.

The submission is built in a temporary folder beside ``out`` and renamed into place: an
error leaves nothing behind, and an existing ``out`` is replaced only with
``overwrite=True``.
"""

from __future__ import annotations

import os
import shutil
import tempfile
import warnings
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator, Literal

import numpy as np
import yaml

from vgprobe.audio import AUDIO_SUFFIXES
from vgprobe.errors import ConfigError, InputError
from vgprobe.zerospeech import layout
from vgprobe.zerospeech.features import index_feature_files, read_features
from vgprobe.zerospeech.lm.gold import read_lexical_gold, read_syntactic_gold
from vgprobe.zerospeech.lm.score_file import read_scores, scores_for
from vgprobe.zerospeech.submission.layer import Layer, read_layer
from vgprobe.zerospeech.submission.meta import (
    AbxSettings,
    Authorship,
    SemanticSettings,
    abxls_params,
    meta_document,
    slm21_params,
)

Format = Literal["npy", "txt"]


def build_slm21_submission(
    out: str | Path,
    *,
    features: str | Path,
    data: str | Path,
    authorship: Authorship,
    semantic: SemanticSettings,
    split: str = "dev",
    lexical: str | Path | None = None,
    syntactic: str | Path | None = None,
    fmt: Format = "npy",
    overwrite: bool = False,
) -> Path:
    """Write the sLM21 submission of layer folder ``features`` for dataset ``data`` (see the module docstring)."""
    from vgprobe import __version__

    authorship.check()
    semantic.check()
    _check_format(fmt)
    layer = read_layer(features)
    data = Path(data)
    with _atomic_folder(Path(out), overwrite=overwrite) as tmp:
        for type_ in layout.SEMANTIC_TYPES:
            _copy_features(
                layer.folder / "semantic" / split / type_, layout.semantic_wav_dir(data, split, type_),
                tmp / "semantic" / split / type_, fmt=fmt,
            )
        if lexical is not None:
            gold = layout.lexical_gold(data, split)
            _write_scores([(t.filename, t.line) for t in read_lexical_gold(gold)], Path(lexical), gold,
                          layout.submission_lexical_scores(tmp, split))
        if syntactic is not None:
            gold = layout.syntactic_gold(data, split)
            _write_scores([(t.filename, t.line) for t in read_syntactic_gold(gold)], Path(syntactic), gold,
                          layout.submission_syntactic_scores(tmp, split))
        parameters = {"semantic": {"metric": semantic.metric, "pooling": semantic.pool}}
        _write_yaml(tmp / "meta.yaml", meta_document("sLM21", authorship, layer_settings=layer.settings,
                                                     version=__version__, parameters=parameters))
        _write_yaml(tmp / "params.yaml", slm21_params(semantic, file_type=f".{fmt}"))
    return Path(out)


def build_abxls_submission(
    out: str | Path,
    *,
    features: str | Path,
    data: str | Path,
    authorship: Authorship,
    abx: AbxSettings = AbxSettings(),
    split: str = "dev",
    fmt: Format = "npy",
    overwrite: bool = False,
) -> Path:
    """Write the abxLS submission of layer folder ``features`` for dataset ``data`` (see the module docstring)."""
    from vgprobe import __version__

    authorship.check()
    abx.check()
    _check_format(fmt)
    layer = read_layer(features)
    shift = _frame_shift(layer)
    data = Path(data)
    with _atomic_folder(Path(out), overwrite=overwrite) as tmp:
        for subset in layout.phonetic_subsets(split):
            target = layout.submission_phonetic_dir(tmp, subset)
            _copy_features(layer.folder / "phonetic" / subset, layout.phonetic_wav_dir(data, subset), target, fmt=fmt)
            _link_tree(target, tmp / subset)
        parameters = {"phonetic": {"metric": abx.distance, "frame_shift": shift}}
        _write_yaml(tmp / "meta.yaml", meta_document("abxLS", authorship, layer_settings=layer.settings,
                                                     version=__version__, parameters=parameters))
        _write_yaml(tmp / "params.yaml", abxls_params(abx, frame_shift=shift, file_type=f".{fmt}"))
    return Path(out)


def _frame_shift(layer: Layer) -> float:
    if layer.frame_shift is None:
        raise InputError(f"{layer.folder / 'meta.yaml'}: layer {layer.layer} has no frame shift (no time axis); "
                         "ABX needs frame-level features")
    return layer.frame_shift


def _check_format(fmt: str) -> None:
    if fmt not in ("npy", "txt"):
        raise ConfigError(f"unknown feature format {fmt!r}; expected npy or txt")


@contextmanager
def _atomic_folder(out: Path, *, overwrite: bool) -> Iterator[Path]:
    if out.exists() and not overwrite:
        raise ConfigError(f"{out} already exists; choose another folder or pass --overwrite")
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{out.name}.tmp-", dir=out.parent))
    try:
        yield tmp
        if out.exists():
            old = Path(tempfile.mkdtemp(prefix=f".{out.name}.old-", dir=out.parent))
            os.replace(out, old / out.name)
            os.replace(tmp, out)
            shutil.rmtree(old)
        else:
            os.replace(tmp, out)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise


def _copy_features(source: Path, wav_dir: Path, target: Path, *, fmt: Format) -> None:
    """One 2-D float64 ``.npy`` (or exact ``.txt``) per audio file of ``wav_dir``, read from ``source``."""
    if not wav_dir.is_dir():
        raise InputError(f"{wav_dir}: dataset subset folder not found")
    stems = sorted(p.stem for p in wav_dir.iterdir() if p.suffix.lower() in AUDIO_SUFFIXES)
    if not stems:
        raise InputError(f"{wav_dir}: no audio files ({', '.join(AUDIO_SUFFIXES)})")
    if not source.is_dir():
        raise InputError(f"{source}: subset folder missing from the layer folder; expected features for the "
                         f"{len(stems)} files of {wav_dir}")
    index = index_feature_files(source)
    missing = [s for s in stems if s not in index]
    if missing:
        more = f" and {len(missing) - 3} more" if len(missing) > 3 else ""
        raise InputError(f"{source}: no feature file for {', '.join(map(repr, missing[:3]))}{more} of {wav_dir}")
    extra = sorted(set(index) - set(stems))
    if extra:
        warnings.warn(f"{source}: leaving out {len(extra)} feature file(s) with no audio in {wav_dir} "
                      f"(e.g. {extra[0]!r})", stacklevel=3)
    target.mkdir(parents=True)
    dim = None
    for stem in stems:
        path = index[stem]
        arr = read_features(path, allow_empty=False)
        if dim is not None and arr.shape[1] != dim[0]:
            raise InputError(f"{path}: feature dimension {arr.shape[1]}; expected {dim[0]} like {dim[1]}")
        dim = dim or (arr.shape[1], path)
        if fmt == "npy":
            np.save(target / f"{stem}.npy", np.ascontiguousarray(arr, dtype=np.float64))
        else:
            if arr.shape[0] < 2:
                raise InputError(f"{path}: {arr.shape[0]} frame; a one-line .txt file reads back as a 1-D array, "
                                 "which the toolkit refuses; use the npy format")
            np.savetxt(target / f"{stem}.txt", np.asarray(arr, dtype=np.float64), fmt="%.17g")


def _link_tree(source: Path, target: Path) -> None:
    target.mkdir(parents=True)
    for path in sorted(source.iterdir()):
        try:
            os.link(path, target / path.name)
        except OSError:
            shutil.copy2(path, target / path.name)


def _write_scores(gold: list[tuple[str, int]], scores: Path, gold_path: Path, target: Path) -> None:
    values = scores_for(gold, read_scores(scores), scores_path=scores, gold_path=gold_path)
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text("".join(f"{name} {value!r}\n" for (name, _), value in zip(gold, values)), encoding="utf-8")


def _write_yaml(path: Path, doc: dict) -> None:
    header = "# written by vgprobe (vgprobe submission)\n"
    path.write_text(header + yaml.safe_dump(doc, sort_keys=False, allow_unicode=True), encoding="utf-8")
