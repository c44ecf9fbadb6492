"""Choosing layers by name: the one rule shared by the model API and extraction."""

from __future__ import annotations

from typing import Iterable, Sequence

from vgprobe.errors import ConfigError


def select_layers(requested: Iterable[str], known: Sequence[str]) -> list[str]:
    """Expand ``all``, check every name against ``known``, keep order, drop duplicates."""
    out: list[str] = []
    for item in requested:
        for name in known if item == "all" else [item]:
            if name not in known:
                raise ConfigError(f"unknown layer {name!r}; this model's layers are: {', '.join(known)} (or 'all')")
            if name not in out:
                out.append(name)
    if not out:
        raise ConfigError("no layer requested (use --layer NAME[,NAME...] or --layer all)")
    return out
