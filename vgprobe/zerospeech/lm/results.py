"""What the lexical and syntactic scorers share about their result rows: the id order, pandas and JSON output."""

from __future__ import annotations

import json
import math
from collections.abc import Sequence
from dataclasses import asdict, fields
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import pandas as pd


def id_order(id_: str) -> tuple:
    """A sort key for gold ids: integers in numeric order first, then the other ids as text."""
    return (0, int(id_), "") if id_.lstrip("-").isdigit() else (1, 0, id_)


def rows_to_frame(results: Sequence[Any], row_type: type) -> pd.DataFrame:
    """The dataclass rows ``results`` as a DataFrame with the fields of ``row_type`` as columns."""
    import pandas as pd

    return pd.DataFrame([asdict(r) for r in results], columns=[f.name for f in fields(row_type)])


def rows_to_json(results: Sequence[Any]) -> str:
    """A JSON array of the dataclass rows ``results``; undefined numbers (NaN) are written as null."""
    return json.dumps([{k: _none_if_nan(v) for k, v in asdict(r).items()} for r in results], indent=2)


def _none_if_nan(value: Any) -> Any:
    return None if isinstance(value, float) and math.isnan(value) else value
