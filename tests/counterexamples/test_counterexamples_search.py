"""The search: every kind finds an instance, and each is re-verified here with the core.

The re-verification never reads the search's certificate for its verdict: it recomputes NBC,
average rewards and (for sampling-flip) the flipping distribution's effect from the population.
"""

from __future__ import annotations

import doctest
import json

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from socialpref import BradleyTerry, average_reward, nbc
from socialpref.counterexamples import SEARCH_KINDS, SearchResult, search
from socialpref.counterexamples import searching as search_module
from socialpref.sensitivity import min_tv_flip

#: Smallest strict gap accepted as "ordered" in the re-verification.
STRICT = 1e-9
#: Budget used in these tests (margin evaluations).
BUDGET = 400


def reverify(res: SearchResult) -> bool:
    """Recompute the property of ``res.kind`` for ``res.population`` with the core."""
    pop = res.population
    assert pop is not None
    r, w = pop.rewards, pop.type_weights
    n = pop.n_options
    avg, nb = average_reward(r, w), nbc(r, w)
    pairs = [(i, j) for i in range(n) for j in range(n) if i != j]
    if res.kind == "top-disagreement":
        a, b = int(np.argmax(avg)), int(np.argmax(nb))
        unique_a = np.sum(avg >= avg[a] - STRICT) == 1
        unique_b = np.sum(nb >= nb[b] - STRICT) == 1
        return bool(a != b and unique_a and unique_b)
    if res.kind == "rank-reversal":
        return any(avg[i] > avg[j] + STRICT and nb[j] > nb[i] + STRICT for i, j in pairs)
    if res.kind == "temperature-flip":
        n1, n2 = nbc(r, w, None, BradleyTerry(1.0)), nbc(r, w, None, BradleyTerry(2.0))
        return any(n1[i] > n1[j] + STRICT and n2[j] > n2[i] + STRICT for i, j in pairs)
    if res.kind == "iia":
        sub, full = nbc(r[:, :-1], w), nbc(r, w)
        irrelevant = bool(np.all(r[:, -1] < r[:, :-1].max(axis=1)))
        inner = [(i, j) for i, j in pairs if i < n - 1 and j < n - 1]
        return irrelevant and any(
            sub[i] > sub[j] + STRICT and full[j] > full[i] + STRICT for i, j in inner
        )
    if res.kind == "sampling-flip":
        # the certificate's D, checked with the core: a distribution within TV t that flips a pair
        q = np.asarray(res.certificate["distribution"])
        i, j = res.certificate["pair"]
        assert abs(q.sum() - 1) < 1e-12 and np.all(q > 0)
        tv = 0.5 * np.abs(q - 1.0 / n).sum()
        flipped = nbc(r, w, q)
        return bool(
            nb[i] > nb[j] and flipped[j] > flipped[i] and tv <= res.parameters["tv"] + 1e-12
        )
    raise AssertionError(res.kind)


@pytest.mark.parametrize("kind", SEARCH_KINDS)
def test_each_kind_is_found_and_reverified(kind: str) -> None:
    res = search(kind, 2, 3, seed=0, budget=BUDGET)
    assert res.found, res.message
    assert res.message.startswith("Found")
    assert reverify(res)
    pop = res.population
    assert pop is not None
    # shrunk: rows shifted to a minimum of 0, rewards on the half grid, small
    np.testing.assert_array_equal(pop.rewards.min(axis=1), 0.0)
    np.testing.assert_array_equal(np.round(pop.rewards * 2) / 2, pop.rewards)
    assert pop.rewards.max() <= 10
    assert res.evaluations <= BUDGET


@pytest.mark.parametrize("kind", ["top-disagreement", "iia", "sampling-flip"])
def test_bigger_populations(kind: str) -> None:
    res = search(kind, 3, 4, seed=1, budget=BUDGET)
    assert res.found and reverify(res)
    assert res.population is not None and res.population.rewards.shape == (3, 4)


@pytest.mark.parametrize("kind", SEARCH_KINDS)
def test_same_seed_same_instance(kind: str) -> None:
    a = search(kind, 2, 3, seed=7, budget=200)
    b = search(kind, 2, 3, seed=7, budget=200)
    assert a.found == b.found
    assert a.to_dict() == b.to_dict()


def test_sampling_flip_certificate_is_minimal() -> None:
    res = search("sampling-flip", 2, 3, seed=0, budget=BUDGET)
    assert res.population is not None
    r, w = res.population.rewards, res.population.type_weights
    nb = nbc(r, w)
    # an independent solver (scipy linprog) gives the same minimal TV over the pairs
    tvs = [
        min_tv_flip(r, w, i, j, solver="linprog").tv
        for i in range(3)
        for j in range(3)
        if i != j and nb[i] > nb[j]
    ]
    best = min(t for t in tvs if t is not None)
    assert abs(best - res.certificate["tv"]) < 1e-7
    assert best <= 0.1


@settings(max_examples=10)
@given(st.integers(0, 10_000), st.sampled_from(SEARCH_KINDS), st.integers(2, 3))
def test_any_seed_reverifies(seed: int, kind: str, n_types: int) -> None:
    res = search(kind, n_types, 3, seed=seed, budget=150)
    if res.found:
        assert reverify(res)
    else:
        assert res.population is None and "Nothing found" in res.message


def test_nothing_found_is_said_clearly() -> None:
    # one BT type: NBC orders options as the reward does, so the tops never disagree
    res = search("top-disagreement", 1, 3, seed=0, budget=100)
    assert not res.found and res.population is None
    assert res.message.startswith("Nothing found") and "budget of 100" in res.message
    d = res.to_dict()
    assert d["holds"] is False and d["rewards"] is None
    assert d["certificate"]["best_margin"] <= 0
    json.dumps(d, allow_nan=False)


def test_to_dict_keys() -> None:
    d = search("iia", 2, 3, seed=0, budget=200).to_dict()
    assert {
        "name",
        "claim",
        "rewards",
        "type_weights",
        "options",
        "types",
        "sampling",
        "model",
    } <= set(d)
    assert {"nbc", "average_reward", "holds", "certificate", "message", "seed"} <= set(d)
    assert d["name"] == "search:iia" and d["holds"] is True and d["seed"] == 0
    json.dumps(d, allow_nan=False)


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"kind": "nope"}, "'kind' parameter must be one of top-disagreement"),
        (
            {"kind": "iia", "n_options": 2},
            "'n_options' parameter of search must be an integer >= 3",
        ),
        ({"kind": "rank-reversal", "budget": 0}, "'budget' parameter"),
        ({"kind": "sampling-flip", "tv": 1.5}, "'tv' parameter"),
        ({"kind": "temperature-flip", "model": "bt"}, "'model' parameter of search must be None"),
        ({"kind": "temperature-flip", "temperatures": (1.0, 1.0)}, "'temperatures' parameter"),
        ({"kind": "rank-reversal", "model": "nope"}, "'model' parameter must be one of"),
    ],
)
def test_search_validates_arguments(kwargs: dict, match: str) -> None:
    with pytest.raises(ValueError, match=match):
        search(**kwargs)


def test_search_doctest() -> None:
    result = doctest.testmod(search_module)
    assert result.failed == 0 and result.attempted > 0
