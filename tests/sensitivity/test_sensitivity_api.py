"""Public API of the sensitivity package: results, tie rule, repair, validation, typed errors."""

from __future__ import annotations

import json
import subprocess
import sys

import numpy as np
import pytest

import socialpref
import socialpref.sensitivity
from socialpref.aggregate import compare_aggregates, nbc
from socialpref.errors import ParameterError, SolverError
from socialpref.population import Population
from socialpref.sensitivity import (
    DELTA,
    EPS,
    FlipResult,
    SensitivityResult,
    check_options,
    min_tv_flip,
    nbc_sensitivity,
    select_pairs,
)
from socialpref.sensitivity.lp import lp_cvxpy, lp_linprog

#: LP solvers against the closed form (required: 1e-7).
TV_ATOL = 1e-7

#: A 2-type, 4-option population where NBC (top option 2) and average reward (top 3) disagree.
REWARDS = [[1.0, 2.0, 1.0, 0.0], [1.0, 0.0, 2.0, 4.0]]
WEIGHTS = [0.6, 0.4]


def test_flip_result_fields_and_dict() -> None:
    res = min_tv_flip(REWARDS, WEIGHTS, 2, 1)
    assert isinstance(res, FlipResult) and res.feasible and res.pair == (2, 1)
    assert res.tv is not None and res.distribution is not None
    after = nbc(REWARDS, WEIGHTS, res.distribution)
    assert after[1] >= after[2] + DELTA - 1e-12
    d = res.to_dict()
    json.dumps(d, allow_nan=False)
    assert d["tv"] == res.tv and d["pair"] == [2, 1] and d["feasible"] is True
    off = min_tv_flip(REWARDS, WEIGHTS, 2, 0)
    assert not off.feasible and off.tv is None and off.distribution is None
    assert off.to_dict()["distribution"] is None


@pytest.mark.parametrize("solver", ["exact", "linprog", "cvxpy", "cvxpy:CLARABEL"])
def test_every_solver_gives_the_same_question_result(solver: str) -> None:
    if solver.startswith("cvxpy"):
        pytest.importorskip("cvxpy")
    ref = nbc_sensitivity(REWARDS, WEIGHTS)
    res = nbc_sensitivity(REWARDS, WEIGHTS, solver=solver)
    assert res.pair == ref.pair == (2, 1)
    assert res.min_tv is not None and ref.min_tv is not None
    assert abs(res.min_tv - ref.min_tv) <= TV_ATOL
    assert res.repair_tv is not None and ref.repair_tv is not None
    assert abs(res.repair_tv - ref.repair_tv) <= TV_ATOL
    assert res.top_flip and res.top_flippable and res.n_feasible == ref.n_feasible
    assert res.distribution is not None and ref.distribution is not None
    np.testing.assert_allclose(res.distribution, ref.distribution, atol=1e-6)


def test_question_result_is_consistent() -> None:
    res = nbc_sensitivity(REWARDS, WEIGHTS)
    assert isinstance(res, SensitivityResult) and res.flippable
    assert res.nbc_top == (2,) and res.average_top == (3,)
    assert res.n_pairs == 6  # all ordered pairs with NBC_i > NBC_j: 4 choose 2
    # the minimum over pairs equals the per-pair minimum
    tvs = [
        min_tv_flip(REWARDS, WEIGHTS, i, j).tv
        for i in range(4)
        for j in range(4)
        if res.nbc[i] > res.nbc[j]
    ]
    finite = [t for t in tvs if t is not None]
    assert len(finite) == res.n_feasible
    assert res.min_tv == min(finite)
    assert res.top_min_tv == res.min_tv  # the cheapest flip dethrones the top
    # the repair distribution exists and is costlier than dethroning the top
    assert res.repair_tv is not None and res.repair_tv > res.min_tv
    d = res.to_dict()
    json.dumps(d, allow_nan=False)
    assert d["pair"] == [2, 1] and d["flippable"] is True and d["repair_feasible"] is True


def test_repair_is_zero_when_nbc_and_average_agree() -> None:
    rewards = [[3.0, 1.0, 0.0], [2.0, 1.0, 0.0]]
    assert not compare_aggregates(rewards, [0.5, 0.5]).tops_differ
    res = nbc_sensitivity(rewards, [0.5, 0.5])
    assert res.repair_tv == 0.0 and res.repair_feasible is True
    assert nbc_sensitivity(rewards, [0.5, 0.5], repair=False).repair_feasible is None


def test_unflippable_question() -> None:
    """One type: NBC orders options by its reward for every q, so nothing can be flipped."""
    res = nbc_sensitivity([[0.0, 1.0, 2.0, 3.0]], [1.0])
    assert not res.flippable and res.min_tv is None and res.pair is None
    assert not res.top_flip and not res.top_flippable and res.n_feasible == 0
    assert res.repair_tv == 0.0


def test_tie_rule_prefers_a_pair_that_dethrones_the_top() -> None:
    inf = np.inf
    tv = np.full((1, 3, 3), inf)
    tv[0, 1, 0] = 0.2  # earlier in row-major order, does not involve the top
    tv[0, 2, 1] = 0.2 + 1e-13  # tied within TV_TIE_TOL, i = 2 is the top
    pick, best, top_best = select_pairs(tv, np.array([[False, False, True]]))
    assert divmod(int(pick[0]), 3) == (2, 1)
    assert best[0] == 0.2 and top_best[0] == 0.2 + 1e-13
    pick, _, _ = select_pairs(tv, np.array([[True, False, False]]))
    assert divmod(int(pick[0]), 3) == (1, 0)  # no top among the tied pairs: row-major


def test_duplicate_options_tie_and_top_flip_does_not_depend_on_order() -> None:
    """Options 1 and 3 are identical: the top (2) is dethroned by either at the same TV."""
    rewards = np.array([[-2.0, -1.0, 0.0, -1.0], [0.0, 0.0, -2.0, 0.0]])
    weights = [0.7, 0.3]
    res = nbc_sensitivity(rewards, weights, repair=False)
    assert res.nbc_top == (2,) and res.pair == (2, 1) and res.top_flip and res.n_feasible == 2
    for perm in ([3, 2, 1, 0], [1, 0, 3, 2], [2, 3, 0, 1], [0, 3, 2, 1]):
        other = nbc_sensitivity(rewards[:, perm], weights, repair=False)
        assert other.top_flip and other.pair is not None
        assert perm[other.pair[0]] == 2 and perm[other.pair[1]] in (1, 3)
        assert other.min_tv is not None and res.min_tv is not None
        assert abs(other.min_tv - res.min_tv) <= 1e-12


def test_other_base_and_models() -> None:
    base = [0.4, 0.3, 0.2, 0.1]
    res = nbc_sensitivity(REWARDS, WEIGHTS, base=base, model="bt:2")
    ref = nbc_sensitivity(REWARDS, WEIGHTS, base=base, model="bt:2", solver="linprog")
    assert (res.min_tv is None) == (ref.min_tv is None)
    if res.min_tv is not None and ref.min_tv is not None:
        assert abs(res.min_tv - ref.min_tv) <= TV_ATOL
    np.testing.assert_allclose(res.nbc, nbc(REWARDS, WEIGHTS, base, "bt:2"), atol=1e-15)
    # a base outside eps costs at least what it takes to lift it to eps
    flip = min_tv_flip(REWARDS, WEIGHTS, 2, 1, base=[0.5, 0.5, 0.0, 0.0])
    assert flip.tv is not None and flip.tv >= 2 * EPS


@pytest.mark.parametrize(
    ("kwargs", "name"),
    [
        ({"eps": 0.25}, "eps"),
        ({"eps": -1.0}, "eps"),
        ({"delta": float("nan")}, "delta"),
        ({"base": [0.5, 0.5, 0.5, -0.5]}, "base"),
        ({"base": [0.2, 0.2, 0.2, 0.2]}, "base"),
        ({"base": [0.5, 0.5]}, "base"),
        ({"solver": "simplex"}, "solver"),
        ({"solver": "cvxpy:NO_SUCH_SOLVER"}, "solver"),
        ({"solver": "linprog:HIGHS"}, "solver"),
        ({"model": "logit"}, "model"),
    ],
)
def test_bad_input_names_the_argument(kwargs: dict, name: str) -> None:
    with pytest.raises(ParameterError, match=f"'{name}'"):
        min_tv_flip(REWARDS, WEIGHTS, 2, 1, **kwargs)
    with pytest.raises(ParameterError, match=f"'{name}'"):
        nbc_sensitivity(REWARDS, WEIGHTS, **kwargs)
    if name != "base":
        with pytest.raises(ParameterError, match=f"'{name}'"):
            check_options(n_options=4, **kwargs)


@pytest.mark.parametrize(
    ("i", "j", "name"), [(1, 1, "j"), (0, 4, "j"), (-1, 0, "i"), (1.0, 0, "i"), (None, 0, "i")]
)
def test_bad_pair(i: object, j: object, name: str) -> None:
    with pytest.raises(ParameterError, match=f"'{name}'"):
        min_tv_flip(REWARDS, WEIGHTS, i, j)  # type: ignore[arg-type]


@pytest.mark.filterwarnings("ignore:Solution may be inaccurate")
def test_solver_failure_raises_with_the_status() -> None:
    pytest.importorskip("cvxpy")
    a = np.array([[-0.1, 0.2, 0.1, -0.2]])
    base = np.full(4, 0.25)
    with pytest.raises(SolverError, match="status 1"):
        lp_linprog(a, base, EPS, DELTA, options={"maxiter": 0})
    with pytest.raises(SolverError, match="'user_limit'"):
        lp_cvxpy(a, base, EPS, DELTA, "CLARABEL", options={"max_iter": 1})


def test_imports_and_runs_without_cvxpy() -> None:
    """The GPU machine has no cvxpy: socialpref must import, and solver='cvxpy' must say why."""
    code = (
        "import sys; sys.modules['cvxpy'] = None\n"
        "import socialpref\n"
        "from socialpref.sensitivity import nbc_sensitivity, sensitivity_sweep\n"
        f"print(round(nbc_sensitivity({REWARDS}, {WEIGHTS}).min_tv, 4))\n"
        "try:\n"
        f"    sensitivity_sweep([({REWARDS}, {WEIGHTS})], solver='cvxpy')\n"
        "except ValueError as exc:\n"
        "    print(exc)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    lines = out.stdout.splitlines()
    assert lines[0] == "0.0635"
    assert "'solver'" in lines[1] and "cvxpy is not installed" in lines[1]


def test_package_layout_and_old_names() -> None:
    """``socialpref.sensitivity`` is the package; the functions keep their names in it."""
    assert socialpref.sensitivity.__name__ == "socialpref.sensitivity"
    assert socialpref.sensitivity.min_tv_flip is min_tv_flip
    assert socialpref.sensitivity.sensitivity is nbc_sensitivity  # the earlier name
    assert socialpref.nbc_sensitivity is nbc_sensitivity
    assert socialpref.min_tv_flip is min_tv_flip
    assert socialpref.sensitivity_sweep is socialpref.sensitivity.sensitivity_sweep
    for name in socialpref.sensitivity.__all__:
        assert not name.startswith("_") and hasattr(socialpref.sensitivity, name)
    for name in socialpref.__all__:
        assert hasattr(socialpref, name), name


def test_population_in_place_of_arrays() -> None:
    pop = Population(REWARDS, WEIGHTS)
    a, b = nbc_sensitivity(pop), nbc_sensitivity(REWARDS, WEIGHTS)
    assert a.pair == b.pair and a.min_tv == b.min_tv and a.repair_tv == b.repair_tv
    assert min_tv_flip(pop, i=2, j=1).tv == min_tv_flip(REWARDS, WEIGHTS, 2, 1).tv
    with pytest.raises(ParameterError, match="'type_weights'"):
        nbc_sensitivity(pop, WEIGHTS)
    with pytest.raises(ParameterError, match="'type_weights'"):
        nbc_sensitivity(REWARDS)


def test_validation_solves_nothing() -> None:
    """check_options resolves the settings; an unsolvable program is not needed to check them."""
    opts = check_options(solver="linprog", eps=0.1, delta=0.0, model="bt:2", n_options=9)
    assert (
        opts.solver.kind == "linprog" and opts.eps == 0.1 and opts.model.name == "bradley-terry:2"
    )
    with pytest.raises(ParameterError, match="'eps'"):
        check_options(eps=0.1, n_options=10)
