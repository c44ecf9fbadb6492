"""Numbered, timed stage lines of a pipeline: ``[2/5] extract trained: ...`` then ``    done in 3.1 s``."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TypeVar

_T = TypeVar("_T")


class Stages:
    """Numbered stage lines: ``[2/5] extract trained: ...`` then ``    done in 3.1 s``; ``times`` holds
    (name, seconds) of each stage run. With ``total`` None the numbers stand alone: ``[2] ...``."""

    def __init__(self, total: int | None, log: Callable[[str], None]) -> None:
        self.total, self.log = total, log
        self.times: list[tuple[str, float]] = []

    def run(self, name: str, what: str, fn: Callable[[], _T]) -> _T:
        number = len(self.times) + 1
        self.log(f"[{number}/{self.total}] {name}: {what}" if self.total is not None else f"[{number}] {name}: {what}")
        t0 = time.perf_counter()
        result = fn()
        dt = time.perf_counter() - t0
        self.times.append((name, dt))
        self.log(f"    done in {dt:.1f} s")
        return result


class UncountedStages(Stages):
    """:class:`Stages` whose lines carry no total: ``[2] train: ...``."""

    def __init__(self, log: Callable[[str], None]) -> None:
        super().__init__(None, log)
