"""Losses against closed forms, finite differences (gradcheck, float64) and the paper's proofs."""

from __future__ import annotations

import itertools
import math

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.integrate import quad
from scipy.optimize import minimize_scalar
from scipy.special import expit, logit

from socialpref.train.losses import (
    b3_integral,
    b3_loss,
    consistent_loss,
    corrected_dpo_loss,
    dpo_loss,
    ipo_loss,
    joint_variance,
    soft_dpo_loss,
)

ATOL = 1e-10
RTOL = 1e-8
LN2 = math.log(2.0)


def _t(values):
    return torch.tensor(values, dtype=torch.float64)


def test_dpo_is_ln2_when_policy_equals_reference():
    loss = dpo_loss(torch.zeros(5), torch.zeros(5), beta=0.3)
    assert torch.allclose(loss, torch.full((5,), LN2), atol=1e-7)


@given(st.floats(-30, 30), st.floats(-30, 30), st.floats(0.05, 5))
@settings(max_examples=50)
def test_dpo_closed_form(c, r, beta):
    expected = math.log1p(math.exp(-beta * (c - r))) if beta * (c - r) > -30 else -beta * (c - r)
    assert float(dpo_loss(_t([c]), _t([r]), beta)[0]) == pytest.approx(expected, rel=1e-9, abs=1e-9)


def test_soft_dpo_reduces_to_dpo_on_hard_labels():
    a, b = _t([0.3, -1.2]), _t([1.0, 0.5])
    hard = soft_dpo_loss(a, b, _t([1.0, 0.0]), 0.7)
    expected = torch.stack([dpo_loss(b[:1], a[:1], 0.7)[0], dpo_loss(a[1:], b[1:], 0.7)[0]])
    assert torch.allclose(hard, expected, atol=ATOL)


def test_ipo_closed_form_and_minimum():
    assert float(ipo_loss(_t([2.0]), _t([1.0]), beta=0.5)[0]) == pytest.approx(0.0)
    assert float(ipo_loss(_t([0.0]), _t([0.0]), beta=1.0)[0]) == pytest.approx(0.25)


def test_gradcheck_all_losses():
    g = torch.Generator().manual_seed(0)
    a = torch.randn(6, generator=g, dtype=torch.float64, requires_grad=True)
    b = torch.randn(6, generator=g, dtype=torch.float64, requires_grad=True)
    labels = _t([[1, 1, 1], [0, 0, 0], [1, 0, 1], [1, 1, 1], [0, 0, 0], [0, 1, 1]])
    var = _t([0.01, 0.02, 0.0, 0.03, 0.005, 0.01])
    checks = [
        lambda x, y: dpo_loss(x, y, 0.8),
        lambda x, y: ipo_loss(x, y, 0.8),
        lambda x, y: soft_dpo_loss(x, y, _t([0.2, 0.9, 0.5, 0.1, 0.7, 0.3]), 0.8),
        lambda x, y: corrected_dpo_loss(x, y, var, alpha=1.0, beta=0.8, clamp=10.0),
        lambda x, y: consistent_loss(x, y, labels, 0.8),
        lambda x, y: b3_loss(x, y, labels, 0.8),
    ]
    for fn in checks:
        assert torch.autograd.gradcheck(fn, (a, b), eps=1e-6, atol=1e-6)


def test_sigma_derivatives_used_in_eq_14_16():
    # sigma' = s (1 - s) and sigma'' = s (1 - s)(1 - 2 s), checked by autograd.
    h = torch.linspace(-6, 6, 41, dtype=torch.float64, requires_grad=True)
    s = torch.sigmoid(h)
    (d1,) = torch.autograd.grad(s.sum(), h, create_graph=True)
    (d2,) = torch.autograd.grad(d1.sum(), h)
    s = s.detach()
    assert torch.allclose(d1, s * (1 - s), atol=1e-12)
    assert torch.allclose(d2, s * (1 - s) * (1 - 2 * s), atol=1e-12)


def test_eq14_second_order_expansion_error_is_third_order():
    # E_u sigma(d_u) - [sigma(mean) + sigma''(mean) Var / 2] shrinks like spread^3 (Eq. 14).
    base = np.array([0.4, -0.3, 0.9])
    errors = []
    for eps in (0.4, 0.2, 0.1):
        d = 0.5 + eps * base
        mean, var = d.mean(), d.var()
        s = expit(mean)
        approx = s + 0.5 * s * (1 - s) * (1 - 2 * s) * var
        errors.append(abs(expit(d).mean() - approx))
    assert errors[0] / errors[1] > 6 and errors[1] / errors[2] > 6  # about 2^3 = 8


def test_lemma_5_3_variance_from_joint_likelihood():
    # For a mixture of BT types, J1 = E[s^2] and J2 = E[s (1 - s)]: J1 - (J1 + J2)^2 = Var[s] exactly,
    # and Var[s] / sigma'(mean d)^2 approximates Var[d] (Eq. 16) for a small spread.
    w = np.array([0.2, 0.5, 0.3])
    d = np.array([0.31, 0.29, 0.36])
    s = expit(d)
    j1, j2 = (w * s * s).sum(), (w * s * (1 - s)).sum()
    var_s = float(joint_variance(_t([j1]), _t([j2]))[0])
    assert var_s == pytest.approx((w * (s - (w * s).sum()) ** 2).sum(), abs=1e-15)
    mean = (w * d).sum()
    var_d = (w * (d - mean) ** 2).sum()
    assert var_s / (expit(mean) * (1 - expit(mean))) ** 2 == pytest.approx(var_d, rel=1e-2)
    assert float(joint_variance(_t([0.5]), _t([0.3]))[0]) == 0.0  # clamped at zero


def test_corrected_closed_form_alpha_zero_and_clamp():
    c, r = _t([0.7, -0.4, 0.0]), _t([0.1, 0.3, 0.0])
    var = _t([0.05, 0.04, 0.3])
    assert torch.allclose(corrected_dpo_loss(c, r, var, alpha=0.0), dpo_loss(c, r), atol=ATOL)
    assert torch.allclose(
        corrected_dpo_loss(c, r, torch.zeros(3), alpha=3.0), dpo_loss(c, r), atol=ATOL
    )
    for alpha in (1.0, 4.0):
        h = (c - r).numpy()
        s = expit(h)
        corr = np.clip(alpha / 2 * (1 - 2 * s) * var.numpy() / (s * (1 - s)), -0.1, 0.1)
        # The same correction from Eq. (14)-(16): alpha/2 sigma''(h) V with V = Var_s / sigma'(h)^2.
        v = var.numpy() / (s * (1 - s)) ** 2
        assert np.allclose(
            corr, np.clip(alpha / 2 * s * (1 - s) * (1 - 2 * s) * v, -0.1, 0.1), atol=1e-12
        )
        expected = -np.log(np.maximum(s + corr, 1e-6))
        got = corrected_dpo_loss(c, r, var, alpha=alpha).numpy()
        assert np.allclose(got, expected, atol=1e-12)
    # The stable log floors the likelihood at eps.
    tiny = corrected_dpo_loss(_t([-40.0]), _t([0.0]), _t([0.0]), alpha=1.0, eps=1e-6)
    assert float(tiny[0]) == pytest.approx(-math.log(1e-6))
    with pytest.raises(ValueError, match="'alpha'"):
        corrected_dpo_loss(c, r, var, alpha=-1.0)
    with pytest.raises(ValueError, match="'beta'"):
        dpo_loss(c, r, beta=0.0)


def _outcomes(k):
    return [np.array(o, dtype=float) for o in itertools.product([0, 1], repeat=k)]


def _expected_loss(loss_fn, z, h):
    """Population loss at one (y1, y2): sum over o of chi_o(z) * l(o; h) (proof of Lemma C.1)."""
    k = len(z)
    total = 0.0
    for o in _outcomes(k):
        chi = float(np.prod(z**o * (1 - z) ** (1 - o)))
        total += chi * float(loss_fn(_t([0.0]), _t([h]), _t([o.tolist()]))[0])
    return total


def _authors_consistent(h, labels):
    """The reference code's version: sigma(k (1 - h)) in the all-zero case (the defect)."""
    k = labels.shape[-1]
    all_one = (labels > 0.5).all(-1)
    all_zero = (labels < 0.5).all(-1)
    zero = torch.zeros_like(h)
    return torch.where(all_one, -torch.nn.functional.logsigmoid(k * h), zero) + torch.where(
        all_zero, -torch.nn.functional.logsigmoid(k * (1 - h)), zero
    )


@pytest.mark.parametrize(
    "z", [[0.7, 0.2, 0.9], [0.4, 0.45, 0.3], [0.8, 0.6], [0.1, 0.35, 0.2, 0.6]]
)
def test_consistent_loss_minimiser_is_mean_reward_difference(z):
    # Prop. 6.1: with BT types, z_u = sigma(Delta r_u); the population minimiser is h = mean_u Delta r_u.
    z = np.array(z)
    target = float(np.mean(logit(z)))
    res = minimize_scalar(
        lambda h: _expected_loss(consistent_loss, z, h),
        bounds=(-10, 10),
        method="bounded",
        options={"xatol": 1e-10},
    )
    assert res.x == pytest.approx(target, abs=1e-6)
    # Both unanimous cases matter: all-ones alone would push h to +inf, all-zeros alone to -inf.
    ones = consistent_loss(_t([0.0]), _t([0.5]), _t([[1.0] * len(z)]))
    zeros = consistent_loss(_t([0.0]), _t([0.5]), _t([[0.0] * len(z)]))
    k = len(z)
    assert float(ones[0]) == pytest.approx(math.log1p(math.exp(-k * 0.5)))
    assert float(zeros[0]) == pytest.approx(math.log1p(math.exp(k * 0.5)))
    # The authors' all-zero case sigma(k (1 - h)) is not the likelihood: its minimiser is off.
    res_bug = minimize_scalar(
        lambda h: _expected_loss(lambda a, b, o: _authors_consistent(b - a, o), z, h),
        bounds=(-10, 10),
        method="bounded",
    )
    assert abs(res_bug.x - target) > 0.05


def test_consistent_loss_ignores_disagreement():
    loss = consistent_loss(_t([0.3, 0.3]), _t([1.0, 1.0]), _t([[1, 0, 1], [0, 1, 1]]))
    assert torch.equal(loss, torch.zeros(2, dtype=torch.float64))


@pytest.mark.parametrize("k", [0, 1, 2, 3, 4, 5, 7])
@pytest.mark.parametrize("theta", [0.05, 0.3, 0.5, 0.77, 1.0])
def test_b3_integral_matches_quad(k, theta):
    expected, _ = quad(lambda t: (1.0 / t - 1.0) ** k, 1.0, theta, epsabs=1e-13, epsrel=1e-12)
    got = float(b3_integral(_t(theta), k))
    assert got == pytest.approx(expected, rel=1e-9, abs=1e-10)


@pytest.mark.parametrize(("k", "theta"), [(3, 0.999), (10, 0.9), (6, 0.99)])
def test_b3_integral_float32_is_accurate_near_one(k, theta):
    expected, _ = quad(lambda t: (1.0 / t - 1.0) ** k, 1.0, theta, epsabs=1e-16, epsrel=1e-12)
    x = torch.tensor(theta, dtype=torch.float32, requires_grad=True)
    got = b3_integral(x, k)
    assert got.dtype == torch.float32
    assert float(got.detach()) == pytest.approx(expected, rel=1e-5, abs=1e-12)
    (grad,) = torch.autograd.grad(got, x)
    assert float(grad) == pytest.approx((1.0 / float(x) - 1.0) ** k, rel=1e-5)


def test_b3_integral_gradient_matches_finite_differences():
    theta = torch.tensor([0.1, 0.45, 0.8], dtype=torch.float64, requires_grad=True)
    for k in (1, 3, 4):
        assert torch.autograd.gradcheck(lambda t, k=k: b3_integral(t, k), (theta,))


def test_b3_integral_closed_form_k1_and_validation():
    theta = _t([0.2, 0.6])
    assert torch.allclose(b3_integral(theta, 1), torch.log(theta) - theta + 1, atol=1e-14)
    with pytest.raises(ValueError, match="'k'"):
        b3_integral(theta, -1)


def test_b3_loss_is_dpo_minus_one_for_a_single_type():
    a, b = _t([0.1, -0.5]), _t([0.9, 0.2])
    lab = _t([[1.0], [0.0]])
    expected = torch.stack([dpo_loss(b[:1], a[:1])[0], dpo_loss(a[1:], b[1:])[0]]) - 1.0
    assert torch.allclose(b3_loss(a, b, lab), expected, atol=1e-12)


@pytest.mark.parametrize("z", [[0.7, 0.2, 0.9], [0.55, 0.3, 0.6]])
def test_b3_loss_minimiser_is_mean_reward_difference(z):
    # Prop. B.3: s* = sigma(mean_u Delta r_u), i.e. h* = mean logit(z) (Eq. 21).
    z = np.array(z)
    res = minimize_scalar(
        lambda h: _expected_loss(b3_loss, z, h),
        bounds=(-8, 8),
        method="bounded",
        options={"xatol": 1e-10},
    )
    assert res.x == pytest.approx(float(np.mean(logit(z))), abs=1e-5)
