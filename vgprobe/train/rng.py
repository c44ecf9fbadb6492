"""The random streams of one training process, saved in ``last`` so that a resumed run draws what an
uninterrupted one would: the CPU generator and, on a GPU, the generator of the process's own device (dropout
on a GPU draws from it). Under torchrun every process saves its own pair (they differ: see
:func:`seed_stochastic_parts`); rank 0 writes the list.

Example::

    state = capture_rng(torch.device("cuda", 1))    # {"cpu": ByteTensor, "cuda": ByteTensor of cuda:1}
    restore_rng(state, torch.device("cuda", 1))
"""

from __future__ import annotations

import torch


def capture_rng(device: torch.device) -> dict[str, torch.Tensor | None]:
    """The CPU generator's state and, when ``device`` is a CUDA device, that device's generator state."""
    device = torch.device(device)
    cuda = torch.cuda.get_rng_state(device) if device.type == "cuda" else None
    return {"cpu": torch.get_rng_state(), "cuda": cuda}


def restore_rng(state: dict, device: torch.device) -> None:
    """Put back a :func:`capture_rng` state. A CUDA state is restored only onto a CUDA device (a GPU run
    continued on the CPU draws from the CPU stream alone; the reverse keeps the seeded CUDA stream)."""
    device = torch.device(device)
    torch.set_rng_state(state["cpu"])
    if state.get("cuda") is not None and device.type == "cuda":
        torch.cuda.set_rng_state(state["cuda"], device)


def seed_stochastic_parts(seed: int, rank: int) -> None:
    """Called after the model is initialised, identically on every process: give each process its own
    random stream for dropout and other stochastic layers. Rank 0 continues the initialisation's stream, as a
    one-process run does (so one process trains exactly as before); rank r > 0 reseeds with ``seed + r``.
    The data order does not depend on it (the sampler has its own generator)."""
    if rank:
        torch.manual_seed(seed + rank)
