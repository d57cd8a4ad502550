"""The synthetic environment: reward tables, exact targets from the core, 1-D profiles."""

from __future__ import annotations

import numpy as np
import pytest

from socialpref import nbc, optimal_policy
from socialpref.train.environment import (
    SyntheticEnvironment,
    circular_distance,
    decay_profile,
    profile_1d,
)

ATOL = 1e-12


def test_paper_rewards_at_landmarks():
    env = SyntheticEnvironment()
    r = env.rewards()
    # Type u = +10 on prompt 5: peak 4 at y = 15, 4 (1 - 0.075 d) at distance d, floored at 0.
    assert r[2, 5, 15] == pytest.approx(4.0)
    assert r[2, 5, 20] == pytest.approx(4.0 * (1 - 0.075 * 5))
    assert r[2, 5, 35] == 0.0  # distance 20
    assert r[1, 39, 1] == pytest.approx(1.5 * (1 - 0.1 * 2))  # wraps around the circle
    assert r.min() >= 0.0


def test_average_reward_profile_peaks_at_pm10():
    env = SyntheticEnvironment()
    delta, avg, se = profile_1d(env.average_reward())
    assert set(delta[np.isclose(avg, avg.max())].tolist()) == {-10, 10}
    assert avg[delta.tolist().index(0)] == pytest.approx((2 * 4 * 0.25 + 1.5) / 3)
    assert np.allclose(se, 0.0, atol=ATOL)  # the environment is circulant


def test_targets_match_core_per_prompt():
    env = SyntheticEnvironment(n=10, shifts=(-2, 0, 2), rates=(0.3, 0.4, 0.3))
    r = env.rewards()
    opt, nb = env.optimal_policy(), env.nbc()
    for x in (0, 7):
        assert np.allclose(opt[x], optimal_policy(r[:, x], [1 / 3] * 3), atol=ATOL)
        assert np.allclose(nb[x], nbc(r[:, x], [1 / 3] * 3), atol=ATOL)
    assert np.allclose(opt.sum(1), 1.0)
    dpo = env.dpo_limit_policy()
    # Prop. 4.2: DPO's infinite-data policy orders responses as NBC does.
    assert np.array_equal(np.argsort(dpo[3]), np.argsort(nb[3]))


def test_paper_nbc_prefers_zero_while_optimal_prefers_pm10():
    env = SyntheticEnvironment()
    delta, opt, _ = profile_1d(env.optimal_policy())
    _, nb, _ = profile_1d(env.nbc())
    assert abs(delta[np.argmax(nb)]) <= 1
    assert abs(delta[np.argmax(opt)]) == 10


def test_win_probabilities_are_bt():
    env = SyntheticEnvironment(n=6, shifts=(0, 3), rates=(0.3, 0.3), scales=(2.0, 1.0))
    p = env.win_probabilities()
    r = env.rewards()
    assert p[1, 2, 4, 5] == pytest.approx(1 / (1 + np.exp(-(r[1, 2, 5] - r[1, 2, 4]))))
    assert np.allclose(p + np.swapaxes(p, 2, 3), 1.0)


def test_decays_and_distance():
    d = np.array([0, 2, 10])
    assert decay_profile(d, 0.1, "quadratic").tolist() == pytest.approx([1.0, 0.96, 0.0])
    assert decay_profile(d, 0.5, "exponential").tolist() == pytest.approx(
        np.exp([0, -1, -5]).tolist()
    )
    assert decay_profile(d, 0.5, "gaussian").tolist() == pytest.approx(
        np.exp([0, -1, -25]).tolist()
    )
    assert circular_distance(np.array([3]), np.array([38]), 40).tolist() == [5]
    with pytest.raises(ValueError, match="'decay'"):
        decay_profile(d, 0.1, "cubic")


def test_profile_1d_rolls_rows():
    t = np.arange(16.0).reshape(4, 4)
    delta, mean, se = profile_1d(t)
    assert delta.tolist() == [-2, -1, 0, 1]
    rolled = np.array([[t[x, (x + d) % 4] for d in delta] for x in range(4)])
    assert np.allclose(mean, rolled.mean(0))
    assert np.allclose(se, rolled.std(0, ddof=1) / 2)


@pytest.mark.parametrize(
    ("kwargs", "name"),
    [
        ({"n": 1}, "'n'"),
        ({"rates": (0.1,)}, "'rates'"),
        ({"scales": (1, -1, 1)}, "'scales'"),
        ({"decay": "step"}, "'decay'"),
        ({"beta": 0}, "'beta'"),
        ({"type_weights": (1, 1)}, "type_weights"),
    ],
)
def test_environment_validation(kwargs, name):
    with pytest.raises(ValueError, match=name):
        SyntheticEnvironment(**kwargs)


def test_to_dict_round_trip():
    from socialpref.train.environment import env_from_settings

    env = SyntheticEnvironment(n=12, decay="gaussian", type_weights=(0.2, 0.5, 0.3))
    assert env_from_settings(env.to_dict()) == env
