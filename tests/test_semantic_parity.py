"""vgprobe's sSIMI scores equal the official scorer's on a generated set, for every pooling.

The pins in tests/data/semantic_pins.json were produced by running the official scorer,
zerospeech-benchmarks 0.9.4 ``SemanticTask.semantic_eval`` (Python 3.11.7, numpy 2.4.6,
pandas 2.3.3, scipy 1.17.1, in a separate venv), on ``write_semantic_set(tmp, seed=0)``:

    APP_DIR=/tmp/zrapp /tmp/refvenv/bin/python tests/reference/semantic_pins.py > tests/data/semantic_pins.json

(see that script's docstring for the venv setup). The summary rows were computed from the
official per-dataset correlations as ``SLM21Submission.semantic_scores`` does (pandas mean,
``np.average`` weighted by the pair counts), without its 4-decimal CSV rounding.
"""

import json
import math
from pathlib import Path

import pytest

from semantic_data import write_semantic_set
from vgprobe.zerospeech.semantic import score_semantic_pairs

PINS = json.loads((Path(__file__).parent / "data" / "semantic_pins.json").read_text())
CONFIGS = [key for key in PINS if "/" in key]


@pytest.fixture(scope="module")
def data(tmp_path_factory):
    data = write_semantic_set(tmp_path_factory.mktemp("ssimi"), seed=0)
    assert data.sha256 == PINS["sha256"], "the generator no longer writes the pinned data; regenerate the pins"
    return data


def test_every_pooling_with_cosine_and_euclidean_is_pinned():
    for pool in ("max", "min", "mean", "sum", "last", "lastlast"):
        assert {f"{pool}/cosine", f"{pool}/euclidean"} <= set(CONFIGS)


@pytest.mark.parametrize("config", CONFIGS)
@pytest.mark.filterwarnings("ignore:An input array is constant")  # max/seuclidean: one NaN dataset, as pinned
def test_correlations_equal_the_official_scorer(data, config):
    pool, metric = config.split("/")
    scores = score_semantic_pairs(data.features, data.gold, data.pairs, pool=pool, metric=metric)
    mine = {(r.type, r.dataset): r for r in scores.results}
    pinned = {(t, d): (c, n) for t, d, c, n in PINS[config]["rows"]}
    assert set(mine) == set(pinned)
    assert scores.distances.sum() == pytest.approx(PINS[config]["score_sum"], rel=1e-12, abs=1e-9)
    nan_types = {t for (t, d), (c, n) in pinned.items() if d not in ("mean", "weighted_mean") and math.isnan(c)}
    for key, (correlation, n_pairs) in pinned.items():
        assert mine[key].n_pairs == n_pairs, key
        if key[0] in nan_types and key[1] in ("mean", "weighted_mean"):
            # the official plain mean skips NaN datasets (pandas); vgprobe reports NaN, as np.average does
            assert math.isnan(mine[key].correlation), key
        elif math.isnan(correlation):
            assert math.isnan(mine[key].correlation), key
        else:
            assert mine[key].correlation == pytest.approx(correlation, rel=0, abs=1e-9), key

