"""Reading the data rows of a ZeroSpeech CSV file (gold and pairs files) by column name, with file:line errors."""

from __future__ import annotations

import csv
from collections.abc import Iterator
from pathlib import Path

from vgprobe.errors import InputError


def read_csv_rows(
    path: Path, columns: tuple[str, ...], *, optional: tuple[str, ...] = (), kind: str = "file"
) -> Iterator[tuple[int, dict[str, str]]]:
    """Yield (line number, {column: text}) for each non-empty data row, fields stripped.

    Every column of ``columns`` but those in ``optional`` must be in the header; ``kind`` names
    the file in the error raised when it does not exist.
    """
    if not path.is_file():
        raise InputError(f"{path}: {kind} not found")
    with path.open(newline="", encoding="utf-8") as f:
        reader = csv.reader(f)
        header = next(reader, None)
        if header is None:
            raise InputError(f"{path}: empty file; expected the header {','.join(columns)}")
        header = [h.strip() for h in header]
        missing = [c for c in columns if c not in header and c not in optional]
        if missing:
            raise InputError(f"{path}:1: missing column(s) {', '.join(missing)}; expected {','.join(columns)}")
        where = {c: header.index(c) for c in columns if c in header}
        for row in reader:
            if not row or all(not field.strip() for field in row):
                continue
            if len(row) != len(header):
                raise InputError(f"{path}:{reader.line_num}: expected {len(header)} fields, found {len(row)}")
            yield reader.line_num, {c: row[i].strip() for c, i in where.items()}
