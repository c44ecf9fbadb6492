"""One process per device under torchrun, and gathering across processes with gradients.

The contrastive losses are computed over the GLOBAL batch: each process gathers the embeddings and image
sequences of every process (:func:`gather_cat`, differentiable), scores its own captions against all
images, gathers the score rows, and computes the same global loss. The gather's backward sums the
gradients of all processes, and DistributedDataParallel averages parameter gradients over processes, so
N processes take exactly the step one process would take on the whole batch.

Example (under ``torchrun --nproc_per_node 2``)::

    world = init_world()             # World(rank=0, size=2, device=cpu), process group ready (gloo on CPU)
    all_coarse = gather_cat(coarse, world)      # (B_local, D) -> (B_global, D), gradients flow back
"""

from __future__ import annotations

import os
from dataclasses import dataclass

import torch
import torch.distributed as dist

from vgprobe.errors import ConfigError


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


def init_world(device: str | None = None) -> World:
    """The process's place in the run: from torchrun's environment (RANK, WORLD_SIZE, LOCAL_RANK) when
    WORLD_SIZE > 1 — the process group is initialised (NCCL on GPU, gloo on CPU) — else one process."""
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
        dist.init_process_group(backend=backend)
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


class GlobalBatchNorm2d(torch.nn.BatchNorm2d):
    """BatchNorm2d whose training statistics are those of the global batch (all processes), with gradients.

    Same parameters, buffers and state-dict keys as ``nn.BatchNorm2d``; it differs only in training mode
    under more than one process. (``nn.SyncBatchNorm`` does this on GPUs only; this also runs on gloo.)
    """

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if not (self.training and dist.is_available() and dist.is_initialized() and dist.get_world_size() > 1):
            return super().forward(x)
        import torch.distributed.nn.functional as dfn

        c = x.shape[1]
        n_local = torch.tensor([x.numel() / c], dtype=x.dtype, device=x.device)
        stats = torch.cat([x.sum(dim=(0, 2, 3)), (x * x).sum(dim=(0, 2, 3)), n_local])
        stats = dfn.all_reduce(stats)
        n = stats[-1]
        mean = stats[:c] / n
        var = stats[c:2 * c] / n - mean * mean  # biased, as BatchNorm normalises
        if self.track_running_stats:
            with torch.no_grad():
                self.num_batches_tracked += 1
                m = self.momentum if self.momentum is not None else 1.0 / float(self.num_batches_tracked)
                self.running_mean.mul_(1 - m).add_(mean.detach(), alpha=m)
                self.running_var.mul_(1 - m).add_(var.detach() * n / (n - 1), alpha=m)
        y = (x - mean[None, :, None, None]) / torch.sqrt(var[None, :, None, None] + self.eps)
        if self.affine:
            y = y * self.weight[None, :, None, None] + self.bias[None, :, None, None]
        return y


def use_global_batchnorm(module: torch.nn.Module) -> torch.nn.Module:
    """Turn every ``nn.BatchNorm2d`` of ``module`` into :class:`GlobalBatchNorm2d` in place (same tensors)."""
    for m in module.modules():
        if type(m) is torch.nn.BatchNorm2d:
            m.__class__ = GlobalBatchNorm2d
    return module
