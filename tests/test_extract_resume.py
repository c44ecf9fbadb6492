"""Killing `vgprobe extract` at any moment and re-running yields exactly one uninterrupted run's files."""

from __future__ import annotations

import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import soundfile as sf

from vgprobe.extract import ExtractConfig, extract


def test_a_killed_extraction_resumes_to_the_uninterrupted_result(tmp_path):
    rng = np.random.default_rng(0)
    wavs = tmp_path / "wavs"
    wavs.mkdir()
    n_files = 40
    for i in range(n_files):
        n = int(rng.integers(8000, 24000))
        sf.write(wavs / f"u{i:03d}.wav", (0.1 * rng.standard_normal(n)).astype(np.float32), 16000, subtype="FLOAT")
    common = dict(checkpoint="random:tiny", data=wavs, layers=("trm1.6", "trm2.1"), batch_seconds=3.0)
    extract(ExtractConfig(out=tmp_path / "reference", **common), log=lambda m: None)

    cmd = [sys.executable, "-m", "vgprobe", "extract", "--checkpoint", "random:tiny", "--data", str(wavs),
           "--out", str(tmp_path / "killed"), "--layer", "trm1.6,trm2.1", "--batch-seconds", "3", "--no-progress"]
    # same thread count as this process: float sums are only bit-identical for the same threading
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    target = tmp_path / "killed" / "trm1.6"
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and proc.poll() is None:
        if target.is_dir() and len(list(target.glob("*.npy"))) >= 3:
            break
        time.sleep(0.01)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    done_before = len(list(target.glob("*.npy")))
    assert 3 <= done_before < n_files, f"the kill came too late or too early ({done_before} files)"

    res = extract(ExtractConfig(out=tmp_path / "killed", **common), log=lambda m: None)
    assert res.n_reused >= 1 and res.n_computed >= 1

    def files(root: Path) -> dict[str, bytes]:
        return {p.relative_to(root).as_posix(): p.read_bytes() for p in root.rglob("*") if p.is_file()
                and p.suffix == ".npy"}

    assert files(tmp_path / "killed") == files(tmp_path / "reference")
    assert not list((tmp_path / "killed").rglob("*.tmp")), "temporary files of the killed run were left behind"
