"""A small hand-made image–caption corpus in the SpokenCOCO layout, for training and loader tests.

Captions of image i are tones at a frequency proper to i (plus noise); the image's region features carry
the same frequency, so the pairing is learnable. Fast to build (no speech synthesis)."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

SR = 16000


def write_corpus(
    root: Path,
    *,
    images: dict[str, int] | None = None,
    captions_per_image: int = 2,
    seconds: float = 0.5,
    feature_dim: int = 2048,
    regions: int = 36,
    seed: int = 0,
) -> Path:
    import h5py
    import soundfile as sf

    images = images or {"train": 8, "val": 3, "test": 3}
    rng = np.random.default_rng(seed)
    coco = root / "SpokenCOCO"
    (root / "coco_img_feat").mkdir(parents=True, exist_ok=True)
    h5rows: dict[str, list] = {"train": [], "val": []}
    n = 0
    for split, count in images.items():
        entries = []
        (coco / "wavs" / split).mkdir(parents=True, exist_ok=True)
        for _ in range(count):
            img_id = f"COCO_{split}2014_{n:012d}"
            freq = 200 + 150 * n
            n += 1
            for k in range(captions_per_image):
                t = np.arange(int(SR * seconds)) / SR
                x = 0.3 * np.sin(2 * np.pi * freq * t) + 0.05 * rng.standard_normal(t.size)
                wav = f"wavs/{split}/{img_id}_{k}.wav"
                sf.write(coco / wav, x.astype(np.float32), SR, subtype="PCM_16")
                entries.append({"image": f"{split}2014/{img_id}.jpg", "caption": {"wav": wav, "text": str(freq)}})
            feats = rng.standard_normal((regions, feature_dim)).astype(np.float32) * 0.1
            feats[:, : min(8, feature_dim)] += np.float32(freq / 1000.0)
            w, h = 640, 480
            x1 = rng.uniform(0, w / 2, regions)
            y1 = rng.uniform(0, h / 2, regions)
            boxes = np.stack([x1, y1, x1 + w / 4, y1 + h / 4], axis=1).astype(np.float32)
            h5rows["train" if split == "train" else "val"].append((img_id, h, w, feats, boxes))
        (coco / f"SpokenCOCO_{split}_unrolled_karpathy.json").write_text(json.dumps({"data": entries}))
    for name, rows in h5rows.items():
        with h5py.File(root / "coco_img_feat" / f"SpokenCOCO_{name}_imgfeat.hdf5", "w") as f:
            f.create_dataset("img_id", data=np.array([r[0] for r in rows], dtype=h5py.string_dtype("utf-8", 27)))
            f.create_dataset("img_h", data=np.array([r[1] for r in rows], dtype=np.int64))
            f.create_dataset("img_w", data=np.array([r[2] for r in rows], dtype=np.int64))
            f.create_dataset("features", data=np.stack([r[3] for r in rows]))
            f.create_dataset("boxes", data=np.stack([r[4] for r in rows]))
    return root


SMALL_MODEL = {
    "conv_layers": [[32, 10, 5], [32, 3, 2], [32, 3, 2], [32, 3, 2], [32, 3, 2], [32, 2, 2], [32, 2, 2]],
    "hidden_size": 32, "trm1_layers": 2, "trm1_heads": 2, "trm1_ffn": 64, "pos_conv_kernel": 8,
    "pos_conv_groups": 2, "conv2_widths": [16, 16, 16, 32, 32], "bert_heads": 2, "bert_ffn": 64,
    "trm2_layers": 1, "image_layers": 1, "cross_layers": 1, "image_feature_dim": 2048, "num_regions": 36,
}

SMALL_TRAIN = {
    "dataset": "spokencoco", "batch_size": 4, "epochs": 3, "lr": 1.0e-3, "betas": [0.9, 0.999], "eps": 1.0e-6,
    "weight_decay": 0.01, "warmup_fraction": 0.1, "max_grad_norm": 1.0, "coarse_weight": 0.1, "fine_weight": 1.0,
    "margin": 1.0, "train_audio_seconds": 0.5, "eval_audio_seconds": 0.5, "val_every_steps": 2,
    "val_batch_size": 8, "topk": 2, "seed": 3,
}


def write_recipe(path: Path, *, dropout: float = 0.1, **train) -> Path:
    """A small recipe (YAML) with dropout on, so resuming must restore the RNG to be exact."""
    import yaml

    drop = {k: dropout for k in ("dropout", "attention_dropout", "dropout_input", "bert_dropout",
                                 "bert_attention_dropout")}
    path.write_text(yaml.safe_dump({"model": SMALL_MODEL | drop, "train": SMALL_TRAIN | train}))
    return path
