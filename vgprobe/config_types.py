"""Type checking of the scalar settings read into frozen dataclass configs (recipes, flags, ``--set``).

YAML 1.1 (PyYAML) reads ``5e-4`` as the *string* "5e-4" and ``1`` as an int; a config must not carry either
into arithmetic. :func:`typed_fields` converts what is unambiguous (an int or a numeric string for a float
field, a float with an integral value for an int field) and refuses everything else, naming the setting::

    typed_fields(TrainConfig, {"lr": "5e-4", "batch_size": 16}, source="tiny.yaml train block")
    # -> {"lr": 0.0005, "batch_size": 16}
"""

from __future__ import annotations

import dataclasses
import typing
from typing import Any

from vgprobe.errors import ConfigError


def convert(name: str, value: Any, kind: type, source: str) -> Any:
    """``value`` of setting ``name`` as ``kind`` (int, float, bool or str), or a ConfigError naming it."""

    def refuse() -> ConfigError:
        return ConfigError(f"{source}: {name} must be {kind.__name__}, got {value!r} ({type(value).__name__})")

    if kind is bool:
        if isinstance(value, bool):
            return value
        raise refuse()
    if isinstance(value, bool):  # bool is an int subclass: True is not a number here
        raise refuse()
    if kind is float:
        if isinstance(value, (int, float)):
            return float(value)
        if isinstance(value, str):
            try:
                return float(value)
            except ValueError:
                raise refuse() from None
        raise refuse()
    if kind is int:
        if isinstance(value, int):
            return value
        if isinstance(value, float) and value.is_integer():
            return int(value)
        if isinstance(value, str) and value.strip().lstrip("+-").isdigit():
            return int(value)
        raise refuse()
    if kind is str:
        if isinstance(value, str):
            return value
        raise refuse()
    return value


def typed_fields(cls: type, d: dict[str, Any], *, source: str) -> dict[str, Any]:
    """``d`` with each int / float / bool / str field of dataclass ``cls`` checked and converted; other
    fields (tuples, ...) are returned as they are."""
    hints = typing.get_type_hints(cls)
    names = {f.name for f in dataclasses.fields(cls)}
    return {k: convert(k, v, hints[k], source) if k in names and hints[k] in (int, float, bool, str) else v
            for k, v in d.items()}
