"""The process-group setup and the global batch statistics of Conv2's BatchNorm, checked in one process."""

from datetime import timedelta

import pytest
import torch

from vgprobe.train import distributed
from vgprobe.train.distributed import (
    DEFAULT_COLLECTIVE_TIMEOUT,
    GlobalBatchNorm2d,
    combine_moments,
    init_world,
    local_moments,
    use_global_batchnorm,
)

from vgcorpus_data import SMALL_MODEL


@pytest.fixture
def torchrun_env(monkeypatch):
    """Rank 1 of 2 as torchrun starts it, with the process-group creation recorded instead of performed."""
    calls = []
    monkeypatch.setenv("WORLD_SIZE", "2")
    monkeypatch.setenv("RANK", "1")
    monkeypatch.setenv("LOCAL_RANK", "1")
    monkeypatch.setattr(distributed.dist, "is_initialized", lambda: False)
    monkeypatch.setattr(distributed.dist, "init_process_group", lambda **kw: calls.append(kw))
    return calls


def test_the_process_group_waits_two_hours_by_default_for_rank_0s_validation(torchrun_env):
    world = init_world("cpu")
    assert (world.rank, world.size) == (1, 2)
    assert torchrun_env == [{"backend": "gloo", "timeout": timedelta(hours=2)}]
    assert DEFAULT_COLLECTIVE_TIMEOUT == timedelta(hours=2)


def test_the_collective_timeout_is_configurable(torchrun_env):
    init_world("cpu", collective_timeout=timedelta(minutes=30))
    assert torchrun_env[0]["timeout"] == timedelta(minutes=30)
    with pytest.raises(Exception, match="collective timeout"):
        init_world("cpu", collective_timeout=timedelta(0))


def test_batch_moments_of_bf16_activations_are_computed_in_float32():
    """Large-mean bf16 activations (as Conv2 gives under autocast): E[x²] − E[x]² in bf16 loses the variance
    to cancellation; the moments must match a float64 computation on the same (bf16) values."""
    g = torch.Generator().manual_seed(0)
    x = (500.0 + 20.0 * torch.randn(6, 4, 1, 50, generator=g)).to(torch.bfloat16)
    ref = x.double().transpose(0, 1).reshape(4, -1)
    mean, var, n = combine_moments([local_moments(x)])
    assert mean.dtype == var.dtype == torch.float32 and float(n) == 6 * 50
    torch.testing.assert_close(mean.double(), ref.mean(1), rtol=1e-6, atol=0)
    torch.testing.assert_close(var.double(), ref.var(1, unbiased=False), rtol=1e-5, atol=0)
    # the one-pass bf16 formula the statistics must not use: visibly wrong on the same input
    s1, s2 = x.sum(dim=(0, 2, 3)), (x * x).sum(dim=(0, 2, 3))
    naive = s2 / (6 * 50) - (s1 / (6 * 50)) ** 2
    assert (naive.double() - ref.var(1, unbiased=False)).abs().max() > 10


def test_moments_of_parts_combine_to_the_moments_of_the_whole():
    """What each process contributes (its count, mean and squared deviations) combines exactly."""
    g = torch.Generator().manual_seed(1)
    x = 3.0 + torch.randn(5, 3, 1, 40, generator=g, dtype=torch.float64)
    parts = [local_moments(x[:2]), local_moments(x[2:])]
    mean, var, n = combine_moments(parts)
    ref = x.transpose(0, 1).reshape(3, -1)
    assert float(n) == 5 * 40
    torch.testing.assert_close(mean.double(), ref.mean(1), rtol=1e-6, atol=0)
    torch.testing.assert_close(var.double(), ref.var(1, unbiased=False), rtol=1e-5, atol=0)


def test_global_batchnorm_returns_the_input_dtype_normalised_in_float32():
    torch.manual_seed(0)
    bn = GlobalBatchNorm2d(4).train()
    with torch.no_grad():
        bn.weight.copy_(torch.tensor([1.0, 2.0, 0.5, 1.5]))
        bn.bias.copy_(torch.tensor([0.0, 1.0, -1.0, 0.5]))
    x = (500.0 + 20.0 * torch.randn(6, 4, 1, 50)).to(torch.bfloat16)
    y = bn.normalise(x, gather=lambda t: [t])  # one process: the gather is the identity
    assert y.dtype == torch.bfloat16
    xd = x.double()
    mean = xd.mean(dim=(0, 2, 3), keepdim=True)
    var = xd.var(dim=(0, 2, 3), unbiased=False, keepdim=True)
    want = (xd - mean) / torch.sqrt(var + bn.eps) * bn.weight.double()[:, None, None] + bn.bias.double()[:, None, None]
    torch.testing.assert_close(y.double(), want.to(torch.bfloat16).double(), rtol=1e-2, atol=2e-2)
    # running statistics as nn.BatchNorm2d keeps them: momentum 0.1, unbiased variance
    torch.testing.assert_close(bn.running_mean.double(), 0.1 * mean.flatten(), rtol=1e-6, atol=0)
    n = 6 * 50
    torch.testing.assert_close(bn.running_var.double(), 0.9 + 0.1 * var.flatten() * n / (n - 1), rtol=1e-5, atol=0)
    assert int(bn.num_batches_tracked) == 1


def test_gpu_process_groups_use_pytorchs_sync_batchnorm_on_the_same_tensors():
    from vgprobe.fastvgs import FaSTVGS, FaSTVGSConfig

    def model():
        torch.manual_seed(0)
        return FaSTVGS(FaSTVGSConfig.from_dict(SMALL_MODEL))

    m = model()
    params = {n: p for n, p in m.named_parameters()}
    keys = list(m.state_dict())
    use_global_batchnorm(m, device=torch.device("cuda", 0))
    kinds = {type(x) for x in m.modules() if isinstance(x, torch.nn.modules.batchnorm._BatchNorm)}
    assert kinds == {torch.nn.SyncBatchNorm}
    assert list(m.state_dict()) == keys
    assert all(p is params[n] for n, p in m.named_parameters())  # the optimiser keeps its parameters

    cpu = use_global_batchnorm(model(), device=torch.device("cpu"))  # gloo: vgprobe's own global BatchNorm
    kinds = {type(x) for x in cpu.modules() if isinstance(x, torch.nn.modules.batchnorm._BatchNorm)}
    assert kinds == {GlobalBatchNorm2d}


def test_the_train_command_passes_its_collective_timeout(monkeypatch, tmp_path, capsys):
    import vgprobe.train
    from vgprobe.cli import main

    seen = {}
    monkeypatch.setattr(vgprobe.train, "train", lambda *a, **kw: seen.update(kw) or tmp_path / "best")
    args = ["train", "--recipe", "tiny", "--data", str(tmp_path), "--out", str(tmp_path / "run")]
    assert main(args + ["--collective-timeout-minutes", "30"]) == 0
    assert seen["collective_timeout"] == timedelta(minutes=30)
    assert main(args) == 0 and seen["collective_timeout"] == DEFAULT_COLLECTIVE_TIMEOUT
