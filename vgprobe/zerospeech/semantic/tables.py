"""Reading the sSIMI ``gold.csv`` and ``pairs.csv`` files (ZeroSpeech 2021 ``semantic/<split>/``), with file:line errors.

``gold.csv`` lists the word tokens (one audio file each)::

    type,filename,word,voice
    synthetic,s0001,cat,voice_a
    librispeech,l0001,cat,

``pairs.csv`` lists the word pairs and the human judgements (one of the two columns
filled per dataset)::

    type,dataset,word_1,word_2,similarity,relatedness
    synthetic,ws353,cat,dog,,7.35

Every field is read as text (the official code reads them with pandas, which would turn
words such as ``null`` or ``nan`` into missing values); the two human columns are parsed
as floats, an empty field being NaN.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path

from vgprobe.errors import InputError
from vgprobe.zerospeech.csv_rows import read_csv_rows
from vgprobe.zerospeech.layout import SEMANTIC_TYPES

GOLD_COLUMNS: tuple[str, ...] = ("type", "filename", "word", "voice")
PAIRS_COLUMNS: tuple[str, ...] = ("type", "dataset", "word_1", "word_2", "similarity", "relatedness")


@dataclass(frozen=True)
class GoldToken:
    """One spoken token of a word: the feature file ``<type>/<filename>.<ext>``."""

    type: str
    filename: str
    word: str
    voice: str  # "" for librispeech rows, where voices play no part
    line: int  # 1-based line number in the gold file


@dataclass(frozen=True)
class WordPair:
    """One judged word pair; ``similarity`` or ``relatedness`` may be NaN (an empty field)."""

    type: str
    dataset: str
    word_1: str
    word_2: str
    similarity: float
    relatedness: float
    line: int  # 1-based line number in the pairs file


def read_gold(path: str | Path) -> list[GoldToken]:
    """Read ``gold.csv``; a synthetic row must name its voice, and (type, filename) is unique."""
    path = Path(path)
    tokens: list[GoldToken] = []
    seen: dict[tuple[str, str], int] = {}
    for line, row in read_csv_rows(path, GOLD_COLUMNS, optional=("voice",)):
        type_ = _check_type(path, line, row["type"])
        filename, word = row["filename"], row["word"]
        voice = row.get("voice", "")
        if not filename or not word:
            raise InputError(f"{path}:{line}: expected a filename and a word, found {filename!r}, {word!r}")
        if type_ == "synthetic" and not voice:
            raise InputError(f"{path}:{line}: synthetic token {filename!r} has no voice; expected the voice column filled")
        key = (type_, filename)
        if key in seen:
            raise InputError(f"{path}:{line}: {type_} file {filename!r} is listed twice (also line {seen[key]})")
        seen[key] = line
        tokens.append(GoldToken(type=type_, filename=filename, word=word, voice=voice, line=line))
    if not tokens:
        raise InputError(f"{path}: no tokens; expected a header and one line per word token")
    return tokens


def read_pairs(path: str | Path) -> list[WordPair]:
    """Read ``pairs.csv``; the human scores are floats or empty (NaN)."""
    path = Path(path)
    pairs: list[WordPair] = []
    for line, row in read_csv_rows(path, PAIRS_COLUMNS):
        type_ = _check_type(path, line, row["type"])
        if not row["dataset"] or not row["word_1"] or not row["word_2"]:
            raise InputError(f"{path}:{line}: expected a dataset name and two words")
        pairs.append(
            WordPair(
                type=type_,
                dataset=row["dataset"],
                word_1=row["word_1"],
                word_2=row["word_2"],
                similarity=_parse_score(path, line, "similarity", row["similarity"]),
                relatedness=_parse_score(path, line, "relatedness", row["relatedness"]),
                line=line,
            )
        )
    if not pairs:
        raise InputError(f"{path}: no word pairs; expected a header and one line per pair")
    return pairs




def _check_type(path: Path, line: int, type_: str) -> str:
    if type_ not in SEMANTIC_TYPES:
        raise InputError(f"{path}:{line}: unknown type {type_!r}; expected one of {', '.join(SEMANTIC_TYPES)}")
    return type_


def _parse_score(path: Path, line: int, column: str, text: str) -> float:
    if text == "":
        return math.nan
    try:
        return float(text)
    except ValueError:
        raise InputError(f"{path}:{line}: {column} {text!r} is not a number (or empty)") from None
