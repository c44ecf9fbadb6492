"""Variability inside a speaker: each utterance of a speaker is said a little differently.

One call of :func:`utterance_job` draws, from ``rng`` and the ranges of :class:`conditions.ProsodyRanges`:

- the espeak variant, among the speaker's (``speakers.speaker_variants``), with the preset's weights;
- the utterance's rate (log-normal around the speaker's), pitch and pitch range (normal, clipped to
  espeak's 0..100);
- per word: a rate and a pitch change (SSML ``<prosody rate="93%" pitch="+4%">``), and at each word
  boundary, now and then, a pause (``<break time="120ms"/>``). Punctuation between words is kept
  (espeak pauses at commas as before).

    >>> job = utterance_job("a red cat, a dog", speaker=spk, variants=("m3", "m1"),
    ...                     ranges=cond.prosody, rng=np.random.default_rng(0), seed=7)   # doctest: +SKIP
    >>> job.text
    '<speak><prosody rate="104%" pitch="-3%">a</prosody> <prosody rate="91%" pitch="+6%">red</prosody>...'

The alignment comes from espeak's own events, so it stays exact whatever is drawn
(``alignment.spoken_words`` finds the words inside the markup).
"""

from __future__ import annotations

import math
import re
from xml.sax.saxutils import escape

import numpy as np

from vgprobe.synth.conditions import ProsodyRanges
from vgprobe.synth.speakers import Speaker
from vgprobe.synth.worker import Job

MIN_RATE, MAX_RATE = 80, 450  # espeak's usable words-per-minute range


def _clip(x: float, lo: int, hi: int) -> int:
    return int(min(max(round(x), lo), hi))


def ssml_text(text: str, *, ranges: ProsodyRanges, rng: np.random.Generator) -> str:
    """``text`` as SSML with a drawn ``<prosody>`` per word and drawn ``<break>`` pauses between words."""
    words = list(re.finditer(r"[A-Za-z']+", text))
    parts = ["<speak>", escape(text[: words[0].start()] if words else text)]
    for i, m in enumerate(words):
        rate = round(100.0 * math.exp(rng.normal(0.0, ranges.word_rate_sd)))
        pitch = round(rng.normal(0.0, ranges.word_pitch_sd))
        parts.append(f'<prosody rate="{rate}%" pitch="{pitch:+d}%">{escape(m.group())}</prosody>')
        end = words[i + 1].start() if i + 1 < len(words) else len(text)
        between = text[m.end() : end]
        if i + 1 < len(words) and rng.uniform() < ranges.pause_probability:
            ms = int(rng.integers(ranges.pause_ms[0], ranges.pause_ms[1] + 1))
            between = f'{escape(between)}<break time="{ms}ms"/>'
        else:
            between = escape(between)
        parts.append(between)
    parts.append("</speak>")
    return "".join(parts)


def utterance_job(
    text: str,
    *,
    speaker: Speaker,
    variants: tuple[str | None, ...],
    ranges: ProsodyRanges,
    rng: np.random.Generator,
    seed: int,
) -> Job:
    """The espeak job of one utterance of ``speaker`` (``seed`` seeds the dither, as for any job)."""
    weights = np.asarray(ranges.variant_weights[: len(variants)], dtype=np.float64)
    variant = variants[int(rng.choice(len(variants), p=weights / weights.sum()))]
    pitch = _clip(speaker.pitch + rng.normal(0.0, ranges.pitch_sd), 0, 100)
    rate = _clip(speaker.rate * math.exp(rng.normal(0.0, ranges.rate_sd)), MIN_RATE, MAX_RATE)
    pitch_range = _clip(rng.normal(ranges.range_mean, ranges.range_sd), 0, 100)
    return Job(
        text=ssml_text(text, ranges=ranges, rng=rng),
        voice=speaker.voice,
        variant=variant,
        pitch=pitch,
        rate=rate,
        seed=seed,
        pitch_range=pitch_range,
        ssml=True,
    )
