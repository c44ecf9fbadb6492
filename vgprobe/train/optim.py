"""BertAdam with the warm-up-linear schedule, as the authors train FaST-VGS.

For each parameter p with gradient g (already clipped by the caller, as the authors do outside), at
its step count t (0 for the first update):

    m ← β1·m + (1 − β1)·g
    v ← β2·v + (1 − β2)·g²
    u  = m / (√v + ε) + w·p            (no bias correction; decoupled weight decay w on every parameter)
    p ← p − lr · f(t / T) · u          (T = total number of updates; then t ← t + 1)

    f(x) = x / warmup                  if x < warmup
         = max((x − 1) / (warmup − 1), 0) otherwise          (linear decay to 0 at x = 1)

so the very first update has a learning rate of 0, as in the authors' runs. ``t_total=None`` keeps the
learning rate constant.

Example::

    opt = BertAdam(model.parameters(), lr=1e-4, warmup=0.1, t_total=10_000)
    loss.backward(); torch.nn.utils.clip_grad_norm_(params, 1.0); opt.step(); opt.zero_grad()
"""

from __future__ import annotations

from collections.abc import Iterable

import torch
from torch.optim import Optimizer

from vgprobe.errors import ConfigError


def warmup_linear(progress: float, warmup: float) -> float:
    """The schedule factor f(progress): linear warm-up to 1 at ``warmup``, then linear decay to 0 at 1."""
    if progress < warmup:
        return progress / warmup
    return max((progress - 1.0) / (warmup - 1.0), 0.0)


class BertAdam(Optimizer):
    """Adam without bias correction, with decoupled weight decay and a warm-up-linear schedule."""

    def __init__(
        self,
        params: Iterable[torch.nn.Parameter],
        *,
        lr: float,
        warmup: float = 0.1,
        t_total: int | None = None,
        betas: tuple[float, float] = (0.9, 0.999),
        eps: float = 1e-6,
        weight_decay: float = 0.01,
    ) -> None:
        if lr < 0:
            raise ConfigError(f"lr must be >= 0, got {lr}")
        if not 0.0 <= warmup < 1.0:
            raise ConfigError(f"warmup must be in [0, 1), got {warmup}")
        if t_total is not None and t_total < 1:
            raise ConfigError(f"t_total must be at least 1 (or None for a constant rate), got {t_total}")
        if not all(0.0 <= b < 1.0 for b in betas):
            raise ConfigError(f"betas must be in [0, 1), got {betas}")
        if eps < 0:
            raise ConfigError(f"eps must be >= 0, got {eps}")
        defaults = dict(lr=lr, warmup=warmup, t_total=t_total, betas=tuple(betas), eps=eps, weight_decay=weight_decay)
        super().__init__(params, defaults)

    @staticmethod
    def scheduled_lr(group: dict, step: int) -> float:
        """The learning rate applied at a parameter's ``step``-th update (0-based)."""
        if group["t_total"] is None:
            return group["lr"]
        return group["lr"] * warmup_linear(step / group["t_total"], group["warmup"])

    def current_lr(self) -> float:
        """The learning rate of the next update (of the first parameter that has been updated)."""
        for group in self.param_groups:
            for p in group["params"]:
                state = self.state.get(p)
                return self.scheduled_lr(group, int(state["step"]) if state else 0)
        return 0.0

    @torch.no_grad()
    def step(self, closure=None):
        loss = None
        if closure is not None:
            with torch.enable_grad():
                loss = closure()
        for group in self.param_groups:
            b1, b2 = group["betas"]
            for p in group["params"]:
                if p.grad is None:
                    continue
                if p.grad.is_sparse:
                    raise ConfigError("BertAdam does not support sparse gradients (a module with sparse=True embeddings?)")
                state = self.state[p]
                if not state:
                    state["step"] = 0
                    state["next_m"] = torch.zeros_like(p)
                    state["next_v"] = torch.zeros_like(p)
                m, v, g = state["next_m"], state["next_v"], p.grad
                m.mul_(b1).add_(g, alpha=1 - b1)
                v.mul_(b2).addcmul_(g, g, value=1 - b2)
                update = m / (v.sqrt() + group["eps"])
                if group["weight_decay"] > 0.0:
                    update.add_(p, alpha=group["weight_decay"])
                p.add_(update, alpha=-self.scheduled_lr(group, int(state["step"])))
                state["step"] += 1
        return loss
