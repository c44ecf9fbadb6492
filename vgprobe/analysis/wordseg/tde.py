"""ZeroSpeech term-discovery evaluation (TDE) of discovered segments, with ``zerospeech-tde``.

The discovered units become a ZeroSpeech class file, one class per code::

    Class 17
    a0000 0.209379 0.364343
    a0004 1.100000 1.280000

    Class 23
    ...

(a blank line after every class; times in seconds). The gold becomes the two alignment files the
package reads, with ``utt onset offset label`` lines: ``gold.wrd`` (the words, stop words
included) and ``gold.phn`` (the phones, with ``SIL`` in the gaps between them). The package then
gives NED, coverage, boundary, token and type precision/recall/F-score, and grouping.

TDE transcribes every discovered interval with the gold *phones*, so phone alignments are needed
(a TextGrid ``phones`` tier or ``.phn`` files). With ``units="words"`` the words themselves are
written as the units of ``gold.phn``: NED is then a word-level edit distance and the boundary
score is coarser; the report says which units were used.

``zerospeech-tde`` (GPL-3.0) is an optional dependency: ``pip install 'vgprobe[tde]'``.
"""

from __future__ import annotations

import contextlib
import math
import os
import sys
import tempfile
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path

from vgprobe.analysis.wordseg.alignments import GoldAlignments, UtterancePrediction, Word
from vgprobe.errors import ConfigError, InputError

MEASURES = ("boundary", "grouping", "token/type", "coverage", "ned")
SILENCE_PHONES = {"", "sil", "sp", "<sil>"}


def _fmt(t: float) -> str:
    return f"{t:.6f}"


def _atomic_write(path: Path, lines: Iterable[str]) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.writelines(lines)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return path


def class_file_lines(pred: Mapping[str, UtterancePrediction], utterances: Sequence[str] | None = None) -> list[str]:
    """The class file of ``pred``: one ``Class <code>`` block per code, segments in corpus order."""
    classes: dict[int, list[str]] = {}
    for utt in (utterances if utterances is not None else list(pred)):
        p = pred[utt]
        for (s, e), code in zip(p.segments, p.codes):
            if _fmt(s) == _fmt(e):
                raise InputError(f"{utt}: segment [{s}, {e}] is shorter than the class file's 1 us resolution")
            classes.setdefault(code, []).append(f"{utt} {_fmt(s)} {_fmt(e)}\n")
    if not classes:
        raise InputError("the predictions have no segment: nothing to write as discovered classes")
    lines: list[str] = []
    for code in sorted(classes):
        lines.append(f"Class {code}\n")
        lines.extend(classes[code])
        lines.append("\n")
    return lines


def write_class_file(path: str | Path, pred: Mapping[str, UtterancePrediction],
                     utterances: Sequence[str] | None = None) -> Path:
    """Write the ZeroSpeech class file of ``pred`` (atomically)."""
    return _atomic_write(Path(path), class_file_lines(pred, utterances))


def _unit_lines(utt: str, units: Sequence[Word], *, fill_silence: bool) -> list[str]:
    lines = []
    prev_end = 0.0
    for u in units:
        label = u.label
        if fill_silence:
            low = label.lower()
            label = "SIL" if low in SILENCE_PHONES else ("SPN" if low == "spn" else label)
            if u.onset > prev_end and _fmt(prev_end) != _fmt(u.onset):
                lines.append(f"{utt} {_fmt(prev_end)} {_fmt(u.onset)} SIL\n")
        if not label or any(c.isspace() for c in label):
            raise InputError(f"{utt}: label {u.label!r} at {u.onset}: TDE alignment labels cannot contain whitespace")
        lines.append(f"{utt} {_fmt(u.onset)} {_fmt(u.offset)} {label}\n")
        prev_end = u.offset
    return lines


def write_tde_gold(folder: str | Path, gold: GoldAlignments, utterances: Sequence[str], *,
                   units: str = "phones") -> tuple[Path, Path]:
    """Write ``gold.wrd`` and ``gold.phn`` for ``utterances`` into ``folder``; returns both paths."""
    if units not in ("phones", "words"):
        raise ConfigError(f"units={units!r}: expected 'phones' or 'words'")
    if units == "phones":
        lacking = [u for u in utterances if gold.phones is None or u not in gold.phones]
        if lacking:
            raise ConfigError(f"term-discovery scores transcribe segments with gold phones, and {len(lacking)} "
                              f"utterances have none (e.g. {', '.join(lacking[:5])}): give phone alignments "
                              f"(a TextGrid phones tier, or .phn files) or choose units='words' (--tde-units words)")
    folder = Path(folder)
    wrd, phn = [], []
    for utt in utterances:
        wrd.extend(_unit_lines(utt, gold.words[utt], fill_silence=False))
        source = gold.phones[utt] if units == "phones" else gold.words[utt]  # type: ignore[index]
        phn.extend(_unit_lines(utt, source, fill_silence=True))
    return _atomic_write(folder / "gold.wrd", wrd), _atomic_write(folder / "gold.phn", phn)


def _f(p: float, r: float) -> float:
    if math.isnan(p) or math.isnan(r) or p + r == 0:
        return float("nan")
    return 2 * p * r / (p + r)


def score_class_file(class_file: str | Path, wrd: str | Path, phn: str | Path, *,
                     measures: Sequence[str] = MEASURES) -> dict:
    """Score a class file against ``.wrd``/``.phn`` gold files with the ``zerospeech-tde`` package.

    F-scores with ``P + R = 0`` (where the package raises) are ``nan``. The package's progress
    messages go to stderr.
    """
    bad = [m for m in measures if m not in MEASURES]
    if bad:
        raise ConfigError(f"measures {bad}: expected some of {', '.join(MEASURES)}")
    try:
        from tde.measures.boundary import Boundary
        from tde.measures.coverage import Coverage
        from tde.measures.grouping import Grouping
        from tde.measures.ned import Ned
        from tde.measures.token_type import TokenType
        from tde.readers.disc_reader import Disc
        from tde.readers.gold_reader import Gold
    except ImportError as exc:
        raise ConfigError(f"term-discovery scoring needs the zerospeech-tde package ({exc}): "
                          f"pip install 'vgprobe[tde]'") from None
    from importlib.metadata import version

    out: dict = {"package": f"zerospeech-tde {version('zerospeech-tde')}"}
    with contextlib.redirect_stdout(sys.stderr):
        try:
            gold = Gold(wrd_path=str(wrd), phn_path=str(phn))
            disc = Disc(str(class_file), gold)
        except (AssertionError, ValueError) as exc:
            raise InputError(f"zerospeech-tde rejected {class_file} / {wrd} / {phn}: {exc}") from None
        out["n_intervals"] = len(disc.intervals)
        out["n_classes"] = len(disc.clusters)
        if "ned" in measures:
            ned = Ned(disc)
            ned.compute_ned()
            out["ned"] = float(ned.ned) if ned.n_pairs else float("nan")
            out["ned_n_pairs"] = ned.n_pairs
        if "coverage" in measures:
            cov = Coverage(gold, disc)
            cov.compute_coverage()
            out["coverage"] = float(cov.coverage)
        if "boundary" in measures:
            b = Boundary(gold, disc)
            b.compute_boundary()
            out["boundary"] = {"precision": float(b.precision), "recall": float(b.recall),
                               "fscore": _f(b.precision, b.recall)}
        if "token/type" in measures:
            tt = TokenType(gold, disc)
            tt.compute_token_type()
            (tok_p, typ_p), (tok_r, typ_r) = tt.precision, tt.recall
            out["token"] = {"precision": float(tok_p), "recall": float(tok_r), "fscore": _f(tok_p, tok_r)}
            out["type"] = {"precision": float(typ_p), "recall": float(typ_r), "fscore": _f(typ_p, typ_r)}
        if "grouping" in measures:
            g = Grouping(disc)
            g.compute_grouping()
            out["grouping"] = {"precision": float(g.precision), "recall": float(g.recall),
                               "fscore": _f(g.precision, g.recall)}
    return out


def tde_scores(gold: GoldAlignments, pred: Mapping[str, UtterancePrediction], folder: str | Path, *,
               units: str = "phones", utterances: Sequence[str] | None = None,
               measures: Sequence[str] = MEASURES) -> dict:
    """Write the class file and the gold files into ``folder`` and score them (module docstring).

    ``utterances``: those to evaluate (default: the predicted ones that have gold words); every one
    must be in both ``gold`` and ``pred``.
    """
    if utterances is None:
        utterances = [u for u in pred if gold.words.get(u)]
    missing = [u for u in utterances if u not in pred or u not in gold.words]
    if missing:
        raise InputError(f"term-discovery scoring: utterances missing from gold or prediction: {missing[:10]}")
    folder = Path(folder)
    classes = write_class_file(folder / "discovered.class", pred, utterances)
    wrd, phn = write_tde_gold(folder, gold, utterances, units=units)
    out = score_class_file(classes, wrd, phn, measures=measures)
    out.update(units=units, files={"classes": str(classes), "wrd": str(wrd), "phn": str(phn)})
    return out
