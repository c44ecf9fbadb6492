"""Region features: a documented, deterministic stand-in for Faster R-CNN's 36 region features.

Regions of one image, in this order (always :data:`N_REGIONS` rows):

1. one region per shape, its tight box;
2. the 3 × 3 grid of background cells (boxes tile the image);
3. the whole image;
4. zero padding: feature rows of zeros and boxes ``(0, 0, 0, 0)``.

The descriptor of a box is computed from its pixels only, like a detector's: the mean colour of a
4 × 4 grid of sub-cells (48 values in [0, 1]; it encodes the shape's outline and its colour), the
fraction of the box's pixels nearest to each palette colour (12 values; ``vocabulary.COLOURS`` then
``BACKGROUNDS``), and the box size ``width/W, height/H, area/(W·H)`` (3 values): 63 values. The
position is left out: the model gets the box itself beside the feature (DESCRIPTOR_DIM = 63).
Centred (minus 0.5), it is lifted to ``feature_dim`` by a fixed Gaussian projection (seed
:data:`PROJECTION_SEED`, scaled by 1/√63) followed by ReLU, so features are non-negative like a
detector's pooled activations, and the same box always gives the same feature.

    >>> feats, boxes = region_features(pixels, shape_boxes, feature_dim=2048)      # doctest: +SKIP
    >>> feats.shape, boxes.shape                       # (36, 2048) float32, (36, 4) float32 pixel xyxy
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np

from vgprobe.synth.vocabulary import BACKGROUNDS, COLOURS

N_REGIONS = 36
GRID = 4
PROJECTION_SEED = 20211125
_PALETTE = np.array(list(COLOURS.values()) + list(BACKGROUNDS.values()), dtype=np.float64)
DESCRIPTOR_DIM = GRID * GRID * 3 + len(_PALETTE) + 3


@lru_cache(maxsize=4)
def projection(feature_dim: int) -> np.ndarray:
    """The fixed (DESCRIPTOR_DIM, feature_dim) float64 lift."""
    rng = np.random.default_rng(PROJECTION_SEED)
    return rng.standard_normal((DESCRIPTOR_DIM, feature_dim)) / np.sqrt(DESCRIPTOR_DIM)


def descriptor(pixels: np.ndarray, box: tuple[int, int, int, int]) -> np.ndarray:
    """The 63 raw values of one box (see the module docstring)."""
    h, w, _ = pixels.shape
    x1, y1, x2, y2 = box
    crop = pixels[y1:y2, x1:x2].astype(np.float64) / 255.0
    ys = np.linspace(0, crop.shape[0], GRID + 1).round().astype(int)
    xs = np.linspace(0, crop.shape[1], GRID + 1).round().astype(int)
    cells = [
        crop[ys[i] : max(ys[i + 1], ys[i] + 1), xs[j] : max(xs[j + 1], xs[j] + 1)].reshape(-1, 3).mean(0)
        for i in range(GRID)
        for j in range(GRID)
    ]
    flat = crop.reshape(-1, 3) * 255.0
    nearest = ((flat[:, None, :] - _PALETTE[None]) ** 2).sum(-1).argmin(1)
    hist = np.bincount(nearest, minlength=len(_PALETTE)) / len(flat)
    geom = [(x2 - x1) / w, (y2 - y1) / h, (x2 - x1) * (y2 - y1) / (w * h)]
    return np.concatenate([np.concatenate(cells), hist, geom])


def region_boxes(shape_boxes: list[tuple[int, int, int, int]], width: int, height: int) -> list[tuple[int, int, int, int]]:
    """Boxes of the non-padding regions: shapes, the 3 × 3 grid, the whole image."""
    xs = np.linspace(0, width, 4).round().astype(int)
    ys = np.linspace(0, height, 4).round().astype(int)
    grid = [(int(xs[j]), int(ys[i]), int(xs[j + 1]), int(ys[i + 1])) for i in range(3) for j in range(3)]
    return list(shape_boxes) + grid + [(0, 0, width, height)]


def region_features(
    pixels: np.ndarray, shape_boxes: list[tuple[int, int, int, int]], *, feature_dim: int = 2048
) -> tuple[np.ndarray, np.ndarray]:
    """``features (36, feature_dim)`` float32 and ``boxes (36, 4)`` float32 pixel xyxy."""
    h, w, _ = pixels.shape
    boxes = region_boxes(shape_boxes, w, h)
    raw = np.stack([descriptor(pixels, b) for b in boxes]) - 0.5
    feats = np.zeros((N_REGIONS, feature_dim), np.float32)
    feats[: len(boxes)] = np.maximum(raw @ projection(feature_dim), 0.0)
    out_boxes = np.zeros((N_REGIONS, 4), np.float32)
    out_boxes[: len(boxes)] = np.array(boxes, dtype=np.float32)
    return feats, out_boxes
