"""Synthetic images: 1–3 non-overlapping shapes (shape × colour × size) on a coloured background.

    >>> scene = random_scene(rng)                      # doctest: +SKIP
    >>> scene.caption                                  # 'a big red circle and a small blue star on the grass'
    >>> pixels, boxes = render(scene)                  # (224, 224, 3) uint8, [(x1, y1, x2, y2), ...] pixels

Shapes are rasterised from exact geometry (numpy masks), so boxes are tight and the same scene always
gives the same pixels.
"""

from __future__ import annotations

import random
from dataclasses import dataclass

import numpy as np

from vgprobe.synth.vocabulary import BACKGROUNDS, COLOURS, SHAPES, SIZES

IMAGE_SIZE = 224
MAX_TRIES = 200


@dataclass(frozen=True)
class Item:
    shape: str
    colour: str
    size: str
    cx: float  # centre, pixels
    cy: float


@dataclass(frozen=True)
class Scene:
    items: tuple[Item, ...]
    background: str

    @property
    def caption(self) -> str:
        parts = [f"a {it.size} {it.colour} {it.shape}" for it in self.items]
        body = parts[0] if len(parts) == 1 else ", ".join(parts[:-1]) + " and " + parts[-1]
        return f"{body} on the {self.background}"


def radius(size: str) -> float:
    return SIZES[size] * IMAGE_SIZE


def shape_mask(shape: str, dx: np.ndarray, dy: np.ndarray, r: float) -> np.ndarray:
    """Boolean mask of ``shape`` of radius ``r`` at offsets ``(dx, dy)`` from its centre (y down)."""
    u, v = dx / r, dy / r
    if shape == "circle":
        return u * u + v * v <= 1.0
    if shape == "square":
        return np.maximum(np.abs(u), np.abs(v)) <= 0.8
    if shape == "diamond":
        return np.abs(u) + np.abs(v) <= 1.0
    if shape == "triangle":  # apex up, base at v = 0.8
        return (v <= 0.8) & (v >= -1.0 + 2.0 * np.abs(u) * 0.9)
    if shape == "star":  # five points
        ang = np.arctan2(u, -v)
        rho = np.hypot(u, v)
        edge = 0.5 + 0.5 * np.abs(np.cos(2.5 * ang))
        return rho <= edge
    if shape == "heart":
        x, y = u * 1.2, -v * 1.2 + 0.2
        return (x * x + y * y - 1.0) ** 3 - x * x * y**3 <= 0.0
    raise ValueError(f"unknown shape {shape!r}; expected one of {SHAPES}")


def random_scene(rng: random.Random) -> Scene:
    """1–3 shapes with distinct (shape, colour) pairs, placed without overlap, on a random background."""
    n = rng.randint(1, 3)
    background = rng.choice(sorted(BACKGROUNDS))
    colours = [c for c in COLOURS if c != {"grass": "green", "snow": "white", "water": "blue"}.get(background)]
    items: list[Item] = []
    used: set[tuple[str, str]] = set()
    tries = 0
    while len(items) < n and tries < MAX_TRIES:
        tries += 1
        shape, colour, size = rng.choice(SHAPES), rng.choice(colours), rng.choice(sorted(SIZES))
        if (shape, colour) in used:
            continue
        r = radius(size)
        cx = rng.uniform(r + 2, IMAGE_SIZE - r - 2)
        cy = rng.uniform(r + 2, IMAGE_SIZE - r - 2)
        if any(np.hypot(cx - o.cx, cy - o.cy) < r + radius(o.size) + 4 for o in items):
            continue
        items.append(Item(shape, colour, size, cx, cy))
        used.add((shape, colour))
    return Scene(tuple(items), background)


def render(scene: Scene) -> tuple[np.ndarray, list[tuple[int, int, int, int]]]:
    """Pixels ``(H, W, 3)`` uint8 and one tight pixel box ``(x1, y1, x2, y2)`` per item (x2/y2 exclusive)."""
    img = np.empty((IMAGE_SIZE, IMAGE_SIZE, 3), np.uint8)
    img[:] = BACKGROUNDS[scene.background]
    ys, xs = np.mgrid[0:IMAGE_SIZE, 0:IMAGE_SIZE].astype(np.float64) + 0.5
    boxes = []
    for it in scene.items:
        mask = shape_mask(it.shape, xs - it.cx, ys - it.cy, radius(it.size))
        img[mask] = COLOURS[it.colour]
        rows, cols = np.nonzero(mask)
        boxes.append((int(cols.min()), int(rows.min()), int(cols.max()) + 1, int(rows.max()) + 1))
    return img, boxes
