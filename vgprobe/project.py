"""The project configuration: ``vgprobe.toml`` in the current folder, then environment
variables, then flags (each overrides the one before).

    [vgprobe]
    checkpoint = "runs/tiny/best"   # what `vgprobe extract` loads
    data = "zr2021"                 # the ZeroSpeech 2021 dataset root
    out = "features"                # where extractions go (one folder per layer)
    split = "dev"

Environment: ``VGPROBE_CONFIG`` (another file), ``VGPROBE_CHECKPOINT``, ``VGPROBE_DATA``,
``VGPROBE_OUT``, ``VGPROBE_SPLIT``. Relative paths in the file are relative to the file.
"""

from __future__ import annotations

import os
import tomllib
from dataclasses import dataclass, field, replace
from pathlib import Path

from vgprobe.atomic import write_text_atomic
from vgprobe.errors import ConfigError
from vgprobe.extract.record import LAST_RUN, read_last_run

CONFIG_NAME = "vgprobe.toml"
KEYS = ("checkpoint", "data", "out", "split")


@dataclass(frozen=True)
class ProjectConfig:
    checkpoint: str | None = None
    data: Path | None = None
    out: Path | None = None
    split: str | None = None
    sources: tuple[str, ...] = field(default=(), compare=False)  # where the values came from

    def describe(self) -> str:
        vals = ", ".join(f"{k}={getattr(self, k)}" for k in KEYS if getattr(self, k) is not None)
        return f"configuration from {' + '.join(self.sources) or 'flags only'}: {vals or '(empty)'}"

    def require(self, *names: str, hint: str) -> None:
        missing = [n for n in names if getattr(self, n) is None]
        if missing:
            raise ConfigError(
                f"no {', '.join(missing)} given: {hint}, or set them in ./{CONFIG_NAME} ([vgprobe] "
                f"{' / '.join(missing)}) or in VGPROBE_{missing[0].upper()}"
            )


def is_builtin_checkpoint(value: str) -> bool:
    """``random:<preset>`` and ``logmel`` name models, not paths."""
    return value == "logmel" or value.startswith("random:")


def _path_value(key: str, value: str, base: Path) -> str | Path:
    if key == "split":
        return value
    if key == "checkpoint" and is_builtin_checkpoint(value):
        return value
    p = Path(value).expanduser()
    p = p if p.is_absolute() else base / p
    return str(p) if key == "checkpoint" else p


def load_project_config(
    cwd: str | Path | None = None, env: dict[str, str] | None = None, **flags: object
) -> ProjectConfig:
    """Resolve the configuration: file, then environment, then non-None ``flags``."""
    env = dict(os.environ) if env is None else env
    cwd = Path.cwd() if cwd is None else Path(cwd)
    cfg = ProjectConfig()
    sources: list[str] = []
    path = Path(env["VGPROBE_CONFIG"]) if env.get("VGPROBE_CONFIG") else cwd / CONFIG_NAME
    if path.is_file():
        try:
            data = tomllib.loads(path.read_text(encoding="utf-8"))
        except (tomllib.TOMLDecodeError, OSError) as exc:
            raise ConfigError(f"{path}: cannot read ({exc})") from exc
        block = data.get("vgprobe", {})
        if not isinstance(block, dict):
            raise ConfigError(f"{path}: [vgprobe] must be a table")
        unknown = sorted(set(block) - set(KEYS))
        if unknown:
            raise ConfigError(f"{path}: unknown keys in [vgprobe]: {unknown}; known: {list(KEYS)}")
        cfg = replace(cfg, **{k: _path_value(k, str(v), path.parent) for k, v in block.items()})
        sources.append(str(path))
    elif env.get("VGPROBE_CONFIG"):
        raise ConfigError(f"VGPROBE_CONFIG names {path}, which does not exist")
    from_env = {k: _path_value(k, env[f"VGPROBE_{k.upper()}"], cwd) for k in KEYS if env.get(f"VGPROBE_{k.upper()}")}
    if from_env:
        cfg = replace(cfg, **from_env)
        sources.append("environment (" + ", ".join(f"VGPROBE_{k.upper()}" for k in from_env) + ")")
    from_flags = {k: v for k, v in flags.items() if v is not None}
    bad = sorted(set(from_flags) - set(KEYS))
    if bad:
        raise ConfigError(f"unknown configuration keys {bad}")
    if from_flags:
        cfg = replace(cfg, **{k: _path_value(k, str(v), cwd) for k, v in from_flags.items()})
        sources.append("flags")
    return replace(cfg, sources=tuple(sources))


def write_project_config(path: str | Path, *, checkpoint: str, data: Path, out: Path, split: str = "dev") -> Path:
    """Write a ``vgprobe.toml`` (paths relative to its folder where possible)."""
    path = Path(path)
    base = path.parent.resolve()

    def rel(p: str | Path) -> str:
        if isinstance(p, str) and is_builtin_checkpoint(p):
            return p
        p = Path(p).resolve()
        try:
            return str(p.relative_to(base))
        except ValueError:
            return str(p)

    text = (
        "# vgprobe project configuration (see `vgprobe extract --help`)\n[vgprobe]\n"
        f'checkpoint = "{rel(checkpoint)}"\ndata = "{rel(data)}"\nout = "{rel(out)}"\nsplit = "{split}"\n'
    )
    write_text_atomic(path, text)
    return path


def scoring_targets(
    cfg: ProjectConfig, *, task: str, layers: list[str] | None = None
) -> tuple[list[tuple[str, Path]], Path, str]:
    """The submission folders that ``vgprobe abx`` / ``vgprobe semantic`` score when no paths are given:
    the layers the last ``vgprobe extract`` into ``out`` wrote (or ``layers``), with the dataset root
    and split. Returns ``([(layer, folder), ...], data_root, split)``."""
    cfg.require("out", hint="pass --submission/--features explicitly")
    record = read_last_run(Path(cfg.out))
    if record is None:
        raise ConfigError(f"no extraction found in {cfg.out} (no {LAST_RUN}); run `vgprobe extract` first")
    data = cfg.data or Path(record["data"])
    split = cfg.split or record.get("split", "dev")
    names = layers or [n for n in record["layers"] if task != "phonetic" or _frame_rate_layer(Path(cfg.out) / n)]
    sub = "phonetic" if task == "phonetic" else "semantic"
    targets = [(n, Path(cfg.out) / n) for n in names if (Path(cfg.out) / n / sub).is_dir()]
    if not targets:
        raise ConfigError(f"the last extraction into {cfg.out} wrote no {task} features for layers {names}")
    return targets, Path(data), split


MAX_ABX_FRAME_SHIFT = 0.05  # coarser layers (Conv2/Trm2 at 0.32 s, pooled ones) leave triphone tokens empty


def _frame_rate_layer(folder: Path) -> bool:
    """Whether a layer's frames are fine enough for ABX by default (its meta.yaml frame shift)."""
    import yaml

    try:
        meta = yaml.safe_load((folder / "meta.yaml").read_text(encoding="utf-8")) or {}
        shift = meta["parameters"]["phonetic"]["frame_shift"]
    except (OSError, KeyError, TypeError, yaml.YAMLError):
        return False
    return shift is not None and float(shift) <= MAX_ABX_FRAME_SHIFT
