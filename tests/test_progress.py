"""Long work is never silent: a bar on a terminal, plain periodic lines anywhere else."""

from __future__ import annotations

import io

from vgprobe.progress import LineProgress, progress


class Clock:
    def __init__(self) -> None:
        self.t = 0.0

    def __call__(self) -> float:
        return self.t


def test_off_a_terminal_lines_come_every_interval_with_rate_and_eta():
    out, clock = io.StringIO(), Clock()
    bar = LineProgress(100, desc="train", unit="steps", interval=30.0, file=out, clock=clock)
    for _ in range(10):
        clock.t += 2.0
        bar.update(1)  # 20 s: no line yet
    assert out.getvalue() == ""
    for _ in range(10):
        clock.t += 2.0
        bar.set_postfix(loss="7.412")
        bar.update(1)
    line = out.getvalue().strip()
    assert line == "train: 15/100 steps (15 %), 0.5 steps/s, ETA 2 min 50 s, loss 7.412", line
    bar.close()
    assert out.getvalue().strip().splitlines()[-1].startswith("train: 20/100 steps (20 %), 0.5 steps/s, done in 40 s")


def test_auto_mode_chooses_lines_when_the_stream_is_not_a_terminal():
    out = io.StringIO()
    bar = progress(10, desc="extract", unit="audio-s", file=out)
    assert isinstance(bar, LineProgress) and bar.enabled
    bar.update(2.5)
    bar.close()
    assert out.getvalue().startswith("extract: 2.5/10 audio-s (25 %)")


def test_off_means_silent():
    out = io.StringIO()
    bar = progress(10, desc="x", mode="off", file=out)
    bar.update(10)
    bar.close()
    assert out.getvalue() == ""


def test_resumed_work_counts_its_rate_from_where_it_started():
    out, clock = io.StringIO(), Clock()
    bar = LineProgress(100, desc="train", unit="steps", initial=50, interval=10.0, file=out, clock=clock)
    clock.t = 10.0
    bar.update(10)
    assert "60/100 steps (60 %), 1 steps/s, ETA 40 s" in out.getvalue()
