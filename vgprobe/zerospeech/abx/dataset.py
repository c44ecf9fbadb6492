"""From feature files + an item file to the tokens ABX compares.

Every file's frames are L2-normalised whatever the distance; a zero frame becomes
``1/sqrt(D)`` per dimension and one extra column is appended (``1e-12``, or ``-2e12`` for
zero frames, which puts a zero frame at angular distance 1 from everything). This runs in
the file's own dtype, then the frames are rounded to float32 (Libri-Light copies them into
float32 batches). numpy, not torch: the norms may differ from torch's in the last bit (a
different summation order), which the parity tests show does not move the scores, and the
scorer stays light (no torch import: half the peak memory). Each token's frames are
then cut out with :mod:`.slicing`; tokens that come out empty are dropped.
"""

from __future__ import annotations

import math
import warnings
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from vgprobe.errors import InputError
from vgprobe.zerospeech.abx.slicing import Slicing, exact_bounds, frame_shift_fraction, librilight_bounds
from vgprobe.zerospeech.features import index_feature_files, read_features
from vgprobe.zerospeech.items import ItemTable, warn_lines

UNCLIPPED = 2**62  # a frame count no file reaches: the slicing functions then leave the end unclipped
LANES = 8  # frames are zero-padded to a multiple of this many columns (padding adds exact zeros)


class NotScorableError(InputError):
    """Features too coarse for ABX: tokens shorter than one frame slice to nothing and are dropped
    (as Libri-Light drops them), until no token, or no cell of a mode, is left.

    ``str()`` names the features (and the layer when known), the frame shift, how many tokens
    came out empty and what was left; the attributes carry the same for callers that record it.
    """

    def __init__(self, features: str | Path, *, frame_shift: float, n_tokens: int, n_empty: int, left: str,
                 layer: str | None = None) -> None:
        self.features = str(features)
        self.frame_shift = float(frame_shift)
        self.n_tokens = n_tokens
        self.n_empty = n_empty
        self.left = left
        self.layer = layer
        self.empty_fraction = n_empty / n_tokens if n_tokens else float("nan")
        where = f"layer {layer} ({features})" if layer else str(features)
        super().__init__(
            f"{where}: not scorable by ABX with frames {1000 * self.frame_shift:g} ms apart: {n_empty} of "
            f"{n_tokens} tokens ({100 * self.empty_fraction:.1f} %) are shorter than one frame and slice to no "
            f"frame (Libri-Light drops them), {left}"
        )

    def for_layer(self, layer: str) -> NotScorableError:
        """The same error, its message naming ``layer``."""
        return NotScorableError(self.features, frame_shift=self.frame_shift, n_tokens=self.n_tokens,
                                n_empty=self.n_empty, left=self.left, layer=layer)


@dataclass(frozen=True)
class TokenSet:
    """The sliced tokens of an item file, in item-file order.

    ``frames`` is (n_used_frames, padded_dim) float32 holding, file by file, the normalised
    frames that some token uses, each once (token t is ``frames[offset[t] : offset[t] + length[t]]``;
    overlapping tokens, such as triphones, share rows); ``dim`` counts
    the real columns (feature dim + 1). ``phone``/``context``/``speaker`` are int32 codes
    into the sorted name tuples, so codes never depend on file or item order.
    """

    frames: np.ndarray  # (F, Dp) float32
    offset: np.ndarray  # (T,) int64
    length: np.ndarray  # (T,) int64
    phone: np.ndarray  # (T,) int32
    context: np.ndarray  # (T,) int32
    speaker: np.ndarray  # (T,) int32
    line: np.ndarray  # (T,) int64, line in the item file
    identity: np.ndarray  # (T,) int64, rank by (file stem, onset, offset, line): keys the seeded draws
    phone_names: tuple[str, ...]
    context_names: tuple[str, ...]
    speaker_names: tuple[str, ...]
    dim: int
    n_dropped: int  # tokens whose slice was empty

    def __len__(self) -> int:
        return len(self.offset)


def normalize_with_singularity(features: np.ndarray) -> np.ndarray:
    """L2-normalise each frame and append the singularity column; returns float32.

    (n, D) float32|float64 -> (n, D + 1) float32, computed in the input's dtype as
    Libri-Light does, then rounded to float32.
    """
    x = np.array(features, copy=True)
    n, d = x.shape
    norm = (x * x).sum(axis=1, keepdims=True)
    zero = norm[:, 0] == 0
    with np.errstate(invalid="ignore", divide="ignore"):
        x /= np.sqrt(norm)
    x[zero] = 1 / math.sqrt(d)
    border = np.full((n, 1), 1e-12, dtype=x.dtype)
    border[zero] = -2 * 1e12
    return np.concatenate([x, border], axis=1).astype(np.float32)


def load_tokens(
    features_dir: str | Path,
    items: ItemTable,
    *,
    frame_shift: float,
    slicing: Slicing = "librilight",
    ext: str | None = None,
    ignore_missing: bool = False,
) -> TokenSet:
    """Read the features of every file named in ``items`` and slice out each token."""
    if slicing not in ("librilight", "exact"):
        raise InputError(f"unknown slicing {slicing!r}; expected 'librilight' or 'exact'")
    if not frame_shift > 0:
        raise InputError(f"frame shift must be positive, got {frame_shift}")
    files = index_feature_files(features_dir, ext)
    needed = sorted(set(items.file))
    missing = [stem for stem in needed if stem not in files]
    if missing and not ignore_missing:
        shown = ", ".join(missing[:5])
        raise InputError(
            f"{features_dir}: no features for {len(missing)} of the {len(needed)} files named in "
            f"{items.path} (first: {shown}); pass --ignore-missing to score the others"
        )
    if missing:
        warnings.warn(f"{features_dir}: ignoring {len(missing)} item files without features", stacklevel=2)
    step = 1 / frame_shift
    shift_exact = frame_shift_fraction(frame_shift)

    by_file: dict[str, list[int]] = {}
    for i, stem in enumerate(items.file):
        by_file.setdefault(stem, []).append(i)

    start = np.zeros(len(items), dtype=np.int64)
    stop = np.zeros(len(items), dtype=np.int64)
    where = np.full(len(items), -1, dtype=np.int64)  # row of the token's first frame in ``frames``
    blocks: list[np.ndarray] = []  # per file, the frames some token uses, padded
    used_rows = 0
    past_end: list[tuple[int, str]] = []  # (line, place) of tokens ending after their file's last frame
    dim: int | None = None
    dim_file: Path | None = None
    for stem in needed:
        if stem in missing:
            continue
        path = files[stem]
        raw = read_features(path)
        if dim is None:
            dim, dim_file = raw.shape[1], path
        elif raw.shape[1] != dim:
            raise InputError(f"{path}: features have dimension {raw.shape[1]}, but {dim_file} has {dim}")
        normed = normalize_with_singularity(raw) if raw.shape[0] else np.zeros((0, raw.shape[1] + 1), np.float32)
        n = normed.shape[0]
        used = np.zeros(n, dtype=bool)
        for i in by_file[stem]:
            if slicing == "librilight":
                s, e = librilight_bounds(float(items.onset[i]), float(items.offset[i]), step=step, n_frames=UNCLIPPED)
            else:
                s, e = exact_bounds(items.onset_text[i], items.offset_text[i], frame_shift=shift_exact,
                                    n_frames=UNCLIPPED)
            if e > n:
                past_end.append((int(items.line[i]), f"{items.path}:{items.line[i]} ({path.name} has {n} frames)"))
                e = n
            start[i], stop[i] = s, e
            used[s:e] = True
        row = used_rows + np.cumsum(used) - 1  # a used frame's row; overlapping tokens share rows
        for i in by_file[stem]:
            if stop[i] > start[i]:
                where[i] = row[start[i]]
        block = np.zeros((int(used.sum()), -(-normed.shape[1] // LANES) * LANES), dtype=np.float32)
        block[:, : normed.shape[1]] = normed[used]
        blocks.append(block)
        used_rows += len(block)

    warn_lines([place for _, place in sorted(past_end)],
               "end after the last feature frame of their file, clipped to it (as Libri-Light does)", stacklevel=3)
    keep = where >= 0
    n_dropped = int(sum(len(by_file[stem]) for stem in needed if stem not in missing)) - int(keep.sum())
    kept = np.flatnonzero(keep)
    if dim is None:
        raise InputError(f"{features_dir}: no feature file for any file named in {items.path}")
    if not len(kept):
        raise NotScorableError(features_dir, frame_shift=frame_shift, n_tokens=n_dropped, n_empty=n_dropped,
                               left="leaving no token (check --frame-shift and the features)")
    length = (stop - start)[kept]
    offset = where[kept]
    real_dim = dim + 1
    frames = np.concatenate(blocks) if len(blocks) > 1 else blocks[0]
    del blocks

    def codes(values: tuple[str, ...]) -> tuple[np.ndarray, tuple[str, ...]]:
        picked = [values[i] for i in kept]
        names = tuple(sorted(set(picked)))
        lookup = {name: k for k, name in enumerate(names)}
        return np.asarray([lookup[v] for v in picked], dtype=np.int32), names

    phone, phone_names = codes(items.phone)
    context, context_names = codes(items.context)
    speaker, speaker_names = codes(items.speaker)
    file_order = sorted(kept, key=lambda i: (items.file[i], items.onset[i], items.offset[i], items.line[i]))
    rank = {i: r for r, i in enumerate(file_order)}
    identity = np.asarray([rank[i] for i in kept], dtype=np.int64)
    return TokenSet(
        frames=frames,
        offset=offset,
        length=length.astype(np.int64),
        phone=phone,
        context=context,
        speaker=speaker,
        line=items.line[kept],
        identity=identity,
        phone_names=phone_names,
        context_names=context_names,
        speaker_names=speaker_names,
        dim=real_dim,
        n_dropped=n_dropped,
    )
