"""Population container and validation messages."""

from __future__ import annotations

import numpy as np
import pytest

from socialpref import (
    Population,
    average_reward,
    compare_aggregates,
    dpo_limit_policy,
    min_tv_flip,
    nbc,
    nbc_sensitivity,
    optimal_policy,
    pairwise_matrix,
)
from socialpref.errors import ParameterError
from socialpref.population import as_distribution, check_positive, population_arrays

REWARDS = [[6.0, 1.0, 4.0], [3.0, 9.0, 4.0]]
WEIGHTS = [0.3, 0.7]


def test_population_defaults_and_read_only():
    pop = Population([[1.0, 2.0, 3.0], [0.0, 0.0, 1.0]])
    assert pop.options == ("y1", "y2", "y3") and pop.types == ("u1", "u2")
    np.testing.assert_allclose(pop.type_weights, [0.5, 0.5])
    assert pop.n_types == 2 and pop.n_options == 3
    with pytest.raises(ValueError):
        pop.rewards[0, 0] = 5.0
    assert pop.to_dict()["options"] == ["y1", "y2", "y3"]


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"rewards": [[1.0, 2.0]], "type_weights": [2.0]}, "type_weights"),
        ({"rewards": [[1.0, 2.0]], "options": ["a"]}, "options"),
        ({"rewards": [[1.0, 2.0]], "options": ["a", "a"]}, "distinct"),
        ({"rewards": [[1.0, 2.0]], "types": ["x", "y"]}, "types"),
        ({"rewards": [["a", "b"]]}, "rewards"),
        ({"rewards": np.zeros((0, 3))}, "rewards"),
    ],
)
def test_population_validation(kwargs, match):
    with pytest.raises(ParameterError, match=match):
        Population(**kwargs)


def test_messages_name_argument_and_value():
    with pytest.raises(ParameterError, match=r"'base' parameter must sum to 1\. Got \[0\.2 0\.2\]"):
        as_distribution([0.2, 0.2], 2, "base")
    with pytest.raises(ParameterError, match=r"'beta' parameter of f must be > 0\.0\. Got -1"):
        check_positive(-1, "beta", "f")


CORE_FUNCTIONS = {
    "pairwise_matrix": lambda *a: pairwise_matrix(*a, model="bt:2"),
    "average_reward": average_reward,
    "nbc": lambda *a: nbc(*a, sampling=[0.5, 0.3, 0.2]),
    "optimal_policy": lambda *a: optimal_policy(*a, beta=0.5),
    "dpo_limit_policy": lambda *a: dpo_limit_policy(*a, beta=2.0),
    "compare_aggregates": lambda *a: compare_aggregates(*a).nbc,
    "nbc_sensitivity": lambda *a: nbc_sensitivity(*a).nbc,
    "min_tv_flip": lambda *a: min_tv_flip(*a, i=0, j=1).distribution,
}


@pytest.mark.parametrize("name", sorted(CORE_FUNCTIONS))
def test_core_functions_take_a_population(name: str) -> None:
    """``f(pop)`` equals ``f(rewards, type_weights)``: one unpacking helper behind both."""
    fn = CORE_FUNCTIONS[name]
    with_arrays = fn(REWARDS, WEIGHTS)
    with_population = fn(Population(REWARDS, WEIGHTS))
    np.testing.assert_allclose(with_population, with_arrays, rtol=0, atol=1e-15)
    with pytest.raises(ParameterError, match="'type_weights'"):
        fn(Population(REWARDS, WEIGHTS), WEIGHTS)
    with pytest.raises(ParameterError, match="'type_weights'"):
        fn(REWARDS)


def test_population_arrays() -> None:
    pop = Population(REWARDS, WEIGHTS)
    r, w = population_arrays(pop)
    assert r is pop.rewards and w is pop.type_weights
    r, w = population_arrays(REWARDS, WEIGHTS)
    assert r.dtype == np.float64 and w.tolist() == WEIGHTS
    with pytest.raises(ParameterError, match="'rewards'"):
        population_arrays([1.0, 2.0], [1.0])
    with pytest.raises(ParameterError, match="'type_weights'"):
        population_arrays(REWARDS, [0.5, 0.6])


def test_a_non_finite_entry_is_located_in_one_line() -> None:
    rewards = np.zeros((50, 40))
    rewards[3, 7] = np.nan
    rewards[4, 1] = np.inf
    with pytest.raises(ParameterError) as err:
        nbc(rewards, np.full(50, 1 / 50))
    message = str(err.value)
    assert "'rewards'" in message and "nan at [3, 7] (2 such entries)" in message
    assert "\n" not in message
    with pytest.raises(ParameterError, match=r"'type_weights'.*inf at \[1\] \(1 such entry\)"):
        nbc([[1.0, 2.0], [0.0, 1.0]], [0.5, np.inf])
    with pytest.raises(ParameterError, match=r"Got shape \(2, 2\)") as err:
        nbc(np.ones((3, 50)), np.full((2, 2), 0.25))  # a matrix in a message stays on one line
    assert "\n" not in str(err.value)
