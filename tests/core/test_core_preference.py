"""Preference models: closed forms, complementarity, parsing."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from scipy.stats import norm

from socialpref import BradleyTerry, MajorityStep, Thurstone, get_model
from socialpref.errors import ParameterError

ATOL = 1e-12
finite = st.floats(-50, 50, allow_nan=False)


@pytest.mark.parametrize(
    "model", [BradleyTerry(), BradleyTerry(2.0), Thurstone(), Thurstone(0.5), MajorityStep()]
)
@given(d=finite)
def test_complementary_and_half_at_zero(model, d):
    p, q = model.prob(d), model.prob(-d)
    assert float(p + q) == pytest.approx(1.0, abs=ATOL)
    assert float(model.prob(0.0)) == 0.5


def test_bradley_terry_closed_form_and_temperature():
    assert float(BradleyTerry().prob(1.0)) == pytest.approx(1 / (1 + math.exp(-1)), abs=ATOL)
    # the paper's sigma_2(z) = 1 / (1 + exp(-z / 2))
    assert float(BradleyTerry(2.0).prob(3.0)) == pytest.approx(1 / (1 + math.exp(-1.5)), abs=ATOL)


def test_thurstone_is_normal_cdf():
    d = np.linspace(-4, 4, 17)
    np.testing.assert_allclose(Thurstone(1.5).prob(d), norm.cdf(d / 1.5), atol=ATOL)


def test_majority_step_counts_ties_half():
    assert MajorityStep().prob([-2.0, 0.0, 1e-9]).tolist() == [0.0, 0.5, 1.0]


def test_get_model_parsing():
    assert get_model(None) == BradleyTerry()
    assert get_model("bt:2") == BradleyTerry(2.0)
    assert get_model("Bradley-Terry") == BradleyTerry()
    assert get_model("probit:0.5") == Thurstone(0.5)
    assert isinstance(get_model("majority"), MajorityStep)
    m = Thurstone(3.0)
    assert get_model(m) is m


@pytest.mark.parametrize("bad", ["logit", "bt:x", "majority:2", 3])
def test_get_model_rejects_unknown(bad):
    with pytest.raises(ParameterError, match="model"):
        get_model(bad)


@pytest.mark.parametrize("t", [0.0, -1.0, float("nan"), float("inf")])
def test_temperature_must_be_positive(t):
    with pytest.raises(ParameterError, match="temperature"):
        BradleyTerry(t)
