"""The vocabulary of the synthetic data: words in a two-level category structure, and sentences.

Human similarity and relatedness scores for the synthetic sSIMI set are built from this structure
(:func:`similarity`, :func:`relatedness`), so they are known exactly:

- similarity (taxonomy): 9 for two words of the same subcategory (``dog``/``cat``), 6 for the same
  category but another subcategory (``dog``/``duck``: both animals), 1 otherwise;
- relatedness (themes): 8 for two words that share a theme (``cow``/``grass``: the farm), otherwise
  the similarity score scaled to at most 5.

Captions of the visually grounded corpus use :data:`SHAPES`, :data:`COLOURS`, :data:`SIZES` and
:data:`BACKGROUNDS`.
"""

from __future__ import annotations

import random

# category -> subcategory -> words
TAXONOMY: dict[str, dict[str, tuple[str, ...]]] = {
    "animal": {
        "pet": ("dog", "cat", "rabbit", "mouse"),
        "farm": ("cow", "horse", "sheep", "pig", "goat"),
        "bird": ("duck", "owl", "eagle", "chicken", "parrot"),
    },
    "food": {
        "fruit": ("apple", "banana", "cherry", "lemon", "grape", "peach"),
        "vegetable": ("carrot", "potato", "onion", "pepper", "bean"),
        "baked": ("bread", "cake", "cookie", "pie"),
    },
    "vehicle": {
        "road": ("car", "bus", "truck", "bike", "taxi"),
        "other": ("boat", "plane", "train", "rocket"),
    },
    "shape": {"shape": ("circle", "square", "triangle", "star", "heart", "diamond")},
    "colour": {"colour": ("red", "blue", "green", "yellow", "purple", "orange", "black", "white", "pink", "brown")},
    "size": {"big": ("big", "large", "huge"), "small": ("small", "tiny", "little")},
    "place": {
        "nature": ("grass", "sand", "water", "snow", "forest", "beach"),
        "town": ("road", "street", "garden", "kitchen", "table"),
    },
    "body": {"head": ("nose", "eye", "mouth", "ear"), "limb": ("hand", "foot", "leg", "finger")},
    "clothing": {"wear": ("shirt", "hat", "coat", "shoe", "dress", "sock")},
}

# theme -> words (relatedness)
THEMES: dict[str, tuple[str, ...]] = {
    "farm": ("cow", "horse", "sheep", "pig", "goat", "chicken", "grass", "potato", "carrot"),
    "kitchen": ("kitchen", "table", "bread", "cake", "cookie", "pie", "onion", "pepper", "apple"),
    "beach": ("beach", "sand", "water", "boat", "duck", "shoe", "hat"),
    "winter": ("snow", "coat", "sock", "white", "owl"),
    "town": ("road", "street", "car", "bus", "truck", "bike", "taxi", "train"),
    "face": ("nose", "eye", "mouth", "ear", "hat"),
    "garden": ("garden", "rabbit", "grass", "cherry", "peach", "green", "flower"),
}

SHAPES: tuple[str, ...] = ("circle", "square", "triangle", "star", "heart", "diamond")
COLOURS: dict[str, tuple[int, int, int]] = {
    "red": (220, 30, 30), "blue": (30, 60, 220), "green": (30, 170, 50), "yellow": (240, 220, 30),
    "purple": (140, 40, 180), "orange": (250, 140, 20), "black": (15, 15, 15), "white": (245, 245, 245),
}
SIZES: dict[str, float] = {"small": 0.16, "big": 0.30}  # shape radius as a fraction of the image side
BACKGROUNDS: dict[str, tuple[int, int, int]] = {
    "grass": (90, 160, 70), "sand": (215, 195, 140), "water": (70, 130, 190), "snow": (225, 230, 240),
}

_TEMPLATES: tuple[str, ...] = (
    "the {size} {colour} {animal} ate the {food}",
    "a {animal} sat near the {vehicle} on the {place}",
    "my {clothing} is {colour} and {size}",
    "she put the {food} and the {food2} on the {place}",
    "look at the {size} {animal} with a {colour} {clothing}",
    "we saw a {vehicle} and a {animal} by the {place}",
    "his {body} touched the {colour} {shape}",
    "there is a {shape} drawn next to the {food}",
)


def words() -> tuple[str, ...]:
    """All taxonomy words, in a fixed order (duplicates removed)."""
    seen: dict[str, None] = {}
    for subs in TAXONOMY.values():
        for ws in subs.values():
            for w in ws:
                seen.setdefault(w, None)
    return tuple(seen)


def _classes() -> dict[str, tuple[str, str]]:
    out: dict[str, tuple[str, str]] = {}
    for cat, subs in TAXONOMY.items():
        for sub, ws in subs.items():
            for w in ws:
                out.setdefault(w, (cat, sub))
    return out


_CLASS = _classes()


def similarity(a: str, b: str) -> float:
    """Taxonomic similarity on a 0–10 scale (see the module docstring)."""
    ca, cb = _CLASS[a], _CLASS[b]
    if ca == cb:
        return 9.0
    if ca[0] == cb[0]:
        return 6.0
    return 1.0


def relatedness(a: str, b: str) -> float:
    """Thematic relatedness on a 0–10 scale (see the module docstring)."""
    if any(a in ws and b in ws for ws in THEMES.values()):
        return 8.0
    return similarity(a, b) * 5.0 / 9.0


def _by_category(category: str) -> list[str]:
    return [w for ws in TAXONOMY[category].values() for w in ws]


def sentence(rng: random.Random) -> str:
    """One sentence from the templates, filled with vocabulary words drawn with ``rng``."""
    template = rng.choice(_TEMPLATES)
    slots = {
        "size": rng.choice(_by_category("size")),
        "colour": rng.choice(_by_category("colour")),
        "animal": rng.choice(_by_category("animal")),
        "food": rng.choice(_by_category("food")),
        "food2": rng.choice(_by_category("food")),
        "vehicle": rng.choice(_by_category("vehicle")),
        "place": rng.choice(_by_category("place")),
        "clothing": rng.choice(_by_category("clothing")),
        "body": rng.choice(_by_category("body")),
        "shape": rng.choice(_by_category("shape")),
    }
    return template.format(**slots)
