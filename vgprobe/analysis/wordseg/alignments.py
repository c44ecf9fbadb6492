"""The two inputs of word-discovery scoring: gold word alignments and predicted segments.

Gold: per utterance, the time-aligned words ``Word(onset, offset, label)`` in seconds, sorted and
non-overlapping, silences left out (a gap between words is a silence). Optionally the phones,
which only the ZeroSpeech term-discovery scorer needs.

Prediction (one utterance)::

    UtterancePrediction(spf=0.02, segments=((0.21, 0.36), (0.43, 0.55)),
                        locations=(0.285, 0.49), codes=(17, 4))

``segments`` are sorted, non-overlapping ``[start, end]`` spans in seconds; ``locations`` their
centres (for CLS-attention segments ``spf * (t_s + t_e) / 2``); ``codes`` the cluster id of each
segment (non-negative). A segment covers the words that its *centre window*
``[location - spf/2, location + spf/2]`` overlaps.
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Word:
    """One aligned token: ``onset < offset`` in seconds and its label."""

    onset: float
    offset: float
    label: str


@dataclass(frozen=True)
class UtterancePrediction:
    """The discovered segments of one utterance (see the module docstring)."""

    spf: float
    segments: tuple[tuple[float, float], ...]
    locations: tuple[float, ...]
    codes: tuple[int, ...]

    def __len__(self) -> int:
        return len(self.segments)


@dataclass(frozen=True)
class GoldAlignments:
    """Gold words (and optionally phones) per utterance, in reading order.

    ``source`` names what was read (a file or folder); ``n_silences_dropped`` counts the intervals
    whose label was a silence marker, left out of ``words``.
    """

    words: dict[str, tuple[Word, ...]]
    phones: dict[str, tuple[Word, ...]] | None = None
    source: str = ""
    n_silences_dropped: int = 0
    notes: tuple[str, ...] = field(default_factory=tuple)
