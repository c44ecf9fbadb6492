"""Bootstrap 95 % intervals of the sSIMI correlations: exact resampled Spearman, seeded, summaries from the same draws."""

import json
import math

import numpy as np
import pytest
import scipy.stats

from semantic_data import write_semantic_set
from vgprobe.cli import main
from vgprobe.zerospeech.semantic import SYNTHETIC_LIBRISPEECH_NOTE, score_semantic, subset_note
from vgprobe.zerospeech.semantic.bootstrap import interval, resampled_correlations


@pytest.fixture(scope="module")
def data(tmp_path_factory):
    return write_semantic_set(tmp_path_factory.mktemp("boot"), seed=5, n_words=20, pairs_per_dataset=25)


def test_each_resample_is_the_spearman_correlation_of_the_drawn_pairs():
    rng = np.random.default_rng(1)
    x, y = np.round(rng.normal(size=30), 1), rng.normal(size=30)  # ties in x, as in human ratings
    got = resampled_correlations(x, y, n_bootstrap=5, rng=np.random.default_rng(7))
    idx = np.random.default_rng(7).integers(0, 30, size=(5, 30))
    want = [100 * scipy.stats.spearmanr(x[i], y[i])[0] for i in idx]
    np.testing.assert_allclose(got, want, rtol=0, atol=1e-10)


def test_undefined_resamples_are_nan_and_skipped():
    got = resampled_correlations(np.ones(4), np.arange(4.0), n_bootstrap=3, rng=np.random.default_rng(0))
    assert np.isnan(got).all() and all(math.isnan(v) for v in interval(got))
    assert interval(np.array([np.nan, 1.0, 3.0])) == pytest.approx((1.05, 2.95))


def test_intervals_surround_the_correlation_and_are_reproducible(data):
    results = score_semantic(data.features, data.gold, data.pairs, pool="mean", metric="cosine")
    for r in results:
        assert r.ci_low < r.correlation < r.ci_high, r
    again = score_semantic(data.features, data.gold, data.pairs, pool="mean", metric="cosine")
    assert again == results
    other = score_semantic(data.features, data.gold, data.pairs, pool="mean", metric="cosine", bootstrap_seed=1)
    assert [r.correlation for r in other] == [r.correlation for r in results]
    assert [r.ci_low for r in other] != [r.ci_low for r in results]
    none = score_semantic(data.features, data.gold, data.pairs, pool="mean", metric="cosine", n_bootstrap=0)
    assert all(r.ci_low is None and r.ci_high is None for r in none)


def test_a_type_with_one_dataset_has_the_same_interval_for_its_summaries(tmp_path):
    data = write_semantic_set(tmp_path, seed=2, n_words=12, pairs_per_dataset=20)
    lines = data.pairs.read_text().splitlines()
    data.pairs.write_text("\n".join([lines[0]] + [line for line in lines[1:] if ",mc-30," in line or line.startswith("librispeech")]) + "\n")
    rows = {(r.type, r.dataset): r for r in score_semantic(data.features, data.gold, data.pairs, pool="max", metric="cosine")}
    one = rows["synthetic", "mc-30"]
    for summary in ("mean", "weighted_mean"):
        assert (rows["synthetic", summary].ci_low, rows["synthetic", summary].ci_high) == pytest.approx((one.ci_low, one.ci_high))


def test_the_command_reports_intervals_in_json_and_csv(data, tmp_path, capsys):
    args = ["semantic", "--features", str(data.features), "--gold", str(data.gold), "--pairs", str(data.pairs)]
    assert main(args + ["--json", "--bootstrap", "200", "--bootstrap-seed", "3", "--out", str(tmp_path / "s.csv")]) == 0
    rows = json.loads(capsys.readouterr().out)
    assert all(r["ci_low"] < r["correlation"] < r["ci_high"] for r in rows)
    assert "ci_low,ci_high,n_pairs" in (tmp_path / "s.csv").read_text().splitlines()[0]
    assert main(args) == 0
    assert "95% CI" in capsys.readouterr().out


def test_a_synthetic_set_is_labelled_honestly(tmp_path, capsys):
    data = write_semantic_set(tmp_path / "src", seed=1, n_words=8, pairs_per_dataset=6)
    (tmp_path / "vgprobe-synth.json").write_text(json.dumps({"kind": "zr2021", "config": {}}))
    assert subset_note(tmp_path) == SYNTHETIC_LIBRISPEECH_NOTE and "holds no LibriSpeech audio" in SYNTHETIC_LIBRISPEECH_NOTE
    assert subset_note(data.root) is None
    (tmp_path / "sub" / "semantic" / "dev").mkdir(parents=True)
    (tmp_path / "semantic" / "dev").mkdir(parents=True)
    for type_ in ("synthetic", "librispeech"):
        (data.features / type_).rename(tmp_path / "sub" / "semantic" / "dev" / type_)
    for name in ("gold.csv", "pairs.csv"):
        (data.root / name).rename(tmp_path / "semantic" / "dev" / name)
    assert main(["semantic", "--submission", str(tmp_path / "sub"), "--data", str(tmp_path), "--bootstrap", "0"]) == 0
    assert "note: This dataset was synthesised by vgprobe" in capsys.readouterr().err
