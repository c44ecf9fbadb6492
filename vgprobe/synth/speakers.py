"""Synthetic speakers: espeak voice × variant × pitch × rate, drawn deterministically from a seed.

    >>> pick_speakers(rng, n=2, pool="clean", first_id=100)      # doctest: +SKIP
    [Speaker(name='100', voice='en-us', variant='f2', pitch=58, rate=168), ...]

Pools (all English voices, so every phone maps to the same ARPAbet inventory):

- ``clean``: ``en-us``, ``en``, ``en-gb-x-rp``, ``en-us-nyc`` with ordinary male/female variants
  (``m1``–``m7``, ``f1``, ``f4``, ``linda``, ``belinda``, ``john``), pitch 35–65, rate 150–185 words
  per minute;
- ``other`` (harder): ``en-gb-scotland``, ``en-029``, ``en-gb-x-gbclan``, ``en-gb-x-gbcwmd`` with
  unusual variants (Klatt synthesis, creaky, robotic, elderly), pitch 20–80, rate 200–250.

Voice families (:data:`FAMILIES`): the variants a speaker may alternate between under the
``realistic`` difficulty (:func:`speaker_variants`): same pool, same gender (or, for Klatt synthesis,
the same synthesiser), so a speaker keeps one accent and one kind of voice.

Variants with ``breath`` noise (``f2``, ``f3``, ``f5``, ``whisper``, ...) are left out on purpose:
libespeak-ng 1.52 gives them different samples from one fresh process to the next (measured: 4 runs of
the same job list), which would break byte-identical rebuilds. Reseeding the C library's ``rand()``
before each utterance does not help.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from typing import Literal

from vgprobe.errors import ConfigError

POOLS: dict[str, dict] = {
    "clean": {
        "voices": ("en-us", "en", "en-gb-x-rp", "en-us-nyc"),
        "variants": ("m1", "m2", "m3", "m4", "m5", "m6", "m7", "f1", "f4", "linda", "belinda", "john"),
        "pitch": (35, 65),
        "rate": (150, 185),
    },
    "other": {
        "voices": ("en-gb-scotland", "en-029", "en-gb-x-gbclan", "en-gb-x-gbcwmd"),
        "variants": ("klatt", "klatt2", "klatt3", "croak", "robert", "grandma", "grandpa", "iven3", "steph"),
        "pitch": (20, 80),
        "rate": (200, 250),
    },
}


FAMILIES: tuple[tuple[str, ...], ...] = (
    ("m1", "m2", "m3", "m4", "m5", "m6", "m7", "john"),
    ("f1", "f4", "linda", "belinda"),
    ("klatt", "klatt2", "klatt3"),
    ("croak", "robert", "grandpa", "iven3"),
    ("grandma", "steph"),
)


@dataclass(frozen=True)
class Speaker:
    name: str  # the speaker id written in item files and file names
    voice: str
    variant: str | None
    pitch: int
    rate: int

    @property
    def label(self) -> str:
        """espeak's ``voice+variant`` spelling, e.g. ``en-us+f2``."""
        return self.voice if self.variant is None else f"{self.voice}+{self.variant}"


def pick_speakers(rng: random.Random, *, n: int, pool: Literal["clean", "other"], first_id: int) -> list[Speaker]:
    """``n`` distinct (voice, variant) pairs from ``pool``, with pitch and rate drawn from its ranges."""
    spec = POOLS[pool]
    combos = [(v, var) for v in spec["voices"] for var in spec["variants"]]
    if not 1 <= n <= len(combos):
        raise ConfigError(f"--speakers must be between 1 and {len(combos)} for the {pool} pool, got {n}")
    chosen = rng.sample(combos, n)
    return [
        Speaker(str(first_id + i), v, var, rng.randint(*spec["pitch"]), rng.randint(*spec["rate"]))
        for i, (v, var) in enumerate(chosen)
    ]


def family(variant: str | None) -> tuple[str, ...]:
    """The voice family of ``variant`` (:data:`FAMILIES`); a variant in none is a family of its own."""
    for fam in FAMILIES:
        if variant in fam:
            return fam
    return (variant,) if variant is not None else ()


def speaker_variants(rng: random.Random, speaker: Speaker, *, n: int) -> tuple[str | None, ...]:
    """The speaker's own variant first, then up to ``n - 1`` others of its family, drawn with ``rng``."""
    others = [v for v in family(speaker.variant) if v != speaker.variant]
    return (speaker.variant, *rng.sample(others, min(n - 1, len(others))))
