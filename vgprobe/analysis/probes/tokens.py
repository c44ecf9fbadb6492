"""Token tables for the probes: one mean-pooled feature vector per phone or word token.

Three sources, all read from one extracted layer (feature files named by audio-file stem):

- :func:`phone_tokens`: the tokens of a ZR2021 item file (``#file onset offset #phone prev-phone
  next-phone speaker``), labelled by ``#phone``, grouped by ``speaker``. A token's frames are the
  ones ABX uses for it (:mod:`vgprobe.zerospeech.abx.slicing`: ``librilight``, the default, or
  ``exact``); a token with no frame is dropped and counted, as ABX does.
- :func:`word_tokens`: word alignments ``{utt: [[onset_s, offset_s, word], ...]}`` (JSON), sliced
  the same way, grouped by speaker (by default the utterance id up to its first ``-``, the
  LibriSpeech ``speaker-chapter-utterance`` convention).
- :func:`semantic_word_tokens`: the sSIMI tokens of ``gold.csv``, one whole file per token
  (``<type>/<filename>``), labelled by ``word``, grouped by ``voice`` (a LibriSpeech row has no
  voice: each such token is its own group).

Frames are averaged in float64. Example::

    t = phone_tokens(layer / "phonetic" / "dev-clean", items, frame_shift=0.02)
    t.features.shape, t.labels[:3], t.groups[:3]   # (N, D), ['AH' 'T' 'IY'], ['6295' ...]
"""

from __future__ import annotations

import warnings
from collections.abc import Callable, Collection, Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from vgprobe.errors import InputError
from vgprobe.analysis.word_alignments import check_word_alignments, read_word_alignments
from vgprobe.zerospeech.features import index_feature_files, read_features
from vgprobe.zerospeech.items import ItemTable, read_item_file

if TYPE_CHECKING:
    from vgprobe.zerospeech.abx.slicing import Slicing

STOP_WORDS: tuple[str, ...] = ("<SPOKEN_NOISE>", "<UNK>")


@dataclass(frozen=True)
class TokenTable:
    """``features`` ``[N, D]`` float64 (mean over each token's frames), ``labels`` and ``groups``
    ``[N]`` str arrays, and per token its ``files`` stem and ``onset``/``offset`` (seconds, NaN for
    whole-file tokens). ``n_dropped`` counts tokens left out because no frame fell inside them."""

    features: np.ndarray
    labels: np.ndarray
    groups: np.ndarray
    files: tuple[str, ...]
    onset: np.ndarray
    offset: np.ndarray
    n_dropped: int
    source: str

    def __len__(self) -> int:
        return len(self.labels)

    def select(self, mask: np.ndarray) -> TokenTable:
        """The tokens where ``mask`` (bool ``[N]``) is true."""
        idx = np.flatnonzero(mask)
        return TokenTable(
            features=self.features[idx],
            labels=self.labels[idx],
            groups=self.groups[idx],
            files=tuple(self.files[i] for i in idx),
            onset=self.onset[idx],
            offset=self.offset[idx],
            n_dropped=self.n_dropped,
            source=self.source,
        )

    def with_min_count(self, min_count: int) -> TokenTable:
        """Only the tokens whose label occurs at least ``min_count`` times."""
        names, counts = np.unique(self.labels, return_counts=True)
        keep = set(names[counts >= min_count].tolist())
        return self.select(np.array([lab in keep for lab in self.labels.tolist()], dtype=bool))


@dataclass(frozen=True)
class _Span:
    file: str
    onset: float
    offset: float
    onset_text: str
    offset_text: str
    label: str
    group: str


def _feature_index(features_dir: Path, stems: Iterable[str], source: str, *, ext: str | None,
                   ignore_missing: bool) -> dict[str, Path]:
    files = index_feature_files(features_dir, ext)
    needed = sorted(set(stems))
    missing = [s for s in needed if s not in files]
    if missing and not ignore_missing:
        raise InputError(
            f"{features_dir}: no features for {len(missing)} of the {len(needed)} files named in {source} "
            f"(first: {', '.join(missing[:5])}); extract them, or pass ignore_missing=True to use the others"
        )
    if missing:
        warnings.warn(f"{features_dir}: ignoring {len(missing)} files without features", stacklevel=3)
    return {s: files[s] for s in needed if s in files}


def _pool_spans(
    features_dir: Path, spans: list[_Span], source: str, *, frame_shift: float, slicing: Slicing,
    ext: str | None, ignore_missing: bool,
) -> TokenTable:
    # imported here: the abx package pulls in numba, which token tables do not need
    from vgprobe.zerospeech.abx.slicing import exact_bounds, frame_shift_fraction, librilight_bounds

    if slicing not in ("librilight", "exact"):
        raise InputError(f"unknown slicing {slicing!r}; expected 'librilight' or 'exact'")
    if not frame_shift > 0:
        raise InputError(f"frame shift must be positive, got {frame_shift}")
    paths = _feature_index(features_dir, (s.file for s in spans), source, ext=ext, ignore_missing=ignore_missing)
    step, exact_shift = 1 / frame_shift, frame_shift_fraction(frame_shift)
    by_file: dict[str, list[int]] = {}
    for i, span in enumerate(spans):
        if span.file in paths:
            by_file.setdefault(span.file, []).append(i)
    pooled: dict[int, np.ndarray] = {}
    dim, dim_file = None, None
    n_empty = 0
    for stem in sorted(by_file):
        frames = read_features(paths[stem])
        if dim is None:
            dim, dim_file = frames.shape[1], paths[stem]
        elif frames.shape[1] != dim:
            raise InputError(f"{paths[stem]}: features have dimension {frames.shape[1]}, but {dim_file} has {dim}")
        n = frames.shape[0]
        for i in by_file[stem]:
            s = spans[i]
            if slicing == "librilight":
                a, b = librilight_bounds(s.onset, s.offset, step=step, n_frames=n)
            else:
                a, b = exact_bounds(s.onset_text, s.offset_text, frame_shift=exact_shift, n_frames=n)
            if b > a:
                pooled[i] = frames[a:b].astype(np.float64).mean(axis=0)
            else:
                n_empty += 1
    kept = sorted(pooled)
    if not kept:
        raise InputError(f"{source}: no token has any feature frame in {features_dir} (check the frame shift)")
    return TokenTable(
        features=np.stack([pooled[i] for i in kept]),
        labels=np.array([spans[i].label for i in kept], dtype=str),
        groups=np.array([spans[i].group for i in kept], dtype=str),
        files=tuple(spans[i].file for i in kept),
        onset=np.array([spans[i].onset for i in kept], dtype=np.float64),
        offset=np.array([spans[i].offset for i in kept], dtype=np.float64),
        n_dropped=n_empty,
        source=source,
    )


def phone_tokens(
    features_dir: str | Path,
    items: ItemTable | str | Path,
    *,
    frame_shift: float,
    slicing: Slicing = "librilight",
    ext: str | None = None,
    ignore_missing: bool = False,
) -> TokenTable:
    """Mean-pooled phone tokens of an item file (label ``#phone``, group ``speaker``)."""
    table = items if isinstance(items, ItemTable) else read_item_file(items)
    spans = [
        _Span(table.file[i], float(table.onset[i]), float(table.offset[i]), table.onset_text[i],
              table.offset_text[i], table.phone[i], table.speaker[i])
        for i in range(len(table))
    ]
    return _pool_spans(Path(features_dir), spans, str(table.path), frame_shift=frame_shift, slicing=slicing,
                       ext=ext, ignore_missing=ignore_missing)


def librispeech_speaker(utterance: str) -> str:
    """``"6295-244435-0009"`` -> ``"6295"``; an id without ``-`` is an error."""
    head, sep, _ = utterance.partition("-")
    if not sep or not head:
        raise InputError(
            f"utterance {utterance!r} has no 'speaker-' prefix; pass the speakers explicitly (a mapping utt -> speaker)"
        )
    return head


def word_tokens(
    features_dir: str | Path,
    alignments: str | Path | Mapping[str, list],
    *,
    frame_shift: float,
    slicing: Slicing = "librilight",
    speakers: Mapping[str, str] | Callable[[str], str] = librispeech_speaker,
    exclude: Collection[str] = STOP_WORDS,
    ext: str | None = None,
    ignore_missing: bool = False,
) -> TokenTable:
    """Mean-pooled word tokens from word alignments (label: the word, group: the speaker).

    ``alignments`` is a JSON path or the already-read mapping (see :func:`read_word_alignments`);
    the utterance ids are feature file stems. Words in ``exclude`` are left out.
    """
    if isinstance(alignments, Mapping):
        source = "word alignments"
        data = check_word_alignments(dict(alignments), source)
    else:
        source, data = str(alignments), read_word_alignments(alignments)
    speaker_of = speakers.__getitem__ if isinstance(speakers, Mapping) else speakers
    spans = []
    for utt, entries in data.items():
        try:
            group = speaker_of(utt)
        except KeyError:
            raise InputError(f"{source}: no speaker given for utterance {utt!r}") from None
        for on, off, word in entries:
            if word in exclude:
                continue
            spans.append(_Span(utt, float(on), float(off), repr(float(on)), repr(float(off)), word, str(group)))
    if not spans:
        raise InputError(f"{source}: no word tokens (after excluding {sorted(exclude)})")
    return _pool_spans(Path(features_dir), spans, source, frame_shift=frame_shift, slicing=slicing, ext=ext,
                       ignore_missing=ignore_missing)


def semantic_word_tokens(
    features_dir: str | Path,
    gold: str | Path,
    *,
    types: Collection[str] = ("synthetic", "librispeech"),
    ext: str | None = None,
    ignore_missing: bool = False,
) -> TokenTable:
    """Whole-file word tokens of an sSIMI ``gold.csv``; ``features_dir`` holds ``<type>/<filename>.<ext>``
    (a submission's ``semantic/<split>`` folder). Label: ``word``; group: ``voice``, or
    ``"<type>/<filename>"`` when the row has none."""
    from vgprobe.zerospeech.semantic.tables import read_gold

    features_dir = Path(features_dir)
    rows = [t for t in read_gold(gold) if t.type in types]
    if not rows:
        raise InputError(f"{gold}: no tokens of type {sorted(types)}")
    vectors, kept = [], []
    dim, dim_file = None, None
    for type_ in sorted({t.type for t in rows}):
        of_type = [t for t in rows if t.type == type_]
        paths = _feature_index(features_dir / type_, (t.filename for t in of_type), str(gold), ext=ext,
                               ignore_missing=ignore_missing)
        for t in of_type:
            if t.filename not in paths:
                continue
            frames = read_features(paths[t.filename], allow_empty=False)
            if dim is None:
                dim, dim_file = frames.shape[1], paths[t.filename]
            elif frames.shape[1] != dim:
                raise InputError(
                    f"{paths[t.filename]}: features have dimension {frames.shape[1]}, but {dim_file} has {dim}"
                )
            vectors.append(frames.astype(np.float64).mean(axis=0))
            kept.append(t)
    if not kept:
        raise InputError(f"{gold}: none of its files has features in {features_dir}")
    return TokenTable(
        features=np.stack(vectors),
        labels=np.array([t.word for t in kept], dtype=str),
        groups=np.array([t.voice or f"{t.type}/{t.filename}" for t in kept], dtype=str),
        files=tuple(t.filename for t in kept),
        onset=np.full(len(kept), np.nan),
        offset=np.full(len(kept), np.nan),
        n_dropped=0,
        source=str(gold),
    )
