"""Bradley-Terry / DPO loss on sequence scores (Eq. 15, Prop. 6.1)."""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy.optimize import check_grad

torch = pytest.importorskip("torch")

from socialpref.llm.losses import preference_loss, preference_margin  # noqa: E402

ATOL = 1e-6


def test_ln2_when_policy_equals_reference() -> None:
    s = torch.tensor([-12.0, -30.0])
    assert float(preference_loss(s, s + 3, s, s + 3)) == pytest.approx(math.log(2), abs=ATOL)


def test_closed_form_with_beta_and_margin_scale() -> None:
    w, lo = torch.tensor([-10.0, -5.0]), torch.tensor([-11.0, -2.0])
    rw, rl = torch.tensor([-9.0, -4.0]), torch.tensor([-9.5, -4.0])
    h = 0.5 * ((w - rw) - (lo - rl))
    torch.testing.assert_close(preference_margin(w, lo, rw, rl, beta=0.5), h)
    expected = float(np.mean(np.log1p(np.exp(-3.0 * h.numpy()))))
    assert float(preference_loss(w, lo, rw, rl, beta=0.5, margin_scale=3.0)) == pytest.approx(
        expected, abs=ATOL
    )


def test_gradient_matches_finite_differences() -> None:
    def f(x: np.ndarray) -> float:
        t = torch.tensor(x, dtype=torch.float64)
        return float(preference_loss(t[:3], t[3:], margin_scale=3.0))

    def grad(x: np.ndarray) -> np.ndarray:
        t = torch.tensor(x, dtype=torch.float64, requires_grad=True)
        preference_loss(t[:3], t[3:], margin_scale=3.0).backward()
        assert t.grad is not None
        return t.grad.numpy()

    x0 = np.array([0.3, -1.0, 2.0, 0.1, 0.5, -0.7])
    assert check_grad(f, grad, x0) < 1e-6


def test_invalid_parameters() -> None:
    z = torch.zeros(1)
    with pytest.raises(ValueError, match="'beta'"):
        preference_loss(z, z, beta=0.0)
    with pytest.raises(ValueError, match="'margin_scale'"):
        preference_loss(z, z, margin_scale=-1.0)
