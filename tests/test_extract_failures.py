"""A failed or refused extraction leaves nothing behind, or only what a resume needs, marked as incomplete;
the summary never reports a rate for work that was not done."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

from vgprobe.cli import main
from vgprobe.errors import InputError
from vgprobe.extract import ExtractConfig, extract
from vgprobe.zerospeech.features import INCOMPLETE_MARKER, index_feature_files, incomplete_shards

from test_extract import write_wavs


def _cfg(data: Path, out: Path, **kw) -> ExtractConfig:
    return ExtractConfig(**(dict(checkpoint="random:tiny", data=data, out=out, layers=("trm1.2",)) | kw))


@pytest.mark.parametrize("bad", ["stereo", "unreadable", "empty"])
def test_a_refused_run_writes_nothing(tmp_path, bad):
    data = tmp_path / "wavs"
    write_wavs(data, [8000, 9000])
    path = data / "zz_bad.wav"
    if bad == "stereo":
        sf.write(path, np.zeros((8000, 2), np.float32), 16000)
    elif bad == "unreadable":
        path.write_bytes(b"RIFF not really a wav")
    else:
        sf.write(path, np.zeros(0, np.float32), 16000)
    out = tmp_path / "feats"
    with pytest.raises(InputError, match="zz_bad.wav"):
        extract(_cfg(data, out), log=lambda m: None)
    assert not out.exists() or not any(out.rglob("*")), sorted(out.rglob("*"))


def test_a_run_that_fails_midway_keeps_its_features_marked_incomplete_and_a_rerun_finishes(tmp_path, monkeypatch):
    data = tmp_path / "wavs"
    write_wavs(data, [8000] * 4)
    out = tmp_path / "feats"
    import vgprobe.extract.run as run

    real = run.read_audio
    calls = {"n": 0}

    def flaky(path, **kw):  # the header was fine; reading the third file fails
        calls["n"] += 1
        if calls["n"] == 3:
            raise OSError("disk went away")
        return real(path, **kw)

    monkeypatch.setattr(run, "read_audio", flaky)
    with pytest.raises(OSError):
        extract(_cfg(data, out, batch_seconds=0.5), log=lambda m: None)
    layer = out / "trm1.2"
    assert incomplete_shards(layer) == ["0/1"] and len(list(layer.rglob("*.npy"))) == 2
    with pytest.raises(InputError, match="has not finished"):
        index_feature_files(layer)  # scorers refuse the unfinished folder
    monkeypatch.setattr(run, "read_audio", real)
    res = extract(_cfg(data, out, batch_seconds=0.5), log=lambda m: None)
    assert (res.n_computed, res.n_reused) == (2, 2)
    assert incomplete_shards(layer) == [] and not list(layer.glob(f"{INCOMPLETE_MARKER}*"))
    assert len(index_feature_files(layer)) == 4


def test_a_fully_cached_rerun_says_so_instead_of_a_rate(tmp_path, capsys):
    data = tmp_path / "wavs"
    write_wavs(data, [8000, 12000])
    argv = ["extract", "--checkpoint", "random:tiny", "--data", str(data), "--out", str(tmp_path / "f"),
            "--layer", "trm1.2", "--no-progress"]
    assert main(argv) == 0
    first = capsys.readouterr().out
    assert "2 files computed" in first and "1.2 s of audio computed" in first
    assert main(argv) == 0
    again = capsys.readouterr().out
    assert again.startswith("all 2 files already done") and "audio-s/s" not in again
