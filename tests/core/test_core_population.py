"""Population container and validation messages."""

from __future__ import annotations

import numpy as np
import pytest

from socialpref import Population
from socialpref.population import as_distribution, check_positive


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
    with pytest.raises(ValueError, match=match):
        Population(**kwargs)


def test_messages_name_argument_and_value():
    with pytest.raises(ValueError, match=r"'base' parameter must sum to 1\. Got \[0\.2 0\.2\]"):
        as_distribution([0.2, 0.2], 2, "base")
    with pytest.raises(
        ValueError, match=r"'beta' parameter of f must be a finite number > 0\. Got -1"
    ):
        check_positive(-1, "beta", "f")
