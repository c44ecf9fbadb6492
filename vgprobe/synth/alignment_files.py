"""Word (and phone) alignments written beside the audio: one JSON file per subset, one TextGrid per wav.

    >>> write_words_json(folder / "dev-clean.words.json", {"100-1-0000": alignment})     # doctest: +SKIP
    >>> write_textgrid(folder / "100-1-0000.TextGrid", alignment, duration=2.87)       # doctest: +SKIP

JSON: ``{utt_id: [[onset_s, offset_s, word], ...]}``, utterances sorted, words in time order, times
in seconds from the start of the wav rounded to :data:`DECIMALS` decimals (a tenth of a 16 kHz
sample is 6e-6 s). A "word" is a word of the text, lower case, punctuation removed; when espeak
spoke two words as one (``on the``, see ``alignment.py``) they share one interval whose label holds
both, separated by a space.

TextGrid (Praat's long text format, written by praatio): ``xmin = 0``, ``xmax`` = the wav's
duration; an interval tier ``words`` (the JSON's intervals) and an interval tier ``phones`` (ARPAbet
labels, ``alignment.py``); the gaps (leading and trailing silence, pauses) are empty intervals.
"""

from __future__ import annotations

import json
from pathlib import Path

from vgprobe.synth.alignment import Alignment

DECIMALS = 5


def _t(x: float) -> float:
    return round(float(x), DECIMALS)


def word_intervals(alignment: Alignment) -> list[list]:
    """``[[onset_s, offset_s, word], ...]`` of one utterance (rounded times)."""
    return [[_t(w.start), _t(w.end), w.text] for w in alignment.words]


def write_words_json(path: Path, alignments: dict[str, Alignment]) -> None:
    rows = [f" {json.dumps(utt)}: {json.dumps(word_intervals(alignments[utt]))}" for utt in sorted(alignments)]
    Path(path).write_text("{\n" + ",\n".join(rows) + "\n}\n")


def write_textgrid(path: Path, alignment: Alignment, *, duration: float) -> None:
    from praatio import textgrid

    end = _t(duration)
    grid = textgrid.Textgrid(minTimestamp=0.0, maxTimestamp=end)
    words = [(s, e, w) for s, e, w in word_intervals(alignment)]
    phones = [(_t(p.start), _t(p.end), p.label) for p in alignment.phones]
    grid.addTier(textgrid.IntervalTier("words", words, 0.0, end))
    grid.addTier(textgrid.IntervalTier("phones", phones, 0.0, end))
    grid.save(str(path), format="long_textgrid", includeBlankSpaces=True, reportingMode="error")
