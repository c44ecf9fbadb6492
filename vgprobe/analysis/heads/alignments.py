"""Word (or phone) alignments and the silent frames they imply.

The file format is JSON ``{utterance id: [[onset_s, offset_s, label], ...]}`` (forced-alignment style).
A frame is *silent* when its centre lies in no labelled interval ``[onset, offset)``: pauses between words
and the leading and trailing silence.

Example::

    words = read_alignments("words.json")          # {"utt1": [(0.12, 0.50, "cat"), ...]}
    silent_frames(words["utt1"], 40, frame_shift=0.02, first_centre=0.0125)   # (40,) bool
"""

from __future__ import annotations

from pathlib import Path
from typing import Mapping, Sequence

import numpy as np

from vgprobe.analysis.word_alignments import check_word_alignments, read_word_alignments

Interval = tuple[float, float, str]
Alignments = Mapping[str, Sequence[Interval]]


def read_alignments(path: str | Path) -> dict[str, list[Interval]]:
    """Read and check an alignment file; errors name the file, the utterance and the entry."""
    return read_word_alignments(path)


def check_alignments(data: object, *, source: str = "alignments") -> dict[str, list[Interval]]:
    """``{utt: [[onset_s, offset_s, label], ...]}`` as lists of (float, float, str), checked."""
    return check_word_alignments(data, source)


def frame_centres(n_frames: int, *, frame_shift: float, first_centre: float) -> np.ndarray:
    """(n_frames,) centre times in seconds: ``first_centre + j * frame_shift``."""
    return first_centre + frame_shift * np.arange(n_frames, dtype=np.float64)


def silent_frames(words: Sequence[Interval], n_frames: int, *, frame_shift: float, first_centre: float) -> np.ndarray:
    """(n_frames,) bool, True where the frame centre is in no ``[onset, offset)`` interval.

    >>> silent_frames([(0.05, 0.09, "a")], 5, frame_shift=0.02, first_centre=0.01).tolist()
    [True, True, False, False, True]
    """
    t = frame_centres(n_frames, frame_shift=frame_shift, first_centre=first_centre)
    speech = np.zeros(n_frames, dtype=bool)
    for on, off, _ in words:
        speech |= (t >= on) & (t < off)
    return ~speech
