"""Read gold alignments and predicted segments; write predictions.

Gold word alignments, in any of these forms (all give the same :class:`GoldAlignments`):

- **JSON** (``.json``): ``{"utt": [[onset_s, offset_s, "word"], ...], ...}``, the layout of the
  word-discovery reference's alignment files once parsed;
- **Praat TextGrid** (a folder of ``<utt>.TextGrid``, or one file): the interval tier named
  ``words`` (or ``--tier``), as Montreal Forced Aligner writes it; a tier named ``<speaker> - words``
  is found too when it is the only one. The ``phones`` tier, when present, is read as the phones;
- **ZeroSpeech alignments**: a folder of ``<utt>.wrd`` files with ``onset offset word`` lines, or
  one ``.wrd`` file with ``utt onset offset word`` lines (the term-discovery gold layout).
  Phones: the same layouts with ``.phn``.

Times are seconds. Intervals labelled with a silence marker (``SILENCE_LABELS``: empty, ``sil``,
``SIL``, ``<sil>``, ``sp``, ``<eps>``) are silences, not words: they are left out and counted in
``n_silences_dropped``. Words must have ``0 <= onset < offset``; they are sorted by onset and must
not overlap within an utterance. An utterance id may not contain whitespace.

Predicted segments (the file ``vgprobe`` writes and :func:`write_pred` produces), JSON::

    {"utt": {"spf": 0.02,
             "segments": [[start_s, end_s], ...],      # sorted, non-overlapping, start < end
             "locations": [centre_s, ...],             # one per segment
             "codes": [17, 4, ...]},                   # one non-negative int per segment
     ...}

Segment features for the variance filter: an ``.npz`` with one ``(n_segments, D)`` array per
utterance id (:func:`read_segment_features`).

Every problem raises :class:`~vgprobe.errors.InputError` naming the file (and line or entry).
"""

from __future__ import annotations

import json
import math
import os
import tempfile
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

import numpy as np

from vgprobe.analysis.wordseg.alignments import GoldAlignments, UtterancePrediction, Word
from vgprobe.errors import InputError

SILENCE_LABELS: tuple[str, ...] = ("", "sil", "SIL", "<sil>", "sp", "<eps>")
PRED_KEYS = ("spf", "segments", "locations", "codes")


def _is_number(v: Any) -> bool:
    return isinstance(v, (int, float)) and not isinstance(v, bool) and math.isfinite(v)


def _check_utt_id(utt: Any, where: str) -> str:
    if not isinstance(utt, str) or not utt or any(c.isspace() for c in utt):
        raise InputError(f"{where}: utterance id {utt!r}: expected a non-empty string without whitespace")
    return utt


def _words(entries: Iterable[tuple[float, float, str]], where: str,
           silence_labels: frozenset[str]) -> tuple[tuple[Word, ...], int]:
    words: list[Word] = []
    dropped = 0
    for on, off, label in sorted(entries, key=lambda e: (e[0], e[1])):
        label = label.strip()
        if label in silence_labels:
            dropped += 1
            continue
        if not (_is_number(on) and _is_number(off)) or not 0 <= on < off:
            raise InputError(f"{where}: word {label!r} [{on}, {off}]: expected 0 <= onset < offset (seconds)")
        if words and on < words[-1].offset:
            raise InputError(f"{where}: word {label!r} starts at {on} before the previous word "
                             f"{words[-1].label!r} ends ({words[-1].offset}): expected sorted, non-overlapping words")
        words.append(Word(float(on), float(off), label))
    return tuple(words), dropped


# ----------------------------------------------------------------------------------- gold: JSON
def _read_gold_json(path: Path, silence_labels: frozenset[str]) -> GoldAlignments:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise InputError(f"{path}: not readable as JSON ({exc})") from None
    if not isinstance(data, dict):
        raise InputError(f"{path}: expected an object {{utt: [[onset, offset, word], ...]}}, "
                         f"got {type(data).__name__}")
    words: dict[str, tuple[Word, ...]] = {}
    dropped = 0
    for utt, items in data.items():
        _check_utt_id(utt, str(path))
        if not isinstance(items, list):
            raise InputError(f"{path}: {utt}: expected a list of [onset, offset, word], got {type(items).__name__}")
        entries = []
        for j, item in enumerate(items):
            if (not isinstance(item, list) or len(item) != 3 or not _is_number(item[0])
                    or not _is_number(item[1]) or not isinstance(item[2], str)):
                raise InputError(f"{path}: {utt}[{j}] = {item!r}: expected [onset, offset, word]")
            entries.append((item[0], item[1], item[2]))
        words[utt], n = _words(entries, f"{path}: {utt}", silence_labels)
        dropped += n
    return GoldAlignments(words=words, source=str(path), n_silences_dropped=dropped)


# ------------------------------------------------------------------------------ gold: TextGrid
def _find_tier(tg: Any, name: str, path: Path, *, required: bool) -> Any:
    names = list(tg.tierNames)
    if name in names:
        chosen = name
    else:
        suffixed = [n for n in names if n.endswith(f" - {name}")]
        if len(suffixed) != 1:
            if not required:
                return None
            raise InputError(f"{path}: no interval tier named {name!r} (tiers: {', '.join(map(repr, names))}); "
                             f"choose one with --tier")
        chosen = suffixed[0]
    tier = tg.getTier(chosen)
    if not hasattr(tier, "entries") or tier.__class__.__name__ != "IntervalTier":
        raise InputError(f"{path}: tier {chosen!r} is not an interval tier")
    return tier


def _read_textgrid(path: Path, tier: str, phone_tier: str | None,
                   silence_labels: frozenset[str]) -> tuple[tuple[Word, ...], tuple[Word, ...] | None, int]:
    from praatio import textgrid

    try:
        tg = textgrid.openTextgrid(str(path), includeEmptyIntervals=False, reportingMode="silence")
    except Exception as exc:  # praatio raises many kinds on a malformed file
        raise InputError(f"{path}: not a readable Praat TextGrid ({type(exc).__name__}: {exc})") from None
    wt = _find_tier(tg, tier, path, required=True)
    words, dropped = _words(((e.start, e.end, e.label) for e in wt.entries), f"{path}: tier {tier!r}", silence_labels)
    phones = None
    if phone_tier:
        pt = _find_tier(tg, phone_tier, path, required=False)
        if pt is not None:
            phones, _ = _words(((e.start, e.end, e.label) for e in pt.entries), f"{path}: tier {phone_tier!r}",
                               frozenset({""}))
    return words, phones, dropped


# ------------------------------------------------------------------------- gold: .wrd / .phn
def _parse_alignment_lines(path: Path, *, with_utt: bool) -> dict[str, list[tuple[float, float, str]]]:
    """Lines ``[utt] onset offset label``; blank lines are allowed."""
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise InputError(f"{path}: not readable as UTF-8 text ({exc})") from None
    out: dict[str, list[tuple[float, float, str]]] = {}
    n_fields = 4 if with_utt else 3
    layout = "utt onset offset label" if with_utt else "onset offset label"
    for lineno, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        parts = line.split(maxsplit=n_fields - 1)
        if len(parts) != n_fields:
            raise InputError(f"{path}:{lineno}: {line.strip()!r}: expected '{layout}'")
        utt = _check_utt_id(parts[0], f"{path}:{lineno}") if with_utt else path.stem
        try:
            on, off = float(parts[-3]), float(parts[-2])
        except ValueError:
            raise InputError(f"{path}:{lineno}: {line.strip()!r}: expected '{layout}' with times in seconds") from None
        if not (math.isfinite(on) and math.isfinite(off)):
            raise InputError(f"{path}:{lineno}: {line.strip()!r}: times must be finite")
        out.setdefault(utt, []).append((on, off, parts[-1]))
    return out


def _alignment_lines(path: Path, silence_labels: frozenset[str], *,
                     with_utt: bool) -> tuple[dict[str, tuple[Word, ...]], int]:
    groups = _parse_alignment_lines(path, with_utt=with_utt)
    if not with_utt and not groups:
        groups = {path.stem: []}
    out: dict[str, tuple[Word, ...]] = {}
    dropped = 0
    for utt, entries in groups.items():
        where = f"{path}: {utt}" if with_utt else str(path)
        out[utt], n = _words(entries, where, silence_labels)
        dropped += n
    return out, dropped


def _folder_files(folder: Path) -> dict[str, list[Path]]:
    kinds: dict[str, list[Path]] = {"textgrid": [], "wrd": [], "phn": []}
    for p in sorted(folder.iterdir()):
        if p.is_file():
            ext = p.suffix.lower().lstrip(".")
            if ext in kinds:
                kinds[ext].append(p)
    return kinds


def read_alignment_file_or_folder(path: str | Path, *, ext: str, silence_labels: Iterable[str] = SILENCE_LABELS
                                  ) -> tuple[dict[str, tuple[Word, ...]], int]:
    """``.wrd``/``.phn`` alignments: one file with ``utt onset offset label`` lines, or a folder
    of ``<utt>.<ext>`` files with ``onset offset label`` lines."""
    path = Path(path)
    sil = frozenset(silence_labels)
    if path.is_dir():
        files = [p for p in sorted(path.iterdir()) if p.is_file() and p.suffix.lower() == f".{ext}"]
        if not files:
            raise InputError(f"{path}: no .{ext} files in this folder")
        out: dict[str, tuple[Word, ...]] = {}
        dropped = 0
        for f in files:
            _check_utt_id(f.stem, str(f))
            got, n = _alignment_lines(f, sil, with_utt=False)
            out.update(got)
            dropped += n
        return out, dropped
    if not path.is_file():
        raise InputError(f"{path}: no such file or folder")
    return _alignment_lines(path, sil, with_utt=True)


def read_gold(path: str | Path, *, tier: str = "words", phone_tier: str | None = "phones",
              phones: str | Path | None = None,
              silence_labels: Iterable[str] = SILENCE_LABELS) -> GoldAlignments:
    """Read gold word alignments from a JSON file, a TextGrid file or folder, or ``.wrd`` file(s).

    ``tier``/``phone_tier``: TextGrid tier names; ``phones``: ``.phn`` file or folder of phone
    alignments (for the term-discovery scorer) when the gold itself has none.
    """
    path = Path(path)
    sil = frozenset(silence_labels)
    phone_words: dict[str, tuple[Word, ...]] | None = None
    if path.is_dir():
        kinds = _folder_files(path)
        found = [k for k in ("textgrid", "wrd") if kinds[k]]
        if len(found) != 1:
            what = "both .TextGrid and .wrd files" if len(found) == 2 else "no .TextGrid or .wrd files"
            raise InputError(f"{path}: found {what}: expected a folder of <utt>.TextGrid or of <utt>.wrd files")
        if found[0] == "textgrid":
            words: dict[str, tuple[Word, ...]] = {}
            tg_phones: dict[str, tuple[Word, ...]] = {}
            dropped = 0
            for f in kinds["textgrid"]:
                _check_utt_id(f.stem, str(f))
                words[f.stem], ph, n = _read_textgrid(f, tier, phone_tier, sil)
                dropped += n
                if ph is not None:
                    tg_phones[f.stem] = ph
            if tg_phones and len(tg_phones) == len(words):
                phone_words = tg_phones
            gold = GoldAlignments(words=words, phones=phone_words, source=str(path), n_silences_dropped=dropped)
        else:
            words, dropped = read_alignment_file_or_folder(path, ext="wrd", silence_labels=sil)
            if kinds["phn"] and phones is None:
                phone_words, _ = read_alignment_file_or_folder(path, ext="phn", silence_labels=("",))
            gold = GoldAlignments(words=words, phones=phone_words, source=str(path), n_silences_dropped=dropped)
    elif path.is_file():
        ext = path.suffix.lower()
        if ext == ".json":
            gold = _read_gold_json(path, sil)
        elif ext == ".textgrid":
            _check_utt_id(path.stem, str(path))
            w, ph, dropped = _read_textgrid(path, tier, phone_tier, sil)
            gold = GoldAlignments(words={path.stem: w}, phones=None if ph is None else {path.stem: ph},
                                  source=str(path), n_silences_dropped=dropped)
        elif ext == ".wrd":
            words, dropped = read_alignment_file_or_folder(path, ext="wrd", silence_labels=sil)
            gold = GoldAlignments(words=words, source=str(path), n_silences_dropped=dropped)
        else:
            raise InputError(f"{path}: unknown gold format {path.suffix!r}: expected .json, .TextGrid, .wrd "
                             f"or a folder of .TextGrid/.wrd files")
    else:
        raise InputError(f"{path}: no such file or folder")
    if phones is not None:
        phone_words, _ = read_alignment_file_or_folder(phones, ext="phn", silence_labels=("",))
        gold = GoldAlignments(words=gold.words, phones=phone_words, source=gold.source,
                              n_silences_dropped=gold.n_silences_dropped)
    return gold


# ------------------------------------------------------------------------------- predictions
def _pred_entry(utt: str, entry: Any, where: str) -> UtterancePrediction:
    here = f"{where}: {utt}"
    if not isinstance(entry, dict):
        raise InputError(f"{here}: expected an object with keys {', '.join(PRED_KEYS)}")
    missing = [k for k in PRED_KEYS if k not in entry]
    extra = sorted(set(entry) - set(PRED_KEYS) - {"frames"})
    if missing or extra:
        problem = "; ".join(p for p in (f"missing keys {missing}" if missing else "",
                                        f"unknown keys {extra}" if extra else "") if p)
        raise InputError(f"{here}: {problem}: expected keys {', '.join(PRED_KEYS)} (and optionally frames)")
    spf = entry["spf"]
    if not _is_number(spf) or spf <= 0:
        raise InputError(f"{here}: spf={spf!r}: expected a positive number of seconds per frame")
    segs, locs, codes = entry["segments"], entry["locations"], entry["codes"]
    for key, val in (("segments", segs), ("locations", locs), ("codes", codes)):
        if not isinstance(val, list):
            raise InputError(f"{here}: {key}: expected a list, got {type(val).__name__}")
    if not len(segs) == len(locs) == len(codes):
        raise InputError(f"{here}: {len(segs)} segments, {len(locs)} locations, {len(codes)} codes: "
                         f"expected one location and one code per segment")
    segments = []
    for j, s in enumerate(segs):
        if not isinstance(s, list) or len(s) != 2 or not _is_number(s[0]) or not _is_number(s[1]) or not s[0] < s[1]:
            raise InputError(f"{here}: segments[{j}] = {s!r}: expected [start, end] seconds with start < end")
        if segments and s[0] < segments[-1][1]:
            raise InputError(f"{here}: segments[{j}] starts at {s[0]} before segments[{j - 1}] ends "
                             f"({segments[-1][1]}): expected sorted, non-overlapping segments")
        segments.append((float(s[0]), float(s[1])))
    for j, v in enumerate(locs):
        if not _is_number(v):
            raise InputError(f"{here}: locations[{j}] = {v!r}: expected a number of seconds")
    for j, c in enumerate(codes):
        if not isinstance(c, int) or isinstance(c, bool) or c < 0:
            raise InputError(f"{here}: codes[{j}] = {c!r}: expected a non-negative integer cluster id")
    if "frames" in entry:
        fr = entry["frames"]
        if (not isinstance(fr, list) or len(fr) != len(segs)
                or not all(isinstance(p, list) and len(p) == 2 and all(isinstance(t, int) for t in p) for p in fr)):
            raise InputError(f"{here}: frames: expected one [t_start, t_end) integer pair per segment")
    return UtterancePrediction(spf=float(spf), segments=tuple(segments), locations=tuple(float(v) for v in locs),
                               codes=tuple(codes))


def parse_pred(data: Any, *, where: str = "predictions") -> dict[str, UtterancePrediction]:
    """Validate an in-memory prediction mapping ``{utt: {"spf", "segments", "locations", "codes"}}``."""
    if not isinstance(data, dict):
        raise InputError(f"{where}: expected an object {{utt: {{spf, segments, locations, codes}}}}, "
                         f"got {type(data).__name__}")
    return {_check_utt_id(u, where): _pred_entry(u, e, where) for u, e in data.items()}


def read_pred(path: str | Path) -> dict[str, UtterancePrediction]:
    """Read a prediction JSON file (layout in the module docstring)."""
    path = Path(path)
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise InputError(f"{path}: not readable as JSON ({exc})") from None
    return parse_pred(data, where=str(path))


def pred_entry(segments: Any, locations: Any, codes: Any, spf: float,
               frames: Any = None) -> dict[str, Any]:
    """One utterance's JSON entry (plain Python numbers), e.g. from a :class:`Segmentation`."""
    entry: dict[str, Any] = {"spf": float(spf), "segments": [[float(s), float(e)] for s, e in segments],
                             "locations": [float(v) for v in locations], "codes": [int(c) for c in codes]}
    if frames is not None:
        entry["frames"] = [[int(a), int(b)] for a, b in frames]
    return entry


def write_pred(path: str | Path, preds: Mapping[str, Any]) -> Path:
    """Write predictions as JSON (atomically). Values: :class:`UtterancePrediction` or entry dicts."""
    path = Path(path)
    data = {}
    for utt, p in preds.items():
        if isinstance(p, UtterancePrediction):
            data[utt] = pred_entry(p.segments, p.locations, p.codes, p.spf)
        else:
            data[utt] = p
    parse_pred(data, where=str(path))  # never write a file that read_pred would reject
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            json.dump(data, fh)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return path


def read_segment_features(path: str | Path, preds: Mapping[str, UtterancePrediction] | None = None
                          ) -> dict[str, np.ndarray]:
    """Segment features ``{utt: (n_segments, D)}`` from an ``.npz``; checked against ``preds``."""
    path = Path(path)
    try:
        with np.load(path, allow_pickle=False) as z:
            feats = {k: np.asarray(z[k]) for k in z.files}
    except Exception as exc:  # numpy raises several kinds for a bad archive
        raise InputError(f"{path}: not a readable .npz archive ({type(exc).__name__}: {exc})") from None
    dims = {a.shape[1] for a in feats.values() if a.ndim == 2}
    for utt, a in feats.items():
        if a.ndim != 2 or not np.issubdtype(a.dtype, np.floating) or not np.isfinite(a).all():
            raise InputError(f"{path}: {utt}: expected finite float (n_segments, D) features, got {a.dtype} {a.shape}")
    if len(dims) > 1:
        raise InputError(f"{path}: feature sizes differ between utterances ({sorted(dims)})")
    if preds is not None:
        for utt, p in preds.items():
            if utt not in feats:
                raise InputError(f"{path}: no features for utterance {utt!r} of the predictions")
            if feats[utt].shape[0] != len(p):
                raise InputError(f"{path}: {utt}: {feats[utt].shape[0]} feature rows for {len(p)} segments")
    return feats
