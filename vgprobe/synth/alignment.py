"""Phone and word alignments from espeak-ng's synthesis events.

    >>> al = align(synthesis, text="get the cat")           # doctest: +SKIP
    >>> al.phones[0]        # Phone(label='G', start=0.0, end=0.0174, word=0)   times in seconds
    >>> al.words[1]         # Word(text='the', start=..., end=..., merged=False)

Rules (each fixes a known pitfall of espeak's events):

1. A phone spans from its phoneme event to the next event (a pause event included); the last one
   ends at the end of the audio. Pauses (``_:``) are silence: they are no phone and no word.
2. A stop's event falls at its burst, so its closure silence would belong to the phone before it. The
   stop onset is moved back over the silent samples (``|x| <= 1%`` of the utterance's peak, scanned in
   1 ms blocks) that end at the event, keeping at least 10 ms for the previous phone. Closures after a
   pause stay in the pause; voiced stops whose closure carries a voice bar are not moved.
3. espeak's word events are unreliable (their sample positions run ahead of the first phone), so words
   are built by grouping phone events by their text position (the character where the word starts).
4. espeak sometimes speaks two words as one (``on the``): the second word then owns no phone. Such
   words are joined into the group of the word before them and the group is flagged ``merged=True``.
5. With SSML input the text positions count the markup too, so words are looked up in the text with
   every tag blanked out (same length, so positions are kept); a ``<break>`` is a pause.
6. An event at the same sample as the next one spans no audio (seen for the ``r`` of ``horse`` under
   SSML prosody): it is no phone.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np

from vgprobe.errors import InputError
from vgprobe.synth.espeak import Synthesis
from vgprobe.synth.phones import MERGE_INTO_PREVIOUS, STOPS, is_pause, strip_stress, to_arpabet

SILENCE_FRACTION = 0.01
MIN_PREVIOUS_S = 0.010
_BLOCK_S = 0.001


@dataclass(frozen=True)
class Phone:
    label: str  # ARPAbet (phones.ARPABET)
    start: float  # seconds
    end: float
    word: int  # index into Alignment.words


@dataclass(frozen=True)
class Word:
    text: str  # the text's word(s), lower case, punctuation removed; "on the" when merged
    start: float
    end: float
    merged: bool


@dataclass(frozen=True)
class Alignment:
    phones: tuple[Phone, ...]
    words: tuple[Word, ...]

    def shifted(self, offset: float) -> "Alignment":
        """The same alignment with every time moved by ``offset`` seconds."""
        return Alignment(
            tuple(Phone(p.label, p.start + offset, p.end + offset, p.word) for p in self.phones),
            tuple(Word(w.text, w.start + offset, w.end + offset, w.merged) for w in self.words),
        )


def text_words(text: str) -> list[tuple[int, str]]:
    """``(1-based start position, lower-case word)`` for each word of ``text`` (espeak's positions)."""
    return [(m.start() + 1, m.group().lower()) for m in re.finditer(r"[A-Za-z']+", text)]


def spoken_words(text: str, *, ssml: bool = False) -> list[tuple[int, str]]:
    """:func:`text_words` of the spoken text; SSML tags are blanked first, so positions stay espeak's.

    >>> spoken_words('<speak>a <prosody rate="90%">red</prosody> cat</speak>', ssml=True)
    [(8, 'a'), (30, 'red'), (44, 'cat')]
    """
    if ssml:
        text = re.sub(r"<[^>]*>", lambda m: " " * len(m.group()), text)
    return text_words(text)


def _closure_start(samples: np.ndarray, event: int, floor: int, threshold: float, block: int) -> int:
    """First sample of the silent run that ends at ``event`` (never before ``floor``)."""
    start = event
    while start - block >= floor and np.abs(samples[start - block : start]).max() <= threshold:
        start -= block
    return start


def align(synthesis: Synthesis, *, text: str, ssml: bool = False) -> Alignment:
    """Phone and word alignment (seconds from the start of ``synthesis.samples``) of ``text`` (SSML when ``ssml``)."""
    sr = synthesis.sample_rate
    n = len(synthesis.samples)
    events = list(synthesis.phonemes)
    if not events:
        raise InputError(f"espeak produced no phoneme events for {text!r}")
    starts = [min(max(e.sample, 0), n) for e in events] + [n]
    x = synthesis.samples.astype(np.float64)
    threshold = SILENCE_FRACTION * (np.abs(x).max() if n else 0.0)
    block = max(1, int(round(_BLOCK_S * sr)))
    min_prev = int(round(MIN_PREVIOUS_S * sr))

    # (label, start sample, end sample, text position) per phone, pauses dropped, ';' merged
    segs: list[list] = []
    for i, e in enumerate(events):
        if is_pause(e.name):
            continue
        if strip_stress(e.name) in MERGE_INTO_PREVIOUS:
            if segs and segs[-1][2] == starts[i]:
                segs[-1][2] = starts[i + 1]
                continue
            raise InputError(f"espeak transition {e.name!r} without a phone before it in {text!r}")
        label = to_arpabet(e.name, context=repr(text))
        start = starts[i]
        if label in STOPS and segs and segs[-1][2] == start:  # previous event is a phone, not a pause
            start = _closure_start(x, start, segs[-1][1] + min_prev, threshold, block)
            segs[-1][2] = start
        segs.append([label, start, starts[i + 1], e.text_position])
    segs = [seg for seg in segs if seg[2] > seg[1]]

    words_in_text = spoken_words(text, ssml=ssml)
    if not words_in_text:
        raise InputError(f"no words in text {text!r}")
    positions = [p for p, _ in words_in_text]

    def word_of(pos: int) -> int:
        idx = int(np.searchsorted(positions, pos, side="right")) - 1
        return max(idx, 0)

    groups: list[list[int]] = []  # text-word indices of each group
    group_of_word: dict[int, int] = {}
    for seg in segs:
        w = word_of(seg[3])
        if w not in group_of_word:
            group_of_word[w] = len(groups)
            groups.append([w])
        seg[3] = group_of_word[w]
    # a text word without phones was merged by espeak into the group before it
    for w in range(len(words_in_text)):
        if w in group_of_word:
            continue
        before = [g for ww, g in group_of_word.items() if ww < w]
        target = max(before) if before else 0
        if groups:
            groups[target].append(w)
    phones = tuple(Phone(lab, s / sr, e / sr, g) for lab, s, e, g in segs)
    words = []
    for g, members in enumerate(groups):
        mine = [p for p in phones if p.word == g]
        members = sorted(members)
        words.append(
            Word(
                " ".join(words_in_text[w][1] for w in members),
                mine[0].start,
                mine[-1].end,
                merged=len(members) > 1,
            )
        )
    return Alignment(phones, tuple(words))
