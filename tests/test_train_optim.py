"""BertAdam equals a float64 transcription of the authors' update rule, schedule included."""

import copy
import math

import numpy as np
import pytest
import torch

from vgprobe.errors import ConfigError
from vgprobe.train.optim import BertAdam, warmup_linear


def transcription(p0, grads, *, lr, warmup, t_total, b1, b2, eps, wd):
    """Loops over elements in float64, following the update equations in the module docstring."""
    p = [float(x) for x in p0]
    m = [0.0] * len(p)
    v = [0.0] * len(p)
    for t, g in enumerate(grads):
        x = t / t_total
        f = x / warmup if x < warmup else max((x - 1.0) / (warmup - 1.0), 0.0)
        for i in range(len(p)):
            m[i] = b1 * m[i] + (1 - b1) * g[i]
            v[i] = b2 * v[i] + (1 - b2) * g[i] * g[i]
            u = m[i] / (math.sqrt(v[i]) + eps) + wd * p[i]
            p[i] = p[i] - lr * f * u
    return np.array(p)


def run_optimizer(p0, grads, dtype, **kw):
    p = torch.nn.Parameter(torch.tensor(p0, dtype=dtype))
    opt = BertAdam([p], **kw)
    for g in grads:
        p.grad = torch.tensor(g, dtype=dtype)
        opt.step()
    return p.detach().numpy(), opt


SETTINGS = dict(lr=0.05, warmup=0.25, t_total=8, betas=(0.9, 0.999), eps=1e-6, weight_decay=0.01)


def _transcribe(p0, grads, s):
    return transcription(p0, grads, lr=s["lr"], warmup=s["warmup"], t_total=s["t_total"], b1=s["betas"][0],
                         b2=s["betas"][1], eps=s["eps"], wd=s["weight_decay"])


def test_update_equals_float64_transcription_through_warmup_decay_and_past_t_total():
    rng = np.random.default_rng(0)
    p0 = rng.normal(size=12)
    grads = rng.normal(size=(11, 12))  # 11 steps > t_total = 8: the rate is 0 at the end
    got, _ = run_optimizer(p0, grads, torch.float64, **SETTINGS)
    np.testing.assert_allclose(got, _transcribe(p0, grads, SETTINGS), rtol=1e-13, atol=1e-15)
    got32, _ = run_optimizer(p0, grads, torch.float32, **SETTINGS)
    np.testing.assert_allclose(got32, _transcribe(p0, grads, SETTINGS), rtol=1e-5, atol=1e-6)


def test_no_bias_correction_and_first_step_has_zero_rate():
    p0, g = np.array([1.0, -2.0]), np.array([[0.5, 0.5], [0.5, 0.5]])
    got, opt = run_optimizer(p0, g[:1], torch.float64, **SETTINGS)
    np.testing.assert_array_equal(got, p0)  # f(0) = 0
    got, opt = run_optimizer(p0, g, torch.float64, **SETTINGS)
    # step 2: m = 0.19·g, v = 0.001999·g², f(1/8) = 0.5 — Adam with bias correction would move by lr·f·(1 + ...)
    m, v = 0.19 * 0.5, (1 - 0.999 ** 2) * 0.25
    expected = p0 - 0.05 * 0.5 * (m / (math.sqrt(v) + 1e-6) + 0.01 * p0)
    np.testing.assert_allclose(got, expected, rtol=1e-14)
    assert opt.current_lr() == pytest.approx(0.05 * 1.0)  # x = 2/8 reaches the end of warm-up


def test_weight_decay_is_decoupled_and_applies_with_zero_gradient():
    p0 = np.array([3.0])
    got, _ = run_optimizer(p0, np.zeros((3, 1)), torch.float64, lr=0.1, warmup=0.0, t_total=None,
                           weight_decay=0.5)
    np.testing.assert_allclose(got, [3.0 * (1 - 0.05) ** 3], rtol=1e-14)


@pytest.mark.parametrize(
    "x, expected", [(0.0, 0.0), (0.05, 0.5), (0.1, 1.0), (0.55, 0.5), (1.0, 0.0), (1.5, 0.0)]
)
def test_schedule_shape(x, expected):
    assert warmup_linear(x, 0.1) == pytest.approx(expected, abs=1e-12)


def test_parameters_without_gradient_keep_their_state_and_value():
    a, b = torch.nn.Parameter(torch.ones(2)), torch.nn.Parameter(torch.ones(2))
    opt = BertAdam([a, b], lr=0.1, warmup=0.1, t_total=10)
    for _ in range(3):
        a.grad = torch.ones(2)
        opt.step()
    assert torch.equal(b.detach(), torch.ones(2)) and b not in opt.state
    assert opt.state[a]["step"] == 3


def test_state_dict_round_trip_continues_identically():
    rng = np.random.default_rng(1)
    p0, grads = rng.normal(size=5), rng.normal(size=(6, 5))
    p = torch.nn.Parameter(torch.tensor(p0))
    opt = BertAdam([p], **SETTINGS)
    for g in grads[:3]:
        p.grad = torch.tensor(g)
        opt.step()
    saved, p_saved = copy.deepcopy(opt.state_dict()), p.detach().clone()
    q = torch.nn.Parameter(p_saved.clone())
    opt2 = BertAdam([q], **SETTINGS)
    opt2.load_state_dict(saved)
    for g in grads[3:]:
        p.grad, q.grad = torch.tensor(g), torch.tensor(g)
        opt.step()
        opt2.step()
    assert torch.equal(p, q)
    np.testing.assert_allclose(p.detach().numpy(), _transcribe(p0, grads, SETTINGS), rtol=1e-13)


@pytest.mark.parametrize(
    "kw, match",
    [(dict(lr=-1.0), "lr"), (dict(warmup=1.0), "warmup"), (dict(t_total=0), "t_total"),
     (dict(betas=(0.9, 1.0)), "betas"), (dict(eps=-1.0), "eps")],
)
def test_bad_settings(kw, match):
    args = dict(lr=0.1) | kw
    with pytest.raises(ConfigError, match=match):
        BertAdam([torch.nn.Parameter(torch.zeros(1))], **args)
