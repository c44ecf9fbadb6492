"""Initialise Conv1 + Trm1 from wav2vec2-base weights, as the paper does.

Sources: a Hugging Face model folder (``config.json`` + ``model.safetensors`` or
``pytorch_model.bin``) or a fairseq checkpoint (``wav2vec_small.pt``). Only the CNN, the
feature projection, the positional conv, the encoder layer norm and the first
``trm1_layers`` transformer layers are taken; the report says what was and was not loaded.
"""

from __future__ import annotations

import argparse
import re
from dataclasses import dataclass
from pathlib import Path

import torch

from vgprobe.errors import CheckpointError
from vgprobe.fastvgs.keymap import FAIRSEQ_W2V2, HF_W2V2, map_state_dict
from vgprobe.fastvgs.model import FaSTVGS
from vgprobe.fastvgs.safe_pickle import numpy_globals


@dataclass(frozen=True)
class InitReport:
    source: str
    loaded: tuple[str, ...]  # Trm1Encoder parameter names that were set
    skipped_source: tuple[str, ...]  # source tensors not used (pre-training heads, layers beyond trm1_layers)
    not_initialised: tuple[str, ...]  # FaSTVGS parameters left at their random init

    def summary(self) -> str:
        return (
            f"wav2vec2 init from {self.source}: {len(self.loaded)} tensors loaded; "
            f"{len(self.skipped_source)} source tensors not used; "
            f"{len(self.not_initialised)} model tensors keep their random init"
        )


def _read_hf_folder(folder: Path) -> dict[str, torch.Tensor]:
    st = folder / "model.safetensors"
    if st.is_file():
        from safetensors.torch import load_file

        return load_file(str(st))
    bin_ = folder / "pytorch_model.bin"
    if bin_.is_file():
        return torch.load(bin_, map_location="cpu", weights_only=True)
    raise CheckpointError(f"{folder}: no model.safetensors or pytorch_model.bin in this Hugging Face folder")


def _read_fairseq(path: Path) -> dict[str, torch.Tensor]:
    try:
        with torch.serialization.safe_globals([argparse.Namespace, *numpy_globals()]):
            ckpt = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as exc:  # noqa: BLE001 - torch raises UnpicklingError/RuntimeError
        raise CheckpointError(
            f"{path}: cannot load safely as a fairseq checkpoint (weights-only load refused or failed: {exc})"
        ) from exc
    if not isinstance(ckpt, dict) or not isinstance(ckpt.get("model"), dict):
        raise CheckpointError(f"{path}: expected a fairseq checkpoint dict with a 'model' state dict")
    return ckpt["model"]


def init_from_wav2vec2(model: FaSTVGS, path: str | Path) -> InitReport:
    """Copy wav2vec2-base weights into ``model.trm1`` (in place)."""
    path = Path(path)
    if path.is_dir():
        state, rules = _read_hf_folder(path), HF_W2V2
    elif path.is_file():
        state, rules = _read_fairseq(path), FAIRSEQ_W2V2
    else:
        raise CheckpointError(f"{path}: no such wav2vec2 checkpoint (a Hugging Face folder or a fairseq .pt)")
    mapped, unused, unknown = map_state_dict(state, rules)
    if unknown:
        raise CheckpointError(f"{path}: {len(unknown)} tensors are not wav2vec2-base tensors, e.g. {unknown[:5]}")
    n_layers = model.cfg.trm1_layers
    own = model.trm1.state_dict()
    take: dict[str, torch.Tensor] = {}
    skipped = list(unused)
    for k, v in mapped.items():
        m = re.match(r"encoder\.layers\.(\d+)\.", k)
        if m and int(m.group(1)) >= n_layers:
            skipped.append(k)
            continue
        if k not in own:
            raise CheckpointError(f"{path}: tensor {k} has no place in the FaST-VGS Trm1 encoder")
        if tuple(v.shape) != tuple(own[k].shape):
            raise CheckpointError(f"{path}: {k} has shape {tuple(v.shape)}, the model expects {tuple(own[k].shape)}")
        take[k] = v
    missing = [k for k in own if k not in take and k != "cls_token"]
    if missing:
        raise CheckpointError(f"{path}: wav2vec2 weights lack {len(missing)} Trm1 tensors, e.g. {missing[:5]}")
    with torch.no_grad():
        for k, v in take.items():
            own[k].copy_(v)
    loaded = {f"trm1.{k}" for k in take}
    return InitReport(
        source=str(path),
        loaded=tuple(sorted(loaded)),
        skipped_source=tuple(sorted(skipped)),
        not_initialised=tuple(sorted(k for k in model.state_dict() if k not in loaded)),
    )
