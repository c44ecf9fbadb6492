"""espeak-ng's English phoneme mnemonics mapped to one phone inventory: the 39 ARPAbet phones.

The ZeroSpeech 2021 item files (LibriSpeech alignments) use ARPAbet phones without stress marks, so
vgprobe's synthetic sets do too. espeak-ng writes stress as a prefix (``'`` primary, ``,`` secondary);
it is stripped before the lookup. The mapping follows each mnemonic's value in espeak's English
phoneme tables (``ph_english*``); where English accents disagree the US value wins (``aa`` is /ae/ in
``en-us``, /aa/ in ``en``), because phones must mean the same thing in every file.

Special cases:

- pauses (``_``, ``_:``, ``_!`` ...) are silence, not phones (:func:`to_arpabet` returns ``None``);
- ``;`` is a short transition espeak inserts between vowels (``triangle``): it is merged into the
  phone before it (:data:`MERGE_INTO_PREVIOUS`);
- one mnemonic is one phone: syllabic ``@L`` becomes ``L``, r-coloured vowels (``A@`` in "car",
  ``O@`` in "or") map to their vowel (the ``r`` of espeak's US voices is a separate event anyway);
- the flaps ``t#`` / ``t[`` are ``T``.

An unknown mnemonic is an error, never a silent skip (:class:`vgprobe.errors.InputError`).
"""

from __future__ import annotations

from vgprobe.errors import InputError

ARPABET: tuple[str, ...] = (
    "AA", "AE", "AH", "AO", "AW", "AY", "B", "CH", "D", "DH", "EH", "ER", "EY", "F", "G", "HH", "IH",
    "IY", "JH", "K", "L", "M", "N", "NG", "OW", "OY", "P", "R", "S", "SH", "T", "TH", "UH", "UW", "V",
    "W", "Y", "Z", "ZH",
)

STOPS: frozenset[str] = frozenset({"P", "B", "T", "D", "K", "G", "CH", "JH"})
"""Phones with an oral closure: espeak's event falls at the burst (see ``alignment.py``)."""

MERGE_INTO_PREVIOUS: frozenset[str] = frozenset({";"})

_ESPEAK_TO_ARPABET: dict[str, str] = {
    # vowels
    "0": "AA", "A:": "AA", "A": "AA", "A@": "AA", "aa": "AE", "a": "AE", "a2": "AE",
    "@": "AH", "@2": "AH", "@5": "AH", "a#": "AH", "V": "AH", "@L": "L",
    "O:": "AO", "O": "AO", "O2": "AO", "O@": "AO", "o@": "AO", "aU": "AW", "aU@": "AW",
    "aI": "AY", "aI2": "AY", "aI3": "AY", "aI@": "AY",
    "E": "EH", "E2": "EH", "E3": "EH", "e@": "EH", "e": "EH",
    "3": "ER", "3:": "ER", "VR": "ER", "@r": "ER",
    "eI": "EY", "I": "IH", "I2": "IH", "I#": "IH", "IR": "IH", "i@": "IH", "i@3": "IH",
    "i": "IY", "i:": "IY", "oU": "OW", "o:": "OW", "OI": "OY",
    "U": "UH", "U@": "UH", "u:": "UW", "u": "UW", "U:": "UW",
    # consonants
    "b": "B", "tS": "CH", "d": "D", "D": "DH", "f": "F", "g": "G", "h": "HH", "dZ": "JH", "k": "K",
    "l": "L", "l/": "L", "m": "M", "n": "N", "n-": "N", "N": "NG", "p": "P", "r": "R", "r-": "R",
    "s": "S", "S": "SH", "t": "T", "t#": "T", "t[": "T", "T": "TH", "v": "V", "w": "W", "w#": "W",
    "j": "Y", "z": "Z", "Z": "ZH", "x": "HH",
}


def is_pause(name: str) -> bool:
    """True for espeak's pause pseudo-phonemes (``_``, ``_:``, ``_!`` ...)."""
    return name.startswith("_")


def strip_stress(name: str) -> str:
    return name.lstrip("',=")


def to_arpabet(name: str, *, context: str = "") -> str | None:
    """Map one espeak mnemonic (stress marks allowed) to ARPAbet; ``None`` for a pause.

    >>> to_arpabet("'aI"), to_arpabet("dZ"), to_arpabet("_:")
    ('AY', 'JH', None)
    """
    if is_pause(name):
        return None
    bare = strip_stress(name)
    try:
        return _ESPEAK_TO_ARPABET[bare]
    except KeyError:
        where = f" (in {context})" if context else ""
        raise InputError(
            f"espeak phoneme {name!r}{where} has no ARPAbet mapping; add it to vgprobe/synth/phones.py"
        ) from None
