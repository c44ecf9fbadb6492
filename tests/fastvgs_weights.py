"""The FaST-VGS parity fixture's synthetic weights, written as an authors'-format release folder.

``tests/data/fastvgs_reference`` ships no weights: its ``expected.npz`` was computed by the authors'
code on tensors drawn from a deterministic recipe. This module rebuilds every tensor listed in
``keys.tsv`` with that recipe (:func:`recipe_tensor`: a crc32-seeded normal draw per full key, then
the first matching rule R1..R10, in float64, cast to float32) and writes ``best_bundle.pth`` (a
``torch.save`` of the authors' bundle dict, numpy ``indices`` included) next to a copy of the
fixture's ``args.pkl``, so the weights go through exactly the loader a real release goes through.
The rules, and the order of operations that keeps them bit-exact, are in
``tests/data/fastvgs_reference/README.md``.

Example::

    folder = build_authors_folder(fixture_dir, tmp_path / "fast-vgs-coco")
    model = vgprobe.fastvgs.load(folder)        # the authors' model with the fixture's weights
    recipe_tensor(0, "dual_encoder.conv2.bn1.running_var", (128,)).dtype   # float32
"""

from __future__ import annotations

import math
import os
import shutil
import tempfile
import zlib
from collections import OrderedDict
from pathlib import Path

import numpy as np
import torch


def _draw(base_seed: int, name: str, shape: tuple[int, ...]) -> np.ndarray:
    seed = zlib.crc32(f"{base_seed}:{name}".encode("utf-8"))
    return np.random.default_rng(seed).standard_normal(shape)


def recipe_tensor(base_seed: int, full_key: str, shape: tuple[int, ...]) -> np.ndarray:
    """One state-dict entry by the rules R1..R10 of tests/data/fastvgs_reference/README.md (first match wins)."""
    if full_key.endswith("num_batches_tracked"):
        return np.array(0, dtype=np.int64)
    n = _draw(base_seed, full_key, shape)
    if full_key.endswith("running_mean"):
        v = 0.1 * n
    elif full_key.endswith("running_var") or full_key.endswith("weight_g"):
        v = 1.0 + 0.5 * np.abs(n)
    elif full_key.endswith(("cls_token", "mask_emb", "quantizer.vars")):
        v = n
    elif full_key.endswith(".bias"):
        v = 0.02 * n
    elif full_key.endswith(".weight") and len(shape) == 1:
        v = 1.0 + 0.1 * n
    elif len(shape) == 2 and full_key.endswith((".q_proj.weight", ".k_proj.weight", ".query.weight", ".key.weight")):
        v = 0.1 * n
    elif len(shape) == 2:
        v = 0.02 * n
    elif len(shape) in (3, 4):
        v = n * math.sqrt(2.0 / int(np.prod(shape[1:])))
    else:
        raise ValueError(f"no recipe rule for {full_key} with shape {shape}")
    return v.astype(np.float32)


def read_keys(fixture_dir: str | Path) -> list[tuple[str, tuple[int, ...]]]:
    rows = []
    with open(Path(fixture_dir) / "keys.tsv", encoding="utf-8") as f:
        header = f.readline().rstrip("\n").split("\t")
        if header[:2] != ["key", "shape"]:
            raise ValueError(f"{fixture_dir}/keys.tsv: unexpected header {header}")
        for line in f:
            key, shape = line.rstrip("\n").split("\t")[:2]
            rows.append((key, () if shape == "scalar" else tuple(int(s) for s in shape.split("x"))))
    return rows


def build_authors_folder(fixture_dir: str | Path, out_dir: str | Path, *, base_seed: int = 0) -> Path:
    """Write ``out_dir/{best_bundle.pth, args.pkl}`` for the fixture's weights; returns ``out_dir``."""
    fixture_dir, out_dir = Path(fixture_dir), Path(out_dir)
    dual, cross = OrderedDict(), OrderedDict()
    for full_key, shape in read_keys(fixture_dir):
        t = torch.from_numpy(np.array(recipe_tensor(base_seed, full_key, shape), order="C"))
        part, key = full_key.split(".", 1)
        (dual if part == "dual_encoder" else cross)[key] = t
    bundle = {
        "dual_encoder": dual,
        "cross_encoder": cross,
        "optimizer": {"state": {}, "param_groups": []},
        "indices": np.arange(10, dtype=np.int64),
        "libri_indices": None,
    }
    out_dir.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{out_dir.name}.", dir=out_dir.parent))
    try:
        torch.save(bundle, tmp / "best_bundle.pth")
        shutil.copyfile(fixture_dir / "args.pkl", tmp / "args.pkl")
        os.replace(tmp, out_dir)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return out_dir
