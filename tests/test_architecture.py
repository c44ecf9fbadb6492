"""The layout is the architecture: imports flow one way.

commands -> pipelines -> train / extract / analysis -> fastvgs, zerospeech, synth -> ground floor
(audio, errors, atomic, progress, ...), whose modules may use each other. Packages on one higher floor do not import each other, except where listed
below; in particular the scorers (zerospeech) never import the model and the model never imports the trainer.
Every ``import vgprobe...`` is checked, including those inside functions.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "vgprobe"

FLOORS = {
    0: {"__init__", "audio", "errors", "atomic", "config_types", "layer_names", "progress"},
    1: {"fastvgs", "zerospeech", "synth"},
    2: {"train", "extract", "analysis"},
    3: {"pipelines", "project"},
    4: {"commands", "cli", "__main__"},
}
# imports between packages of one floor that the design allows (source -> target)
SAME_FLOOR = {("pipelines", "project"), ("__main__", "cli"), ("cli", "commands")}


def _floor(part: str) -> int:
    for floor, names in FLOORS.items():
        if part in names:
            return floor
    raise AssertionError(f"vgprobe/{part} is on no floor of this test: place it in FLOORS")


def _imports(path: Path) -> list[tuple[int, str]]:
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found += [(node.lineno, a.name) for a in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.append((node.lineno, node.module))
            if node.module == "vgprobe":  # `from vgprobe import x`: a submodule, or a name of vgprobe/__init__
                found += [(node.lineno, f"vgprobe.{a.name}" if _is_module(a.name) else "vgprobe.__init__")
                          for a in node.names]
    return [(line, name) for line, name in found if name.startswith("vgprobe.")]


def _is_module(name: str) -> bool:
    return (PACKAGE / name).is_dir() or (PACKAGE / f"{name}.py").is_file()


def _part(module_path: Path) -> str:
    rel = module_path.relative_to(PACKAGE)
    return rel.parts[0].removesuffix(".py")


MODULES = sorted(PACKAGE.rglob("*.py"))


@pytest.mark.parametrize("path", MODULES, ids=lambda p: str(p.relative_to(PACKAGE.parent)))
def test_imports_flow_downwards(path: Path) -> None:
    source = _part(path)
    bad = []
    for line, name in _imports(path):
        target = name.split(".")[1]
        if target == source or (source, target) in SAME_FLOOR or _floor(source) == _floor(target) == 0:
            continue
        if _floor(target) >= _floor(source):
            bad.append(f"{path.relative_to(PACKAGE.parent)}:{line} imports {name} (floor {_floor(source)} -> "
                       f"{_floor(target)})")
    assert not bad, "\n".join(bad)


def test_every_package_is_placed_on_a_floor() -> None:
    for child in PACKAGE.iterdir():
        if child.name.startswith((".", "__pycache__")) or child.suffix not in ("", ".py"):
            continue
        _floor(child.name.removesuffix(".py"))
