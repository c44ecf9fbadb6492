"""Retrieval evaluation of a FaST-VGS model on a split of an image–caption corpus.

Every caption is encoded once (audio cut/padded to ``seconds``, as the authors' validation loader) and
every distinct image once; :func:`vgprobe.fastvgs.retrieval.retrieve` then scores them.

Example::

    r = evaluate_retrieval(model, "vg/", "test", modes=("coarse", "ctf"), kc=100)
    r["ctf.speech_to_image.R@10"], r["mean_R@1"]
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import torch

from vgprobe.train.data import CaptionDataset, ImageDataset, Split, collate, load_split
from vgprobe.fastvgs.model import AudioEncoding, ImageEncoding
from vgprobe.fastvgs.retrieval import MODES, retrieve


@torch.no_grad()
def encode_split(
    model,
    split: Split,
    *,
    seconds: float,
    batch_size: int = 64,
    device: torch.device | str = "cpu",
    num_workers: int = 0,
) -> tuple[AudioEncoding, ImageEncoding, torch.Tensor]:
    """(captions' AudioEncoding (n_audio), images' ImageEncoding (n_image), caption -> image (n_audio,))."""
    was_training = model.training
    model.eval()
    try:
        audio_parts, image_parts = [], []
        loader = torch.utils.data.DataLoader(CaptionDataset(split, seconds=seconds), batch_size=batch_size,
                                             shuffle=False, collate_fn=collate, num_workers=num_workers)
        for b in loader:
            enc = model.encode_audio(b["wav"].to(device), b["padding_mask"].to(device))
            audio_parts.append(enc)
        loader = torch.utils.data.DataLoader(ImageDataset(split), batch_size=batch_size, shuffle=False,
                                             collate_fn=collate, num_workers=num_workers)
        for b in loader:
            image_parts.append(model.encode_image(b["feats"].to(device), b["boxes"].to(device)))
    finally:
        model.train(was_training)
    return AudioEncoding.cat(audio_parts), ImageEncoding.cat(image_parts), torch.tensor(split.caption_image)


def mean_r1(result: dict[str, float], mode: str) -> float:
    """The authors' model-selection number: mean of the two directions' R@1."""
    return (result[f"{mode}.speech_to_image.R@1"] + result[f"{mode}.image_to_speech.R@1"]) / 2


def evaluate_split(
    model,
    split: Split,
    *,
    modes: Sequence[str] = MODES,
    kc: int = 100,
    seconds: float = 10.0,
    batch_size: int = 64,
    pairs_per_chunk: int = 256,
    device: torch.device | str = "cpu",
) -> dict[str, float]:
    """Recall table (see :func:`retrieve`) plus ``mean_R@1`` of the last requested mode and ``encode_seconds``."""
    import time

    t0 = time.perf_counter()
    audio, image, audio_image = encode_split(model, split, seconds=seconds, batch_size=batch_size, device=device)
    t_enc = time.perf_counter() - t0
    out = retrieve(model, audio, image, audio_image, modes=modes, kc=kc, pairs_per_chunk=pairs_per_chunk)
    out["encode_seconds"] = t_enc
    out["mean_R@1"] = mean_r1(out, list(modes)[-1])
    return out


def evaluate_retrieval(
    model,
    data_dir: str | Path,
    split: str,
    *,
    modes: Sequence[str] = MODES,
    kc: int = 100,
    dataset: str = "spokencoco",
    seconds: float = 10.0,
    batch_size: int = 64,
    pairs_per_chunk: int = 256,
    drop_missing: bool = False,
    device: torch.device | str = "cpu",
    audio_root: str | Path | None = None,
) -> dict[str, float]:
    """Load and validate ``split`` of the corpus at ``data_dir`` (wavs under ``audio_root`` when given), encode
    it and return the recall table."""
    s = load_split(data_dir, split, dataset=dataset, drop_missing=drop_missing, audio_root=audio_root)
    out = evaluate_split(model, s, modes=modes, kc=kc, seconds=seconds, batch_size=batch_size,
                         pairs_per_chunk=pairs_per_chunk, device=device)
    out["dropped"] = len(s.dropped)
    return out


AUTHORS_EVAL = {"seconds": 10.0, "kc": 100, "dataset": "spokencoco"}  # the authors' SpokenCOCO evaluation


def recorded_eval_settings(checkpoint: str | Path) -> tuple[dict, str]:
    """The evaluation settings a checkpoint was validated with, and where they came from.

    A vgprobe run records its recipe in ``config.json`` (``run.train.eval_audio_seconds``, ``run.train.topk``,
    ``run.data.dataset``); an authors' folder has ``val_audio_feat_len`` in ``args.pkl``. Anything else gets the
    authors' SpokenCOCO evaluation (10 s of audio, K_c = 100). Returns ``({"seconds", "kc", "dataset"}, source)``.
    """
    import json

    from vgprobe.fastvgs.checkpoint import CONFIG_NAME, checkpoint_kind

    folder = Path(checkpoint)
    settings = dict(AUTHORS_EVAL)
    if not folder.is_dir():
        return settings, "the authors' evaluation defaults"
    kind = checkpoint_kind(folder)
    if kind == "vgprobe":
        run = json.loads((folder / CONFIG_NAME).read_text(encoding="utf-8")).get("run")
        if run:
            train = run.get("train", {})
            settings.update(seconds=float(train.get("eval_audio_seconds", settings["seconds"])),
                            kc=int(train.get("topk", settings["kc"])),
                            dataset=run.get("data", {}).get("dataset", settings["dataset"]))
            return settings, f"{folder / CONFIG_NAME} (the run's recipe)"
    elif kind == "authors":
        from vgprobe.fastvgs.safe_pickle import load_args_pickle

        args = vars(load_args_pickle(folder / "args.pkl"))
        if args.get("val_audio_feat_len"):
            settings["seconds"] = float(args["val_audio_feat_len"])
            return settings, f"{folder / 'args.pkl'} (val_audio_feat_len)"
    return settings, "the authors' evaluation defaults"

