"""The order of training captions: a seeded permutation per epoch, cut into full global batches.

Its state is (epoch, batch), so a resumed run continues with exactly the batches an uninterrupted run
would have drawn. Example::

    s = EpochSampler(n=1000, batch_size=64, seed=0)
    s.remaining()[0]        # the 64 caption indices of the next batch
    s.advance()
"""

from __future__ import annotations

import torch

from vgprobe.errors import ConfigError


class EpochSampler:
    """Seeded permutation per epoch, cut into full global batches; the state is (epoch, batch)."""

    def __init__(self, n: int, batch_size: int, seed: int) -> None:
        if n < batch_size:
            raise ConfigError(f"the training split has {n} captions, fewer than one batch of {batch_size}")
        self.n, self.batch_size, self.seed = n, batch_size, seed
        self.epoch, self.batch = 0, 0

    @property
    def steps_per_epoch(self) -> int:
        return self.n // self.batch_size

    def remaining(self) -> list[list[int]]:
        """The batches left in the current epoch."""
        g = torch.Generator().manual_seed(self.seed * 1_000_003 + self.epoch)
        perm = torch.randperm(self.n, generator=g).tolist()
        b = self.batch_size
        return [perm[i * b:(i + 1) * b] for i in range(self.batch, self.steps_per_epoch)]

    def advance(self) -> None:
        self.batch += 1
        if self.batch == self.steps_per_epoch:
            self.epoch, self.batch = self.epoch + 1, 0

    def state_dict(self) -> dict:
        return {"epoch": self.epoch, "batch": self.batch, "n": self.n, "batch_size": self.batch_size}

    def load_state_dict(self, s: dict) -> None:
        if (s["n"], s["batch_size"]) != (self.n, self.batch_size):
            raise ConfigError(f"resume: the sampler state is for {s['n']} captions in batches of {s['batch_size']}, "
                              f"the data now has {self.n} in batches of {self.batch_size}")
        self.epoch, self.batch = s["epoch"], s["batch"]


def local_slice(batch: list[int], rank: int, size: int) -> list[int]:
    """This process's contiguous share of a global batch."""
    if len(batch) % size:
        raise ConfigError(f"batch_size {len(batch)} is not divisible by the {size} processes")
    n = len(batch) // size
    return batch[rank * n:(rank + 1) * n]
