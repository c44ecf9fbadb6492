"""Analysis reports: layer sweeps and the analysis notebooks (attention heads: tests/test_heads_*.py)."""

from __future__ import annotations

import pandas as pd

from vgprobe.analysis.layer_sweep import layer_index, plot_abx_sweep


def test_layer_sweep_plot_draws_indexed_layers_and_reference_lines(tmp_path):
    rows = []
    for model in ("trained", "random"):
        for k in range(1, 4):
            for speaker in ("within", "across"):
                rows.append({"model": model, "layer": f"trm1.{k}", "subset": "dev-clean", "speaker": speaker,
                             "score": 0.1 * k})
    rows.append({"model": "logmel", "layer": "logmel", "subset": "dev-clean", "speaker": "within", "score": 0.05})
    path = plot_abx_sweep(pd.DataFrame(rows), tmp_path / "p.png")
    assert path.stat().st_size > 1000
    assert layer_index("trm1.6") == 6 and layer_index("logmel") is None


def test_the_analysis_notebooks_are_valid_and_use_existing_library_names():
    import ast
    import importlib
    import json
    from pathlib import Path

    folder = Path(__file__).resolve().parents[1] / "analysis"
    notebooks = sorted(folder.glob("*.ipynb"))
    assert notebooks
    for nb_path in notebooks:
        nb = json.loads(nb_path.read_text())
        assert nb["nbformat"] == 4
        for cell in nb["cells"]:
            if cell["cell_type"] != "code":
                continue
            tree = ast.parse("".join(cell["source"]))
            for node in ast.walk(tree):
                if isinstance(node, ast.ImportFrom) and node.module.startswith("vgprobe"):
                    module = importlib.import_module(node.module)
                    for alias in node.names:
                        assert hasattr(module, alias.name), f"{nb_path.name}: {node.module}.{alias.name}"
