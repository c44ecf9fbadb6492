"""Reading the lexical (sWUGGY) and syntactic (sBLIMP) ``gold.csv`` files, with file:line errors.

Lexical ``gold.csv``: one line per audio file, words (``correct`` 1) and non-words (0)
sharing an ``id`` form the pairs, within each voice::

    id,filename,voice,frequency,word,phones,length,correct
    7,aAbBcCdD,Alex,35,brick,b r ih k,4,1
    7,eEfFgGhH,Alex,,,b l ih k,4,0

Syntactic ``gold.csv``: grammatical (``correct`` 1) and ungrammatical (0) sentences
sharing ``type``, ``subtype``, ``id`` and ``voice`` form a pair::

    id,filename,voice,type,subtype,correct,transcription
    3,iIjJkKlL,Alex,agreement,det_noun,1,the dogs run
    3,mMnNoOpP,Alex,agreement,det_noun,0,the dog run

These column orders are the official ones. The official scorers read some columns by
position after reshaping, so they are only right in this order; vgprobe reads columns by
name. Fields are read as text; numbers are checked where they matter (a word's frequency
and length, ``correct``).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Iterator

from vgprobe.errors import InputError
from vgprobe.zerospeech.csv_rows import read_csv_rows

LEXICAL_COLUMNS: tuple[str, ...] = ("id", "filename", "voice", "frequency", "word", "phones", "length", "correct")
SYNTACTIC_COLUMNS: tuple[str, ...] = ("id", "filename", "voice", "type", "subtype", "correct", "transcription")


@dataclass(frozen=True)
class LexicalToken:
    """One audio file of the lexical task; ``frequency`` and ``length`` are None only on non-words."""

    id: str
    filename: str
    voice: str
    frequency: int | None  # occurrences of the word in the reference corpus (0: out of vocabulary)
    word: str  # "" for non-words in the official files
    phones: str
    length: int | None  # number of phones
    correct: bool  # True: a word, False: a non-word
    line: int


@dataclass(frozen=True)
class SyntacticToken:
    """One audio file of the syntactic task (a spoken sentence)."""

    id: str
    filename: str
    voice: str
    type: str
    subtype: str
    correct: bool  # True: grammatical
    transcription: str
    line: int


def read_lexical_gold(path: str | Path) -> list[LexicalToken]:
    path = Path(path)
    tokens = []
    for line, row in _rows(path, LEXICAL_COLUMNS):
        correct = _flag(path, line, row["correct"])
        frequency = _count(path, line, "frequency", row["frequency"], required=correct)
        length = _count(path, line, "length", row["length"], required=correct)
        if correct and not row["word"]:
            raise InputError(f"{path}:{line}: word {row['filename']!r} has an empty 'word' field")
        tokens.append(
            LexicalToken(
                id=row["id"], filename=row["filename"], voice=row["voice"], frequency=frequency,
                word=row["word"], phones=row["phones"], length=length, correct=correct, line=line,
            )
        )
    return _checked(path, tokens)


def read_syntactic_gold(path: str | Path) -> list[SyntacticToken]:
    path = Path(path)
    tokens = []
    for line, row in _rows(path, SYNTACTIC_COLUMNS):
        if not row["type"]:
            raise InputError(f"{path}:{line}: empty 'type' field")
        tokens.append(
            SyntacticToken(
                id=row["id"], filename=row["filename"], voice=row["voice"], type=row["type"],
                subtype=row["subtype"], correct=_flag(path, line, row["correct"]),
                transcription=row["transcription"], line=line,
            )
        )
    return _checked(path, tokens)


def _checked(path: Path, tokens: list) -> list:
    if not tokens:
        raise InputError(f"{path}: no lines; expected a header and one line per audio file")
    seen: dict[str, int] = {}
    for token in tokens:
        if token.filename in seen:
            raise InputError(f"{path}:{token.line}: file {token.filename!r} is listed twice (also line {seen[token.filename]})")
        seen[token.filename] = token.line
    return tokens


def _rows(path: Path, columns: tuple[str, ...]) -> Iterator[tuple[int, dict[str, str]]]:
    for line, values in read_csv_rows(path, columns, kind="gold file"):
        for key in ("id", "filename", "voice"):
            if not values[key]:
                raise InputError(f"{path}:{line}: empty {key!r} field")
        yield line, values


def _flag(path: Path, line: int, text: str) -> bool:
    if text not in ("0", "1"):
        raise InputError(f"{path}:{line}: 'correct' must be 1 or 0, found {text!r}")
    return text == "1"


def _count(path: Path, line: int, column: str, text: str, *, required: bool) -> int | None:
    if text == "" and not required:
        return None
    try:
        value = int(text)
    except ValueError:
        value = -1
    if value < 0:
        raise InputError(f"{path}:{line}: {column} must be a whole number >= 0, found {text!r}")
    return value
