"""Extraction as it runs on GPUs: several shards (torchrun ranks or ``--shard i/n``) sharing one output folder,
and float32 arithmetic without TF32 when ``--dtype float32`` runs on a CUDA device."""

from __future__ import annotations

import shutil
import threading
from pathlib import Path

import numpy as np
import pytest
import torch
import yaml

from vgprobe.errors import ConfigError
from vgprobe.extract import ExtractConfig, extract, writer
from vgprobe.extract import run as run_module

from test_extract import write_wavs

LAYERS = ("trm1.6", "trm2.1")


def run_extract(**kw):
    return extract(ExtractConfig(checkpoint="random:tiny", layers=LAYERS, **kw), log=lambda m: None)


def npy_files(root: Path) -> dict[str, bytes]:
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in sorted(root.rglob("*.npy"))}


@pytest.fixture
def old_run(tmp_path) -> tuple[Path, Path]:
    """A folder extracted with seed 0, plus a file no new run writes; the wavs it came from."""
    wavs = tmp_path / "wavs"
    write_wavs(wavs, [6000, 7000, 8000, 9000, 10000, 11000])
    out = tmp_path / "out"
    run_extract(data=wavs, out=out, seed=0)
    np.save(out / "trm1.6" / "old_only.npy", np.zeros((1, 1), np.float32))
    return wavs, out


def test_overwrite_with_two_shards_only_shard_0_replaces_the_folder(old_run, tmp_path, monkeypatch):
    """Shard 1 starts first and must wait (it may not delete); shard 0 replaces each layer folder; then both
    write their halves, and every file of both shards survives."""
    wavs, out = old_run
    deleted: list[tuple[str, Path]] = []
    real_rmtree = shutil.rmtree

    def recording_rmtree(path, *args, **kwargs):
        if Path(path).resolve().is_relative_to(out.resolve()):
            deleted.append((threading.current_thread().name, Path(path).name))
        return real_rmtree(path, *args, **kwargs)

    monkeypatch.setattr(shutil, "rmtree", recording_rmtree)
    shard_1_waits = threading.Event()
    real_pause = writer._pause

    def pause(seconds: float) -> None:
        shard_1_waits.set()
        real_pause(0.01)

    monkeypatch.setattr(writer, "_pause", pause)
    results: dict[int, object] = {}

    def shard(i: int) -> None:
        try:
            results[i] = run_extract(data=wavs, out=out, seed=1, overwrite=True, shard=(i, 2))
        except BaseException as exc:  # noqa: BLE001 - reported by the main thread
            results[i] = exc

    one = threading.Thread(target=shard, args=(1,), name="shard-1")
    one.start()
    assert shard_1_waits.wait(timeout=120), "shard 1 did not wait for shard 0"
    zero = threading.Thread(target=shard, args=(0,), name="shard-0")
    zero.start()
    zero.join()
    one.join()
    for i in (0, 1):
        assert not isinstance(results[i], BaseException), results[i]
    assert sorted(deleted) == [("shard-0", "trm1.6"), ("shard-0", "trm2.1")]
    reference = tmp_path / "reference"  # the same two shards, one after the other, into a new folder
    for i in (0, 1):
        run_extract(data=wavs, out=reference, seed=1, shard=(i, 2))
    assert npy_files(out) == npy_files(reference)  # both halves, new model, the old-only file gone
    meta = yaml.safe_load((out / "trm1.6" / "meta.yaml").read_text())
    assert "seed 1" in meta["vgprobe"]["settings"]["model"]
    assert not list(out.glob(".*.replacing"))


def test_a_later_shard_gives_up_with_a_clear_message_when_shard_0_never_replaces(old_run):
    wavs, out = old_run
    before = npy_files(out)
    with pytest.raises(ConfigError, match=r"shard 0.*--overwrite"):
        run_extract(data=wavs, out=out, seed=1, overwrite=True, shard=(1, 2), shard_wait_seconds=0.2)
    assert npy_files(out) == before  # nothing deleted, nothing written


def test_each_shard_removes_only_temporaries_of_its_own_files(old_run):
    """A killed run's temporaries are removed by the shard that owns the file: another shard may be writing
    its own at that moment, possibly from another machine, where process ids say nothing."""
    wavs, out = old_run
    folder = out / "trm1.6"
    own = folder / ".utt000.npy.999999999.tmp"  # utt000 belongs to shard 0 of 2 (every 2nd file of the list)
    other = folder / ".utt001.npy.999999999.tmp"
    own.write_bytes(b"partial")
    other.write_bytes(b"partial")
    run_extract(data=wavs, out=out, seed=0, shard=(0, 2))
    assert not own.exists() and other.exists()


def test_float32_extraction_on_a_gpu_runs_without_tf32(tmp_path, monkeypatch):
    """``--dtype float32`` promises float32 numbers: on CUDA, TF32 matmuls and convolutions (10-bit mantissa)
    are turned off while the model runs, and the process's settings are restored afterwards. ``bfloat16`` is
    the explicit fast path and leaves them alone. (The model stays on the CPU: only the device name is CUDA.)"""
    write_wavs(tmp_path / "wavs", [8000])
    seen: list[tuple[bool, bool]] = []
    real_load = run_module.load_encoder

    def load_on_fake_gpu(checkpoint, **kw):
        enc = real_load(checkpoint, **kw)
        real_compute = enc.compute

        def compute(wavs, layers):
            seen.append((torch.backends.cuda.matmul.allow_tf32, torch.backends.cudnn.allow_tf32))
            return real_compute(wavs, layers)

        enc.compute = compute
        enc.to = lambda device: enc
        return enc

    monkeypatch.setattr(run_module, "load_encoder", load_on_fake_gpu)
    before = torch.backends.cuda.matmul.allow_tf32, torch.backends.cudnn.allow_tf32
    torch.backends.cuda.matmul.allow_tf32 = torch.backends.cudnn.allow_tf32 = True
    try:
        run_extract(data=tmp_path / "wavs", out=tmp_path / "fp32", device="cuda:0")
        assert seen == [(False, False)]
        assert torch.backends.cuda.matmul.allow_tf32 and torch.backends.cudnn.allow_tf32
        seen.clear()
        run_extract(data=tmp_path / "wavs", out=tmp_path / "bf16", device="cuda", dtype="bfloat16")
        run_extract(data=tmp_path / "wavs", out=tmp_path / "cpu", device="cpu")
        assert seen == [(True, True), (True, True)]
    finally:
        torch.backends.cuda.matmul.allow_tf32, torch.backends.cudnn.allow_tf32 = before
