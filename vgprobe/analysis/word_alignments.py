"""Word alignments as JSON: ``{utterance id: [[onset_s, offset_s, word], ...]}`` (forced-alignment style).

One reader for every analysis that takes word alignments (word probes, silence mass of attention heads); a
malformed entry is an error naming the file, the utterance and the entry.
"""

from __future__ import annotations

import json
import math
from pathlib import Path

from vgprobe.errors import InputError


def read_word_alignments(path: str | Path) -> dict[str, list[tuple[float, float, str]]]:
    """Read ``{utt: [[onset_s, offset_s, word], ...]}``; a malformed entry names the utterance and index."""
    path = Path(path)
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise InputError(f"{path}: word alignment file does not exist") from None
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise InputError(f"{path}: cannot read word alignments ({exc})") from exc
    return check_word_alignments(data, str(path))


def check_word_alignments(data: object, source: str) -> dict[str, list[tuple[float, float, str]]]:
    """Validate ``{utt: [[onset_s, offset_s, word], ...]}`` (``source`` names it in errors)."""
    if not isinstance(data, dict):
        raise InputError(f"{source}: expected an object {{utterance: [[onset, offset, word], ...]}}")
    out: dict[str, list[tuple[float, float, str]]] = {}
    for utt, entries in data.items():
        if not isinstance(entries, (list, tuple)):
            raise InputError(f"{source}: {utt!r}: expected a list of [onset, offset, word]")
        words = []
        for k, entry in enumerate(entries):
            where = f"{source}: {utt!r} entry {k}"
            if not (isinstance(entry, (list, tuple)) and len(entry) == 3 and isinstance(entry[2], str)):
                raise InputError(f"{where}: expected [onset, offset, word], found {entry!r}")
            on, off = entry[0], entry[1]
            if isinstance(on, bool) or isinstance(off, bool) or not all(isinstance(t, (int, float)) for t in (on, off)):
                raise InputError(f"{where}: onset and offset must be numbers, found {entry!r}")
            if not (math.isfinite(on) and math.isfinite(off)) or not 0 <= on <= off:
                raise InputError(f"{where}: expected finite times with 0 <= onset <= offset, found {entry!r}")
            words.append((float(on), float(off), entry[2]))
        out[str(utt)] = words
    return out
