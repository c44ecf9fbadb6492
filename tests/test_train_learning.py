"""The ``tiny`` recipe really learns on ``vgprobe synth vg`` data (the CI learning check).

A 200-image synthetic corpus (160 train images × 2 spoken captions, 20 held-out val images, 40 captions),
the ``tiny`` recipe from random init, batches of 16, for a fixed 120 steps (6 epochs, the `vgprobe quickstart
--fast` schedule; no wall-clock limit).
Specification (60 steps were measured on 2026-11-25 at total loss 0.894×, fine loss 0.866×, held-out coarse
S→I R@5 42.5–57.5 % depending on float rounding: too close to the bound, hence 120 steps):

- the training loss falls clearly from chance: the first 10 steps sit at chance, (λc + λf)·2·(δ + ln(B − 1 +
  e^−δ)); over the last 10 steps the total loss is at most 93 % and the fine loss at most 90 % of that;
- held-out recall rises clearly above chance: coarse speech→image R@5 ≥ 1.6 × chance (5/20) and R@10 ≥ 1.3 ×
  chance (10/20); coarse image→speech R@10 ≥ 1.2 × chance (1 − C(38,10)/C(40,10) = 44.2 %).
"""

from __future__ import annotations

import json
import math
from pathlib import Path

import pytest

from vgprobe.train import resolve_config, train

IMAGES = 200
STEPS = 120
OVERRIDES = {"batch_size": 16, "epochs": 6, "val_every_steps": STEPS}  # 20 batches per epoch: the schedule ends at STEPS


@pytest.fixture(scope="module")
def vg_corpus(tmp_path_factory) -> Path:
    from vgprobe.synth import build_vg_corpus

    return build_vg_corpus(tmp_path_factory.mktemp("vg") / "vg", images=IMAGES, captions_per_image=2, seed=0,
                           processes=2)


@pytest.fixture(scope="module")
def run(vg_corpus: Path, tmp_path_factory) -> tuple[list[dict], list[dict]]:
    out = tmp_path_factory.mktemp("run") / "tiny"
    train("tiny", vg_corpus, out, overrides=OVERRIDES, max_steps=STEPS, progress=False)
    rows = [json.loads(line) for line in (out / "metrics.jsonl").read_text().splitlines()]
    return [r for r in rows if r["kind"] == "train"], [r for r in rows if r["kind"] == "val"]


def chance_loss(batch: int, margin: float) -> float:
    """The loss when every score is equal: each direction is δ + ln(B − 1 + e^−δ)."""
    return 2 * (margin + math.log(batch - 1 + math.exp(-margin)))


def test_the_schedule_spans_exactly_the_steps_run():
    _, tcfg, _ = resolve_config("tiny", OVERRIDES)
    assert (2 * int(IMAGES * 0.8)) // tcfg.batch_size * tcfg.epochs == STEPS


def test_training_loss_falls_clearly_from_chance(run):
    train_rows, _ = run
    _, tcfg, _ = resolve_config("tiny", OVERRIDES)
    per_term = chance_loss(tcfg.batch_size, tcfg.margin)
    first, last = train_rows[0], train_rows[-1]
    assert first["step"] == 10 and last["step"] == STEPS
    assert first["loss"] == pytest.approx((tcfg.coarse_weight + tcfg.fine_weight) * per_term, rel=0.03)
    assert last["loss"] <= 0.93 * first["loss"], (first, last)
    assert last["fine"] <= 0.90 * first["fine"], (first, last)


def test_held_out_recall_is_clearly_above_chance(run):
    """With 20 held-out images R@1 is mostly noise (and training is not bit-reproducible across processes), so
    the bounds use R@5 and R@10: measured S->I R@5 50-52.5 %, R@10 75-90 %; I->S R@10 60-75 % over 4 runs of the
    lr 2e-4 recipe, and S->I R@5 50 %, R@10 77.5 %, I->S R@10 85 % with the current one (lr 5e-4)."""
    _, val_rows = run
    final = val_rows[-1]
    assert final["step"] == STEPS
    n_val = IMAGES // 10
    assert final["coarse.speech_to_image.R@5"] >= 1.6 * 5 / n_val, final
    assert final["coarse.speech_to_image.R@10"] >= 1.3 * 10 / n_val, final
    n_captions = 2 * n_val
    image_to_speech_chance = 1 - math.comb(n_captions - 2, 10) / math.comb(n_captions, 10)
    assert final["coarse.image_to_speech.R@10"] >= 1.2 * image_to_speech_chance, final
