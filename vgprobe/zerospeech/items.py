"""Reading ZeroSpeech / Libri-Light ``.item`` files.

An item file has one header line (``#file onset offset #phone prev-phone next-phone speaker``)
and then one token per line, seven whitespace-separated columns::

    6295-244435-0009 0.2925 0.4725 IH L NG 6295

Times are in seconds. Triphone items span previous + centre + next phone and ``#phone`` is
the centre; phoneme items span the phone itself. The times are kept both as floats (what
Libri-Light slices with) and as the exact decimal text (for exact slicing).
"""

from __future__ import annotations

import math
import warnings
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from vgprobe.errors import InputError

ITEM_COLUMNS: tuple[str, ...] = ("#file", "onset", "offset", "#phone", "prev-phone", "next-phone", "speaker")
SHOWN_LINES = 5  # how many ``file:line`` places a summary warning names


class ItemWarning(UserWarning):
    """Item lines that Libri-Light scores without a word (clipped or dropped): one summary per kind."""


def warn_lines(places: list[str], what: str, *, stacklevel: int = 2) -> None:
    """One :class:`ItemWarning`: how many item lines ``what``, and the first few ``file:line`` places."""
    if places:
        shown = ", ".join(places[:SHOWN_LINES]) + (", ..." if len(places) > SHOWN_LINES else "")
        warnings.warn(f"{len(places)} item line(s) {what}: {shown}", ItemWarning, stacklevel=stacklevel + 1)


@dataclass(frozen=True)
class ItemTable:
    """All tokens of an item file, one entry per token, in file order.

    ``onset``/``offset`` are float64 arrays of shape (n,); the string columns are tuples
    of length n; ``line`` holds the 1-based line number of each token in ``path``.
    """

    path: Path
    file: tuple[str, ...]
    onset: np.ndarray  # (n,) float64, seconds
    offset: np.ndarray  # (n,) float64, seconds
    onset_text: tuple[str, ...]
    offset_text: tuple[str, ...]
    phone: tuple[str, ...]
    prev_phone: tuple[str, ...]
    next_phone: tuple[str, ...]
    speaker: tuple[str, ...]
    line: np.ndarray  # (n,) int64

    def __len__(self) -> int:
        return len(self.file)

    @property
    def context(self) -> tuple[str, ...]:
        """The context key of each token: ``prev-phone + "+" + next-phone`` (as Libri-Light)."""
        return tuple(f"{p}+{n}" for p, n in zip(self.prev_phone, self.next_phone))

    def select(self, mask: np.ndarray) -> ItemTable:
        """The tokens where ``mask`` (bool, shape (n,)) is true, in file order."""
        idx = np.flatnonzero(mask)

        def pick(col: tuple[str, ...]) -> tuple[str, ...]:
            return tuple(col[i] for i in idx)

        return ItemTable(
            path=self.path,
            file=pick(self.file),
            onset=self.onset[idx],
            offset=self.offset[idx],
            onset_text=pick(self.onset_text),
            offset_text=pick(self.offset_text),
            phone=pick(self.phone),
            prev_phone=pick(self.prev_phone),
            next_phone=pick(self.next_phone),
            speaker=pick(self.speaker),
            line=self.line[idx],
        )


def read_item_file(path: str | Path, *, allow_reversed: bool = False) -> ItemTable:
    """Parse an item file; any malformed line raises :class:`InputError` with ``file:line``.

    The first line must be the header (it starts with ``#``); blank lines are ignored.
    A line whose onset lies after its offset is an error, unless ``allow_reversed``: then it
    is left out (Libri-Light's slice of it is empty, so Libri-Light drops it too) and an
    :class:`ItemWarning` counts such lines. A negative onset is kept (slicing clips it to the
    first frame, as Libri-Light does) and counted in an :class:`ItemWarning`.
    """
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise InputError(f"{path}: item file does not exist") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise InputError(f"{path}: cannot read item file ({exc})") from exc
    lines = text.splitlines()
    if not lines or not lines[0].lstrip().startswith("#"):
        raise InputError(f"{path}:1: expected the header line '{' '.join(ITEM_COLUMNS)}'")
    cols: list[list[str]] = [[] for _ in ITEM_COLUMNS]
    onsets: list[float] = []
    offsets: list[float] = []
    numbers: list[int] = []
    reversed_at: list[str] = []
    negative_at: list[str] = []
    for lineno, raw in enumerate(lines[1:], start=2):
        fields = raw.split()
        if not fields:
            continue
        if len(fields) != len(ITEM_COLUMNS):
            raise InputError(
                f"{path}:{lineno}: expected {len(ITEM_COLUMNS)} columns ({' '.join(ITEM_COLUMNS)}), "
                f"found {len(fields)}: {raw.strip()!r}"
            )
        times = []
        for name, value in (("onset", fields[1]), ("offset", fields[2])):
            try:
                t = float(value)
            except ValueError:
                raise InputError(f"{path}:{lineno}: {name} {value!r} is not a number") from None
            if not math.isfinite(t):
                raise InputError(f"{path}:{lineno}: {name} {value!r} is not a finite number")
            times.append(t)
        if times[0] > times[1]:
            if not allow_reversed:
                raise InputError(
                    f"{path}:{lineno}: onset {fields[1]} is after offset {fields[2]}; pass "
                    f"--allow-reversed-items (allow_reversed=True) to drop such items as Libri-Light does"
                )
            reversed_at.append(f"{path}:{lineno}")
            continue
        if times[0] < 0:
            negative_at.append(f"{path}:{lineno}")
        onsets.append(times[0])
        offsets.append(times[1])
        numbers.append(lineno)
        for col, value in zip(cols, fields):
            col.append(value)
    warn_lines(reversed_at, "have the onset after the offset and were dropped (as Libri-Light does)")
    warn_lines(negative_at, "have a negative onset, clipped to the first frame (as Libri-Light does)")
    if not numbers:
        raise InputError(f"{path}: the item file has a header but no items")
    return ItemTable(
        path=path,
        file=tuple(cols[0]),
        onset=np.asarray(onsets, dtype=np.float64),
        offset=np.asarray(offsets, dtype=np.float64),
        onset_text=tuple(cols[1]),
        offset_text=tuple(cols[2]),
        phone=tuple(cols[3]),
        prev_phone=tuple(cols[4]),
        next_phone=tuple(cols[5]),
        speaker=tuple(cols[6]),
        line=np.asarray(numbers, dtype=np.int64),
    )
