"""Reading and writing FaST-VGS checkpoints.

Two folder formats are read by :func:`load`:

- the authors' released folders: ``best_bundle.pth`` (or ``bundle.pth``) + ``args.pkl``.
  Loading is strict: every tensor of the bundle is used or is a known-unused one
  (:mod:`vgprobe.fastvgs.keymap`), every model tensor is present, shapes agree.
- vgprobe's own folders: ``model.safetensors`` + ``config.json``.

Nothing from outside is unpickled with code execution (:mod:`vgprobe.fastvgs.safe_pickle`).
"""

from __future__ import annotations

import ast
import argparse
import json
from pathlib import Path

import torch
from safetensors.torch import load_file, save_file

from vgprobe import __version__
from vgprobe.atomic import atomic_folder
from vgprobe.errors import CheckpointError
from vgprobe.fastvgs.config import FaSTVGSConfig
from vgprobe.fastvgs.keymap import AUTHORS, map_key, map_state_dict
from vgprobe.fastvgs.model import FaSTVGS
from vgprobe.fastvgs.safe_pickle import load_args_pickle, load_torch_bundle

WEIGHTS_NAME = "model.safetensors"
CONFIG_NAME = "config.json"
FORMAT = "vgprobe-fastvgs"
AUTHORS_BUNDLES = ("best_bundle.pth", "bundle.pth")


def checkpoint_kind(path: str | Path) -> str:
    """``"vgprobe"`` or ``"authors"``; raises :class:`CheckpointError` for anything else."""
    p = Path(path)
    if p.is_dir():
        if (p / WEIGHTS_NAME).is_file() and (p / CONFIG_NAME).is_file():
            return "vgprobe"
        if (p / "args.pkl").is_file() and any((p / b).is_file() for b in AUTHORS_BUNDLES):
            return "authors"
    raise CheckpointError(
        f"{p}: not a FaST-VGS checkpoint folder: expected {WEIGHTS_NAME} + {CONFIG_NAME} (vgprobe) "
        f"or best_bundle.pth + args.pkl (the authors' release)"
    )


def load(path: str | Path, *, map_location: str | torch.device = "cpu") -> FaSTVGS:
    """Load a FaST-VGS checkpoint folder (authors' or vgprobe's) in eval mode."""
    kind = checkpoint_kind(path)
    model = _load_vgprobe(Path(path)) if kind == "vgprobe" else _load_authors(Path(path))
    return model.to(map_location).eval()


# ---------------------------------------------------------------------- vgprobe format
def save(model: FaSTVGS, folder: str | Path, *, extra: dict | None = None) -> Path:
    """Write ``model.safetensors`` + ``config.json`` into ``folder`` atomically (temp folder + rename)."""
    folder = Path(folder)
    with atomic_folder(folder) as tmp:
        write_checkpoint_files(model, tmp, extra=extra)
    return folder


def write_checkpoint_files(model: FaSTVGS, folder: Path, *, extra: dict | None = None) -> None:
    """``model.safetensors`` + ``config.json`` into an existing (staging) folder."""
    state = {k: v.detach().contiguous().cpu() for k, v in model.state_dict().items()}
    save_file(state, str(folder / WEIGHTS_NAME), metadata={"format": FORMAT})
    meta = {"format": FORMAT, "vgprobe_version": __version__, "model": model.cfg.to_dict(), **(extra or {})}
    (folder / CONFIG_NAME).write_text(json.dumps(meta, indent=2) + "\n", encoding="utf-8")


def _load_vgprobe(folder: Path) -> FaSTVGS:
    try:
        meta = json.loads((folder / CONFIG_NAME).read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError) as exc:
        raise CheckpointError(f"{folder / CONFIG_NAME}: cannot read ({exc})") from exc
    if meta.get("format") != FORMAT or "model" not in meta:
        raise CheckpointError(f"{folder / CONFIG_NAME}: expected format {FORMAT!r} with a 'model' block")
    cfg = FaSTVGSConfig.from_dict(meta["model"])
    model = FaSTVGS(cfg)
    try:
        state = load_file(str(folder / WEIGHTS_NAME))
    except Exception as exc:  # noqa: BLE001 - safetensors raises several types
        raise CheckpointError(f"{folder / WEIGHTS_NAME}: cannot read ({exc})") from exc
    _load_strict(model, state, source=str(folder / WEIGHTS_NAME))
    return model


# ---------------------------------------------------------------------- authors' format
def _parse_conv_layers(spec: str) -> tuple[tuple[int, int, int], ...]:
    """Evaluate fairseq's ``conv_feature_layers`` string (lists, tuples, ints, + and *) without eval()."""

    def ev(node: ast.AST):
        if isinstance(node, ast.Expression):
            return ev(node.body)
        if isinstance(node, ast.Constant) and isinstance(node.value, int):
            return node.value
        if isinstance(node, (ast.List, ast.Tuple)):
            items = [ev(e) for e in node.elts]
            return items if isinstance(node, ast.List) else tuple(items)
        if isinstance(node, ast.BinOp) and isinstance(node.op, (ast.Add, ast.Mult)):
            a, b = ev(node.left), ev(node.right)
            return a + b if isinstance(node.op, ast.Add) else a * b
        raise CheckpointError(f"cannot parse conv_feature_layers {spec!r}: unsupported expression {ast.dump(node)}")

    try:
        layers = ev(ast.parse(spec, mode="eval"))
        return tuple((int(c), int(k), int(s)) for c, k, s in layers)
    except (SyntaxError, ValueError, TypeError) as exc:
        raise CheckpointError(f"cannot parse conv_feature_layers {spec!r} ({exc})") from exc


# FaSTVGSConfig field -> the authors' args.pkl setting that holds it
_AUTHORS_SETTINGS: dict[str, str] = {
    "hidden_size": "encoder_embed_dim",
    "trm1_heads": "encoder_attention_heads",
    "trm1_ffn": "encoder_ffn_embed_dim",
    "pos_conv_kernel": "conv_pos",
    "pos_conv_groups": "conv_pos_groups",
    "bert_heads": "num_attention_heads",
    "bert_ffn": "intermediate_size",
    "image_layers": "trm_layers",
    "cross_layers": "xtrm_layers",
    "image_feature_dim": "visual_feat_dim",
    "image_box_dim": "visual_pos_dim",
    "dropout": "dropout",
    "attention_dropout": "attention_dropout",
    "activation_dropout": "activation_dropout",
    "dropout_input": "dropout_input",
    "bert_dropout": "hidden_dropout_prob",
    "bert_attention_dropout": "attention_probs_dropout_prob",
    "initializer_range": "initializer_range",
}


def config_from_authors_args(args: argparse.Namespace) -> FaSTVGSConfig:
    """The model configuration that the authors' ``DualEncoder(args)`` / ``CrossEncoder(args)`` build."""
    a = vars(args)
    try:
        uses_w2v2_loss = a.get("caption_w2v2_weight") is not None or a.get("libri_w2v2_weight") is not None
        # DualEncoder.__init__ keeps layer_use + 1 Trm1 layers unless a wav2vec2 loss is used.
        trm1_layers = a["encoder_layers"] if uses_w2v2_loss else a["layer_use"] + 1
        conv_layers = _parse_conv_layers(a["conv_feature_layers"])
        settings = {field: a[key] for field, key in _AUTHORS_SETTINGS.items()}
    except KeyError as exc:
        raise CheckpointError(f"args.pkl lacks the setting {exc.args[0]!r} needed to build FaST-VGS") from exc
    return FaSTVGSConfig(conv_layers=conv_layers, trm1_layers=trm1_layers, num_regions=a.get("img_feat_len", 36),
                         **settings)


def authors_state_dict(bundle: dict, source: str) -> dict[str, torch.Tensor]:
    """Flatten a bundle's ``dual_encoder`` / ``cross_encoder`` state dicts with their prefixes."""
    flat: dict[str, torch.Tensor] = {}
    for part in ("dual_encoder", "cross_encoder"):
        if part not in bundle or not isinstance(bundle[part], dict):
            raise CheckpointError(f"{source}: the bundle has no {part!r} state dict")
        for k, v in bundle[part].items():
            k = k[len("module."):] if k.startswith("module.") else k
            flat[f"{part}.{k}"] = v
    return flat


def _load_authors(folder: Path) -> FaSTVGS:
    args = load_args_pickle(folder / "args.pkl")
    if not hasattr(args, "trim_mask"):  # released args.pkl files predate this option
        args.trim_mask = False
    cfg = config_from_authors_args(args)
    bundle_path = next(folder / b for b in AUTHORS_BUNDLES if (folder / b).is_file())
    bundle = load_torch_bundle(bundle_path)
    flat = authors_state_dict(bundle, str(bundle_path))
    mapped, _unused, unknown = map_state_dict(flat, AUTHORS)
    model = FaSTVGS(cfg)
    own = model.state_dict().keys()
    source_of = {map_key(k, AUTHORS)[1]: k for k in flat}
    unknown += [source_of[k] for k in mapped if k not in own]
    if unknown:
        raise CheckpointError(
            f"{bundle_path}: {len(unknown)} tensors that FaST-VGS does not have, e.g. {unknown[:5]}"
        )
    _load_strict(model, mapped, source=str(bundle_path))
    return model


def _load_strict(model: torch.nn.Module, state: dict, *, source: str) -> None:
    own = model.state_dict()
    missing = [k for k in own if k not in state]
    unexpected = [k for k in state if k not in own]
    if missing or unexpected:
        raise CheckpointError(
            f"{source}: checkpoint does not match the model: {len(missing)} missing (e.g. {missing[:5]}), "
            f"{len(unexpected)} unexpected (e.g. {unexpected[:5]})"
        )
    bad = [f"{k}: {tuple(state[k].shape)} vs model {tuple(v.shape)}" for k, v in own.items()
           if tuple(state[k].shape) != tuple(v.shape)]
    if bad:
        raise CheckpointError(f"{source}: {len(bad)} tensors have the wrong shape, e.g. {bad[:3]}")
    non_tensor = [k for k, v in state.items() if not isinstance(v, torch.Tensor)]
    if non_tensor:
        raise CheckpointError(f"{source}: entries that are not tensors: {non_tensor[:5]}")
    model.load_state_dict(state, strict=True)
