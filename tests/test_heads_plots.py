"""Figures of the attention-head report and the ``vgprobe analyze heads`` command."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import soundfile as sf
import torch

from heads_models import small_fastvgs
from vgprobe.analysis.heads import head_statistics
from vgprobe.analysis.heads.plots import (ClsAttentionView, plot_ablation, plot_cls_attention, plot_head_heatmaps,
                                          plot_head_similarity)
from vgprobe.cli import main


def png_size(path):
    import matplotlib.image as mpimg

    return mpimg.imread(path).shape[:2]


@pytest.fixture(scope="module")
def two_models():
    utts = {"a": torch.randn(16000), "b": torch.randn(24000)}
    return pd.concat([head_statistics(small_fastvgs(seed=0), utts, stacks=["trm1", "trm2"], model_name="trained"),
                      head_statistics(small_fastvgs(seed=5), utts, stacks=["trm1", "trm2"], model_name="random")])


def test_heat_maps_share_one_colour_scale_per_statistic(two_models, tmp_path, monkeypatch):
    import matplotlib.figure

    scales = []
    real = matplotlib.figure.Figure.colorbar

    def spy(self, mappable, *a, **k):
        scales.append((mappable.get_clim(), k.get("ax").get_title()))
        return real(self, mappable, *a, **k)

    monkeypatch.setattr(matplotlib.figure.Figure, "colorbar", spy)
    path = plot_head_heatmaps(two_models, tmp_path / "h.png", stack="trm1",
                              statistics=("entropy_bits", "distance_ms", "silence_mass"), models=("trained", "random"),
                              difference=("trained", "random"))
    h, w = png_size(path)
    assert h > 300 and w > 800
    # column by column: trained, random, then the difference; silence_mass has no colour bar (no alignments)
    (e_tr, t1), (e_ra, t2), (e_diff, t3) = scales[:3]
    assert t1.startswith("trained") and t2.startswith("random") and t3.startswith("trained − random")
    assert e_tr == e_ra and e_diff[0] == -e_diff[1]
    assert len(scales) == 6


def test_head_similarity_is_coloured_up_to_the_largest_divergence_of_the_stack(two_models, tmp_path, monkeypatch):
    import matplotlib.figure

    from vgprobe.analysis.heads import similarity_matrix

    scales = []
    real = matplotlib.figure.Figure.colorbar

    def spy(self, mappable, *a, **k):
        scales.append(mappable.get_clim())
        return real(self, mappable, *a, **k)

    monkeypatch.setattr(matplotlib.figure.Figure, "colorbar", spy)
    plot_head_similarity(two_models, tmp_path / "s.png", stack="trm1", model="trained")
    layers = sorted(two_models[two_models["stack"] == "trm1"]["layer"].unique())
    top = max(similarity_matrix(two_models, stack="trm1", layer=int(k), model="trained").max() for k in layers)
    assert 0 < top < 1 and scales == [(0.0, pytest.approx(top))] * len(layers)


def test_similarity_matrices_and_ablation_bars_are_drawn(two_models, tmp_path):
    assert png_size(plot_head_similarity(two_models, tmp_path / "s.png", stack="trm1", model="trained"))[1] > 500
    rows = []
    for k in (1, 2):
        for h in range(3):
            for metric, delta in (("abx", 0.5 * h - k), ("r1", -h)):
                rows.append({"model": "tiny", "ablation": f"trm1.{k}:{h}", "stack": "trm1", "layer": k, "head": h,
                             "metric": metric, "baseline": 30.0, "ablated": 30.0 + delta, "delta": delta,
                             "harm": delta if metric == "abx" else -delta, "affected": k == 1 or metric == "r1"})
    df = pd.DataFrame(rows)
    assert png_size(plot_ablation(df, tmp_path / "a.png", metric="abx"))[0] > 150
    with pytest.raises(Exception, match="no metric"):
        plot_ablation(df, tmp_path / "b.png", metric="ssimi.synthetic")


def test_cls_attention_figure_has_a_panel_pair_per_utterance(tmp_path):
    rng = np.random.default_rng(0)
    views = [ClsAttentionView(f"utt{i}", rng.standard_normal(16000 * (i + 1)).astype(np.float32),
                              rng.random((4, 49 * (i + 1))).astype(np.float32), spf=0.02,
                              words=[(0.1, 0.4, "cat"), (0.5, 0.9, "dog")], segments=[(0.12, 0.38), (0.6, 0.8)])
             for i in range(2)]
    h, w = png_size(plot_cls_attention(views, tmp_path / "c.png"))
    assert h > 700 and w > 1000


def test_the_analyze_heads_command_writes_the_table_and_the_figure(tmp_path, capsys):
    data = tmp_path / "wavs"
    data.mkdir()
    rng = np.random.default_rng(1)
    for i, n in enumerate((12000, 20000)):
        sf.write(data / f"u{i}.wav", (0.1 * rng.standard_normal(n)).astype(np.float32), 16000)
    (tmp_path / "words.json").write_text('{"u0": [[0.1, 0.5, "a"]], "u1": [[0.2, 1.0, "b"]]}')
    assert main(["analyze", "heads", "--checkpoint", "random:tiny", "--data", str(data), "--out", str(tmp_path / "r"),
                 "--alignments", str(tmp_path / "words.json")]) == 0
    df = pd.read_csv(tmp_path / "r" / "heads.csv")
    assert set(df["stack"]) == {"trm1", "trm2"} and df[df["statistic"] == "silence_mass"]["value"].notna().all()
    assert (tmp_path / "r" / "heads.png").stat().st_size > 10_000
    assert "entropy_bits" in capsys.readouterr().out
