"""Saving matplotlib figures for reports (headless backend, parent folders created)."""

from __future__ import annotations

from pathlib import Path


def save_figure(fig, path: str | Path, *, dpi: int = 120, tight: bool = True) -> Path:
    import matplotlib.pyplot as plt

    from vgprobe.atomic import atomic_write

    if tight:
        fig.tight_layout()
    path = Path(path)
    with atomic_write(path, "wb") as f:
        fig.savefig(f, dpi=dpi, format=path.suffix.lstrip(".") or "png")
    plt.close(fig)
    return path
