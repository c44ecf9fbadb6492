"""The layer-sweep tables and plots (vgprobe.analysis.layer_sweep) on hand-made score tables."""

from __future__ import annotations

import json
import math

import pandas as pd
import pytest

from vgprobe.analysis.layer_sweep import (
    BEST_COLUMNS,
    MEASURE_COLUMNS,
    best_layers,
    layer_sort_key,
    measure_table,
    measures,
    plot_measures,
    read_sweep,
)
from vgprobe.errors import InputError

NAN = math.nan


def abx_rows() -> pd.DataFrame:
    rows = []
    errors = {"trained": {"cnn": 0.20, "trm1.1": 0.12, "trm1.6": 0.08, "trm1.8": 0.10, "trm2.1": NAN},
              "random": {"cnn": 0.30, "trm1.1": 0.31, "trm1.6": 0.35, "trm1.8": 0.36, "trm2.1": NAN},
              "logmel": {"logmel": 0.15}}
    for model, layers in errors.items():
        for layer, score in layers.items():
            status = "not scorable" if math.isnan(score) else "scored"
            rows.append({"model": model, "layer": layer, "frame_shift": 0.02, "subset": "dev-clean",
                         "speaker": "within", "context": "within", "distance": "cosine", "score": score,
                         "ci_low": score - 0.01, "ci_high": score + 0.01, "n_cells": 1, "n_triplets": 1,
                         "n_speakers": 2, "n_tokens": 1, "status": status,
                         "reason": "layer trm2.1 has a frame shift of 0.32 s" if status != "scored" else ""})
    return pd.DataFrame(rows)


def semantic_rows() -> pd.DataFrame:
    rows = []
    for layer, rho in (("trm1.6", 5.0), ("trm2.1", 9.0), ("conv2", 12.0)):
        for dataset, value in (("taxonomy", rho - 1), ("themes", rho + 1), ("mean", rho), ("weighted_mean", rho)):
            rows.append({"model": "trained", "layer": layer, "pool": "max", "metric": "cosine", "type": "synthetic",
                         "dataset": dataset, "correlation": value, "n_pairs": 10, "status": "scored", "reason": ""})
    return pd.DataFrame(rows)


def test_every_score_becomes_one_row_of_the_long_table_in_display_units():
    m = measures(abx_rows(), semantic_rows(), None)
    assert tuple(m.columns) == MEASURE_COLUMNS
    abx = m[m["family"] == "abx"]
    assert set(abx["measure"]) == {"abx.within.dev-clean"} and (abx["better"] == "lower").all()
    assert abx.set_index(["model", "layer"]).loc[("trained", "trm1.6"), "value"] == pytest.approx(8.0)  # percent
    assert abx[abx["layer"] == "trm2.1"]["value"].isna().all()  # kept, as n/a
    ssimi = m[m["family"] == "ssimi"]
    assert len(ssimi) == 3 and set(ssimi["measure"]) == {"ssimi.max.synthetic"}  # the weighted mean rows only
    assert (ssimi["task"] == "semantic").all() and (abx["task"] == "phonetic").all()


def test_the_best_layer_follows_the_direction_of_the_measure_and_ranks_the_papers_layer():
    table = best_layers(measures(abx_rows(), semantic_rows(), None))
    assert tuple(table.columns) == BEST_COLUMNS
    best = table.set_index(["measure", "model"])
    row = best.loc[("abx.within.dev-clean", "trained")]
    assert (row["best_layer"], row["best_value"], row["paper_layer"], row["paper_rank"]) == ("trm1.6", 8.0, "trm1.6", 1)
    assert row["n_layers"] == 4  # trm2.1 was not scorable
    random = best.loc[("abx.within.dev-clean", "random")]
    assert random["best_layer"] == "cnn" and random["paper_rank"] == 3
    assert random["difference"] == pytest.approx(30.0 - 35.0)
    ssimi = best.loc[("ssimi.max.synthetic", "trained")]
    assert ssimi["best_layer"] == "conv2" and ssimi["paper_layer"] == "trm2.1" and ssimi["paper_rank"] == 2
    assert ("abx.within.dev-clean", "logmel") not in best.index


def test_the_wide_table_keeps_each_models_own_layers_in_network_order():
    wide = measure_table(measures(abx_rows(), None, None), "abx")
    assert list(wide.index) == [("trained", n) for n in ("cnn", "trm1.1", "trm1.6", "trm1.8", "trm2.1")] + [
        ("random", n) for n in ("cnn", "trm1.1", "trm1.6", "trm1.8", "trm2.1")] + [("logmel", "logmel")]
    assert list(wide.columns) == ["ABX within speaker, dev-clean"]


def test_layers_sort_in_network_order():
    names = ["logmel", "trm2.1", "trm1.10", "conv2", "trm1.2", "cnn", "audio.coarse", "trm1.0"]
    assert sorted(names, key=layer_sort_key) == ["cnn", "trm1.0", "trm1.2", "trm1.10", "conv2", "trm2.1",
                                                 "audio.coarse", "logmel"]
    assert sorted(["hidden.10", "hidden.2", "hidden.0"], key=layer_sort_key) == ["hidden.0", "hidden.2", "hidden.10"]


def test_a_plot_is_written_or_returned(tmp_path):
    m = measures(abx_rows(), semantic_rows(), None)
    path = plot_measures(m, tmp_path / "abx.png", family="abx")
    assert path.read_bytes().startswith(b"\x89PNG")
    fig = plot_measures(m, family="ssimi")
    assert [ax.get_title() for ax in fig.axes] == ["sSIMI synthetic, max pooling"]
    assert fig.legends and "paper's layer (trm2.1, max pooling)" in [t.get_text() for t in fig.legends[0].texts]
    import matplotlib.pyplot as plt

    plt.close(fig)
    with pytest.raises(InputError, match="no probe measures"):
        plot_measures(m, family="probe")


def test_reading_a_folder_that_is_no_sweep_output_is_a_clear_error(tmp_path):
    with pytest.raises(InputError, match="no sweep.json"):
        read_sweep(tmp_path)
    (tmp_path / "sweep.json").write_text(json.dumps({}))
    abx_rows().drop(columns=["status"]).to_csv(tmp_path / "abx.csv", index=False)
    with pytest.raises(InputError, match=r"abx.csv: missing columns \['status'\]"):
        read_sweep(tmp_path)


def test_a_sweep_folder_without_some_measures_reads_as_empty_tables(tmp_path):
    (tmp_path / "sweep.json").write_text(json.dumps({"models": []}))
    abx_rows().to_csv(tmp_path / "abx.csv", index=False)
    t = read_sweep(tmp_path)
    assert len(t.abx) == 11 and len(t.probes) == 0 and "status" in t.probes.columns
    assert t.abx[t.abx["layer"] == "trm2.1"]["score"].isna().all()
