"""Analysis reports: attention-head statistics and layer sweeps."""

from __future__ import annotations

import math

import pandas as pd
import pytest
import torch

import vgprobe.fastvgs as fv
from vgprobe.analysis.attention import head_statistics
from vgprobe.analysis.layer_sweep import layer_index, plot_abx_sweep


def test_uniform_attention_gives_the_analytic_statistics():
    torch.manual_seed(0)
    model = fv.FaSTVGS(fv.preset("tiny")).eval()
    with torch.no_grad():
        for layer in model.trm1.encoder.layers:  # zero queries and keys: every score equal
            for lin in (layer.attention.q_proj, layer.attention.k_proj):
                lin.weight.zero_()
                lin.bias.zero_()
    wav = torch.randn(16000)
    t = 49  # frames of 1 s
    df = head_statistics(model, [wav], layers=[1, 8])
    assert len(df) == 2 * model.cfg.trm1_heads
    n_keys = t + 1
    assert df["entropy"].to_numpy() == pytest.approx(math.log2(n_keys), rel=1e-5)
    assert df["cls"].to_numpy() == pytest.approx(1 / n_keys, rel=1e-5)
    assert df["self"].to_numpy() == pytest.approx(1 / n_keys, rel=1e-5)
    # neighbours within +-1 frame: 3 for inner frames, 2 at both ends
    local = (3 * (t - 2) + 2 * 2) / t / n_keys
    assert df["local"].to_numpy() == pytest.approx(local, rel=1e-5)
    mean_dist = sum(abs(i - j) for i in range(1, t + 1) for j in range(1, t + 1)) / t / n_keys
    assert df["distance"].to_numpy() == pytest.approx(mean_dist, rel=1e-5)


def test_head_statistics_leave_the_model_on_fast_attention():
    torch.manual_seed(0)
    model = fv.FaSTVGS(fv.preset("tiny")).eval()
    head_statistics(model, [torch.randn(8000)], layers=[2])
    assert model.trm1.hf_config._attn_implementation == "sdpa"


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
