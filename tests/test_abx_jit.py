"""The first ABX run says that it compiles; later runs, which load numba's on-disk cache, say nothing."""

import importlib
import sys

import pytest

from vgprobe.zerospeech.abx import jit

KERNEL = "import numba\n\n@numba.njit(cache=True)\ndef add_one(x):\n    return x + 1\n"


@pytest.fixture
def fresh_kernel_module(tmp_path, monkeypatch):
    (tmp_path / "abx_jit_probe.py").write_text(KERNEL)
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.setattr(jit, "_announced", False)
    sys.modules.pop("abx_jit_probe", None)
    yield importlib.import_module("abx_jit_probe")
    sys.modules.pop("abx_jit_probe", None)


def test_cold_cache_is_announced_once_then_warm_cache_is_silent(fresh_kernel_module, capsys):
    module = fresh_kernel_module
    assert not jit.is_cached(module.add_one)
    assert jit.announce_compilation(module.add_one)
    assert capsys.readouterr().err == jit.MESSAGE + "\n"
    assert module.add_one(1) == 2
    assert not jit.announce_compilation(module.add_one)  # once per process
    reloaded = importlib.reload(module)  # a new dispatcher, as in a new process: the code comes from disk
    assert not reloaded.add_one.signatures and jit.is_cached(reloaded.add_one)


def test_the_engine_kernels_use_the_on_disk_cache():
    from vgprobe.zerospeech.abx import engine, pairs

    for kernel in (engine.within_speaker, engine.across_speaker, pairs.across_by_unit_pairs):
        assert kernel._cache.__class__.__name__ == "FunctionCache"  # cache=True, not numba's NullCache
