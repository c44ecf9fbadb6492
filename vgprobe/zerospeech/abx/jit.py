"""Say so, once, before numba compiles the ABX kernels.

Every kernel is compiled with ``cache=True``: numba writes the machine code beside the
sources (``__pycache__``) or, where the installed package is read-only, in its per-user cache
directory (``NUMBA_CACHE_DIR`` overrides), keyed by the sources' content. So the first ABX
run of an install compiles for about a minute and later runs load the code in about a second.
:func:`announce_compilation` prints one line to stderr when a kernel about to run has no
cached code yet, so that the first run does not look hung.
"""

from __future__ import annotations

import sys

MESSAGE = "compiling ABX kernels (once per install; this takes a minute or so)"
_announced = False


def is_cached(dispatcher) -> bool:  # noqa: ANN001
    """Whether ``dispatcher`` (a numba ``njit`` function) runs without compiling: compiled in this
    process already, or with machine code in its on-disk cache. True when it cannot tell."""
    if dispatcher.signatures:
        return True
    try:
        return bool(dispatcher._cache._cache_file._load_index())  # numba's index of cached signatures
    except (AttributeError, OSError, EOFError, ValueError):
        return True


def announce_compilation(*dispatchers) -> bool:  # noqa: ANN002
    """Print :data:`MESSAGE` to stderr (once per process) if any of ``dispatchers`` will compile.

    Returns whether it printed.
    """
    global _announced
    if _announced or all(is_cached(d) for d in dispatchers):
        return False
    print(MESSAGE, file=sys.stderr, flush=True)
    _announced = True
    return True
