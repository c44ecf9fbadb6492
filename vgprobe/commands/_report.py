"""Shared by the scoring commands: the project-configuration form and result output.

``vgprobe abx`` / ``vgprobe semantic`` with no paths score the layers that the last
``vgprobe extract`` into the configured output root wrote (see :func:`vgprobe.project.scoring_targets`).
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Callable, Sequence


def add_layer_argument(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--layer", help="with no paths given: which extracted layer(s) to score, comma-separated "
                        "(default: every layer of the last `vgprobe extract`)")


def project_targets(args: argparse.Namespace, task: str) -> tuple[list[tuple[str, Path]], Path, str]:
    from vgprobe.project import load_project_config, scoring_targets

    cfg = load_project_config()
    print(cfg.describe(), file=sys.stderr)
    layers = [n.strip() for n in args.layer.split(",") if n.strip()] if args.layer else None
    return scoring_targets(cfg, task=task, layers=layers)


def report(
    per_layer: Sequence[tuple[str | None, list]],
    *,
    to_frame: Callable,
    to_json: Callable[[list], str],
    table: Callable[[list], str],
    as_json: bool,
    out: Path | None,
) -> None:
    """Print (table or JSON) and optionally write a CSV; a ``layer`` column/key appears when layers are named."""
    import pandas as pd

    frames = []
    for layer, results in per_layer:
        frame = to_frame(results)
        if layer is not None:
            frame.insert(0, "layer", layer)
        frames.append(frame)
    if out is not None:
        write_csv_atomically(pd.concat(frames, ignore_index=True), out)
    if as_json:
        rows = []
        for layer, results in per_layer:
            objs = json.loads(to_json(results))
            rows += [{"layer": layer, **o} if layer is not None else o for o in objs]
        print(json.dumps(rows, indent=2))
        return
    for layer, results in per_layer:
        if layer is not None:
            print(f"== {layer} ==")
        print(table(results))


def write_csv_atomically(frame, path: Path) -> None:
    from vgprobe.atomic import atomic_write

    with atomic_write(path, newline="") as f:
        frame.to_csv(f, index=False)
    print(f"wrote {path}", file=sys.stderr)
