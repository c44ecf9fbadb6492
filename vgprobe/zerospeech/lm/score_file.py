"""Reading a ZeroSpeech 2021 language-model score file (``lexical/dev.txt``, ``syntactic/dev.txt``).

One line per audio file of the task, ``<filename> <score>`` separated by one space, the
filename without folder or extension, the score a number (higher: more probable)::

    aAbBcCdD -12.735
    eEfFgGhH -14.0

The official scorers read these files with pandas and do not check them: a missing line
is silently dropped (lexical) or scored as a lost comparison (syntactic), a duplicated
line is counted twice (lexical) or raises an obscure pandas error (syntactic), and a
non-numeric score turns the whole column into text that is compared as strings. vgprobe
reads them strictly instead: :func:`read_scores` refuses a malformed line, a non-numeric
or NaN score and a duplicated filename, and :func:`scores_for` refuses a filename of the
gold file that has no line; each error names the file and line. A filename the gold file
does not list is ignored with a warning, as the official scorers ignore it. ``inf`` and
``-inf`` are accepted (a log-probability of an impossible item is ``-inf``).
"""

from __future__ import annotations

import re
import warnings
from pathlib import Path
from typing import Iterable, Mapping, Protocol

from vgprobe.errors import InputError

_NUMBER = re.compile(r"[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?|[+-]?(inf|infinity)", re.IGNORECASE)


def read_scores(path: str | Path) -> dict[str, tuple[float, int]]:
    """``filename -> (score, line number)`` for every line of ``path`` (blank lines skipped).

    >>> read_scores("lexical/dev.txt")["aAbBcCdD"]     # doctest: +SKIP
    (-12.735, 1)
    """
    path = Path(path)
    if not path.is_file():
        raise InputError(f"{path}: score file not found")
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        raise InputError(f"{path}: not UTF-8 text ({exc})") from None
    scores: dict[str, tuple[float, int]] = {}
    for number, raw in enumerate(text.splitlines(), start=1):
        if not raw.strip():
            continue
        fields = raw.split(" ")
        if len(fields) != 2 or not fields[0] or not fields[1]:
            raise InputError(
                f"{path}:{number}: expected '<filename> <score>' separated by one space, found {raw!r}"
            )
        filename, value = fields
        if not _NUMBER.fullmatch(value):
            raise InputError(f"{path}:{number}: score {value!r} of {filename!r} is not a number")
        score = float(value)
        if filename in scores:
            raise InputError(
                f"{path}:{number}: {filename!r} is listed twice (also line {scores[filename][1]}); "
                "expected one score per file"
            )
        scores[filename] = (score, number)
    if not scores:
        raise InputError(f"{path}: no scores; expected one '<filename> <score>' line per audio file")
    return scores


class GoldLine(Protocol):
    """A gold-file row: the audio file it names and its line in the gold file."""

    @property
    def filename(self) -> str: ...

    @property
    def line(self) -> int: ...


def token_scores(tokens: Iterable[GoldLine], scores_txt: str | Path, gold_csv: str | Path) -> list[float]:
    """The score in ``scores_txt`` of each gold token, in order (see :func:`scores_for`)."""
    return _scores_for(((t.filename, t.line) for t in tokens), read_scores(scores_txt), scores_path=scores_txt,
                       gold_path=gold_csv, stacklevel=4)


def scores_for(
    filenames: Iterable[tuple[str, int]],
    scores: Mapping[str, tuple[float, int]],
    *,
    scores_path: str | Path,
    gold_path: str | Path,
) -> list[float]:
    """The score of each ``(filename, gold line)``, in order; a gold filename without a score is an error.

    Filenames of ``scores`` that the gold file does not list are ignored with a warning.
    """
    return _scores_for(filenames, scores, scores_path=scores_path, gold_path=gold_path, stacklevel=4)


def _scores_for(
    filenames: Iterable[tuple[str, int]],
    scores: Mapping[str, tuple[float, int]],
    *,
    scores_path: str | Path,
    gold_path: str | Path,
    stacklevel: int,
) -> list[float]:
    wanted = list(filenames)
    missing = [(name, line) for name, line in wanted if name not in scores]
    if missing:
        shown = ", ".join(f"{name!r} (gold line {line})" for name, line in missing[:3])
        more = f" and {len(missing) - 3} more" if len(missing) > 3 else ""
        raise InputError(
            f"{scores_path}: no score for {shown}{more} of {gold_path}; expected one line per audio file"
        )
    listed = {name for name, _ in wanted}
    extra = sorted(((line, name) for name, (_, line) in scores.items() if name not in listed))
    if extra:
        shown = ", ".join(f"{name!r} (line {line})" for line, name in extra[:3])
        more = f" and {len(extra) - 3} more" if len(extra) > 3 else ""
        warnings.warn(f"{scores_path}: ignoring {shown}{more}: not in {gold_path}", stacklevel=stacklevel)
    return [scores[name][0] for name, _ in wanted]
