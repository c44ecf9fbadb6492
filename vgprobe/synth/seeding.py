"""Independent random streams, one per purpose and item, so no draw depends on another's order.

    >>> rng = stream(seed=0, name="channel", keys=(17,))     # the channel draws of job 17
    >>> rng.uniform()                                          # doctest: +SKIP

A stream is a function of ``(seed, name, keys)`` only: adding draws to one purpose never shifts the
draws of another, and results do not depend on the order in which items are processed (or on how
many worker processes there are).
"""

from __future__ import annotations

import zlib

import numpy as np


def stream(*, seed: int, name: str, keys: tuple[int, ...] = ()) -> np.random.Generator:
    """A numpy generator seeded by ``seed``, the purpose ``name`` and the non-negative integers ``keys``."""
    entropy = [zlib.crc32(name.encode()), seed % 2**64, *keys]
    return np.random.default_rng(np.random.SeedSequence(entropy))
