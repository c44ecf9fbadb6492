"""One process per device under torchrun, and gathering across processes with gradients.

The contrastive losses are computed over the GLOBAL batch: each process gathers the embeddings and image
sequences of every process (:func:`gather_cat`, differentiable), scores its own captions against all
images, gathers the score rows, and computes the same global loss. The gather's backward sums the
gradients of all processes, and DistributedDataParallel averages parameter gradients over processes, so
N processes take exactly the step one process would take on the whole batch.

Example (under ``torchrun --nproc_per_node 2``)::

    world = init_world()             # World(rank=0, size=2, device=cpu), process group ready (gloo on CPU)
    all_coarse = gather_cat(coarse, world)      # (B_local, D) -> (B_global, D), gradients flow back

Validation runs on rank 0 alone while the other processes wait for it at a barrier; on SpokenCOCO's val split
(25k captions) that wait is far longer than PyTorch's default collective timeout (10 minutes with NCCL), after
which the waiting ranks would abort the run. The process group is therefore created with a timeout of
:data:`DEFAULT_COLLECTIVE_TIMEOUT` (2 hours), which ``collective_timeout`` changes. (A hung process is then also
noticed only after that time.)
"""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import timedelta

import torch
import torch.distributed as dist

from vgprobe.errors import ConfigError

DEFAULT_COLLECTIVE_TIMEOUT = timedelta(hours=2)


@dataclass(frozen=True)
class World:
    rank: int
    size: int
    device: torch.device

    @property
    def is_main(self) -> bool:
        return self.rank == 0

    @property
    def distributed(self) -> bool:
        return self.size > 1


def init_world(device: str | None = None, *, collective_timeout: timedelta = DEFAULT_COLLECTIVE_TIMEOUT) -> World:
    """The process's place in the run: from torchrun's environment (RANK, WORLD_SIZE, LOCAL_RANK) when
    WORLD_SIZE > 1 — the process group is initialised (NCCL on GPU, gloo on CPU) with ``collective_timeout``
    as the longest wait of any collective, barriers included — else one process."""
    if collective_timeout <= timedelta(0):
        raise ConfigError(f"the collective timeout must be positive, got {collective_timeout}")
    size = int(os.environ.get("WORLD_SIZE", "1"))
    want = device or ("cuda" if torch.cuda.is_available() else "cpu")
    if size <= 1:
        return World(0, 1, torch.device(want))
    rank, local = int(os.environ["RANK"]), int(os.environ.get("LOCAL_RANK", "0"))
    if want.startswith("cuda"):
        if torch.cuda.device_count() <= local:
            raise ConfigError(f"LOCAL_RANK {local} but only {torch.cuda.device_count()} GPUs are visible")
        dev = torch.device("cuda", local)
        torch.cuda.set_device(dev)
        backend = "nccl"
    else:
        dev, backend = torch.device("cpu"), "gloo"
    if not dist.is_initialized():
        dist.init_process_group(backend=backend, timeout=collective_timeout)
    return World(rank, size, dev)


def gather_cat(x: torch.Tensor, world: World) -> torch.Tensor:
    """Concatenate ``x`` of every process along dim 0, in rank order, with gradients.

    Dims beyond 0 must agree except dim 1, which is zero-padded to the longest (for sequences; pad a
    matching key mask with :func:`gather_padding`)."""
    if not world.distributed:
        return x
    x = _pad_dim1(x, _max_dim1(x, world))
    import torch.distributed.nn.functional as dfn

    return torch.cat(dfn.all_gather(x.contiguous()), dim=0)


def gather_padding(mask: torch.Tensor, world: World) -> torch.Tensor:
    """Gather a (B, S) bool key mask (True = masked), padding with True to the longest S."""
    if not world.distributed:
        return mask
    s = _max_dim1(mask, world)
    m = torch.nn.functional.pad(mask.to(torch.uint8), (0, s - mask.shape[1]), value=1)
    parts = [torch.empty_like(m) for _ in range(world.size)]
    dist.all_gather(parts, m)
    return torch.cat(parts).bool()


def gather_plain(x: torch.Tensor, world: World) -> torch.Tensor:
    """Concatenate equal-shaped tensors of every process along dim 0 (no gradients)."""
    if not world.distributed:
        return x
    parts = [torch.empty_like(x) for _ in range(world.size)]
    dist.all_gather(parts, x.contiguous())
    return torch.cat(parts)


def gather_objects(obj: object, world: World) -> list:
    """``obj`` of every process (picklable), in rank order, on every process."""
    if not world.distributed:
        return [obj]
    out: list = [None] * world.size
    dist.all_gather_object(out, obj)
    return out


def barrier(world: World) -> None:
    if world.distributed:
        dist.barrier()


def _max_dim1(x: torch.Tensor, world: World) -> int:
    if x.ndim < 2:
        return 0
    n = torch.tensor([x.shape[1]], device=x.device)
    dist.all_reduce(n, op=dist.ReduceOp.MAX)
    return int(n)


def _pad_dim1(x: torch.Tensor, s: int) -> torch.Tensor:
    if x.ndim < 2 or x.shape[1] == s:
        return x
    pad = [0, 0] * (x.ndim - 2) + [0, s - x.shape[1]]
    return torch.nn.functional.pad(x, pad)


def local_moments(x: torch.Tensor) -> torch.Tensor:
    """One process's batch statistics of a (N, C, H, W) tensor, in float32 whatever ``x``'s dtype:
    ``[count, mean_1..mean_C, m2_1..m2_C]`` (2C + 1,), m2 = sum of squared deviations from the local mean.

    Two passes (mean, then deviations) rather than E[x²] − E[x]², which cancels catastrophically when the
    mean is large against the spread (bf16 activations under autocast)."""
    x = x.float().transpose(0, 1).reshape(x.shape[1], -1)  # (C, N·H·W)
    mean = x.mean(dim=1)
    m2 = ((x - mean[:, None]) ** 2).sum(dim=1)
    count = torch.full((1,), float(x.shape[1]), dtype=torch.float32, device=x.device)
    return torch.cat([count, mean, m2])


def combine_moments(parts: Sequence[torch.Tensor]) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """(mean (C,), biased variance (C,), count) of the union of the parts' samples (Chan et al.'s exact
    pairwise update: m2 = Σ m2_i + Σ n_i (mean_i − mean)²)."""
    stats = torch.stack(list(parts))  # (P, 2C + 1)
    c = (stats.shape[1] - 1) // 2
    n_i, mean_i, m2_i = stats[:, :1], stats[:, 1:c + 1], stats[:, c + 1:]
    n = n_i.sum()
    mean = (n_i * mean_i).sum(dim=0) / n
    m2 = m2_i.sum(dim=0) + (n_i * (mean_i - mean) ** 2).sum(dim=0)
    return mean, m2 / n, n


class GlobalBatchNorm2d(torch.nn.BatchNorm2d):
    """BatchNorm2d whose training statistics are those of the global batch (all processes), with gradients.

    Same parameters, buffers and state-dict keys as ``nn.BatchNorm2d``; it differs only in training mode
    under more than one process. (``nn.SyncBatchNorm`` does this on GPUs only; this also runs on gloo.)
    Statistics and normalisation are computed in float32; the output has the input's dtype.
    """

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if not (self.training and dist.is_available() and dist.is_initialized() and dist.get_world_size() > 1):
            return super().forward(x)
        import torch.distributed.nn.functional as dfn

        return self.normalise(x, gather=lambda t: list(dfn.all_gather(t)))

    def normalise(self, x: torch.Tensor, *, gather: Callable[[torch.Tensor], list[torch.Tensor]]) -> torch.Tensor:
        """Training-mode batch normalisation over the samples of every process; ``gather`` returns the
        (2C + 1,) :func:`local_moments` of every process, in rank order, with gradients."""
        mean, var, n = combine_moments(gather(local_moments(x)))  # var: biased, as BatchNorm normalises
        if self.track_running_stats:
            with torch.no_grad():
                self.num_batches_tracked += 1
                m = self.momentum if self.momentum is not None else 1.0 / float(self.num_batches_tracked)
                self.running_mean.mul_(1 - m).add_(mean.detach(), alpha=m)
                self.running_var.mul_(1 - m).add_(var.detach() * n / (n - 1), alpha=m)
        y = (x.float() - mean[None, :, None, None]) / torch.sqrt(var[None, :, None, None] + self.eps)
        if self.affine:
            y = y * self.weight.float()[None, :, None, None] + self.bias.float()[None, :, None, None]
        return y.to(x.dtype)


def use_global_batchnorm(module: torch.nn.Module, *, device: torch.device | None = None) -> torch.nn.Module:
    """Make every ``nn.BatchNorm2d`` of ``module`` normalise over the global batch, keeping its parameters and
    buffers (the optimiser's references stay valid): ``nn.SyncBatchNorm`` when the processes run on CUDA
    devices (NCCL; PyTorch's fused kernels, float32 statistics), :class:`GlobalBatchNorm2d` otherwise (gloo)."""
    if device is not None and torch.device(device).type == "cuda":
        for parent in list(module.modules()):
            for name, child in list(parent.named_children()):
                if type(child) is torch.nn.BatchNorm2d:
                    setattr(parent, name, torch.nn.SyncBatchNorm.convert_sync_batchnorm(child))
        return module
    for m in module.modules():
        if type(m) is torch.nn.BatchNorm2d:
            m.__class__ = GlobalBatchNorm2d
    return module
