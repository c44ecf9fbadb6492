"""Progress of long work, on a terminal and off it.

On a terminal a tqdm bar; elsewhere (CI logs, ``nohup``, a notebook's captured stderr) tqdm's bar is either
invisible or a wall of carriage returns, so long work would look silent. There :class:`LineProgress` prints
one plain line every ``interval`` seconds and one at the end::

    train: 120/600 steps (20 %), 1.9 steps/s, ETA 4 min 13 s, loss 7.412

Example::

    with progress(total=600, desc="train", unit="steps") as bar:
        for _ in range(600):
            bar.update(1)
            bar.set_postfix(loss=f"{loss:.3f}")

``mode``: ``"auto"`` (a bar on a terminal, lines otherwise), ``"bar"``, ``"lines"`` or ``"off"``.
"""

from __future__ import annotations

import sys
import time
from typing import IO, Any, Literal

Mode = Literal["auto", "bar", "lines", "off"]
LINE_INTERVAL = 30.0  # seconds between plain progress lines


def progress(
    total: float | None,
    *,
    desc: str,
    unit: str = "it",
    mode: Mode = "auto",
    initial: float = 0,
    interval: float = LINE_INTERVAL,
    file: IO[str] | None = None,
):
    """A progress reporter with tqdm's ``update``/``set_postfix``/``close`` (see the module docstring)."""
    file = sys.stderr if file is None else file
    if mode == "auto":
        mode = "bar" if _isatty(file) else "lines"
    if mode == "bar":
        from tqdm.auto import tqdm

        return tqdm(total=total, initial=initial, desc=desc, unit=unit, file=file, dynamic_ncols=True)
    return LineProgress(total, desc=desc, unit=unit, initial=initial, interval=interval, file=file,
                        enabled=mode == "lines")


def as_mode(progress: bool | Mode) -> Mode:
    """A library ``progress`` argument as a mode: True → ``"auto"``, False → ``"off"``, a mode as it is."""
    if progress is True:
        return "auto"
    return "off" if progress is False else progress


def mode_from_flag(flag: bool | None) -> Mode:
    """``--progress`` → bar or lines (whichever suits stderr), ``--no-progress`` → off, no flag → auto."""
    return "off" if flag is False else "auto"


class LineProgress:
    """Plain progress lines (stage, done/total, percent, rate, ETA, postfix), at most one per ``interval``."""

    def __init__(self, total: float | None, *, desc: str, unit: str, initial: float = 0, interval: float,
                 file: IO[str], enabled: bool = True, clock=time.monotonic) -> None:
        self.total, self.desc, self.unit, self.interval, self.file = total, desc, unit, interval, file
        self.enabled, self.clock = enabled, clock
        self.n = self.start_n = initial
        self.t0 = self.t_last = clock()
        self.postfix: dict[str, Any] = {}
        self.closed = False

    def __enter__(self) -> "LineProgress":
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def update(self, n: float = 1) -> None:
        self.n += n
        now = self.clock()
        if now - self.t_last >= self.interval:
            self.t_last = now
            self._print(now)

    def set_postfix(self, **kwargs: Any) -> None:
        self.postfix = kwargs

    def close(self) -> None:
        if not self.closed:
            self.closed = True
            self._print(self.clock(), final=True)

    def line(self, now: float, *, final: bool = False) -> str:
        done = self.n - self.start_n
        elapsed = max(now - self.t0, 1e-9)
        rate = done / elapsed
        parts = [f"{self.desc}: {_num(self.n)}" + (f"/{_num(self.total)}" if self.total else "") + f" {self.unit}"]
        if self.total:
            parts[0] += f" ({100 * min(self.n / self.total, 1.0):.0f} %)"
        parts.append(f"{rate:.3g} {self.unit}/s")
        if final:
            parts.append(f"done in {_duration(elapsed)}")
        elif self.total and rate > 0:
            parts.append(f"ETA {_duration(max(self.total - self.n, 0) / rate)}")
        parts += [f"{k} {v}" for k, v in self.postfix.items()]
        return ", ".join(parts)

    def _print(self, now: float, *, final: bool = False) -> None:
        if self.enabled:
            print(self.line(now, final=final), file=self.file, flush=True)


def _isatty(f: IO[str]) -> bool:
    try:
        return f.isatty()
    except (AttributeError, ValueError):
        return False


def _num(x: float) -> str:
    return f"{x:.0f}" if float(x).is_integer() or x >= 100 else f"{x:.1f}"


def _duration(seconds: float) -> str:
    s = int(round(seconds))
    if s < 60:
        return f"{s} s"
    if s < 3600:
        return f"{s // 60} min {s % 60} s"
    return f"{s // 3600} h {s % 3600 // 60} min"
