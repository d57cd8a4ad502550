"""The paper's worked examples where NBC (what DPO optimises) and the average reward part ways.

Section 4.3: sensitivity to the sampling distribution, sensitivity to the preference model
(temperature), mediocrity promotion. Appendix A: violation of the independence of irrelevant
alternatives (IIA), tyranny of the majority. Every verifier recomputes NBC (Eq. 13), the average
reward (Eq. 9), the optimal policy (Eq. 10) and, where the claim is about DPO, the infinite-data
DPO policy (Eq. 18, Prop. 4.2) with the core.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
from scipy.optimize import brentq

from socialpref._typing import FloatArray
from socialpref.aggregate import nbc
from socialpref.counterexamples.base import Counterexample, Scenario, Verification
from socialpref.errors import ParameterError
from socialpref.policy import dpo_limit_policy, optimal_policy
from socialpref.population import Population
from socialpref.preference import BradleyTerry

#: Two NBC (or policy) values closer than this count as equal in the checks.
EQUAL_TOL = 1e-12

SENSITIVITY_REWARDS = ((6.0, 1.0, 4.0), (3.0, 9.0, 4.0))


def _pi_star(pop: Population) -> FloatArray:
    return optimal_policy(pop.rewards, pop.type_weights)


def _dpo(s: Scenario) -> FloatArray:
    p = s.population
    return dpo_limit_policy(p.rewards, p.type_weights, sampling=s.sampling, model=s.model)


def _sensitivity_population() -> Population:
    return Population(SENSITIVITY_REWARDS, [0.5, 0.5], types=("A", "B"))


def _d3_sampling(d3: float) -> FloatArray:
    return np.array([(1.0 - d3) / 2.0, (1.0 - d3) / 2.0, d3])


def sampling_sensitivity(d3_before: float = 0.02, d3_after: float = 0.04) -> Counterexample:
    """Sensitivity to the preference dataset distribution (Section 4.3).

    Two equally weighted BT types, ``r_A = (6, 1, 4)``, ``r_B = (3, 9, 4)``; with
    ``D(y1) = D(y2)``, raising ``D(y3)`` from 0.02 to 0.04 flips NBC (hence DPO's policy,
    Prop. 4.2) from ``y2`` to ``y1``; ``pi*`` (Eq. 10) does not depend on ``D`` and prefers ``y2``.

    >>> v = sampling_sensitivity().verify()
    >>> v.holds, [round(x, 4) for x in v.numbers["nbc_before"][:2]]
    (True, [0.5005, 0.5014])
    """
    for name, value in (("d3_before", d3_before), ("d3_after", d3_after)):
        if not 0.0 < value < 1.0:
            raise ParameterError(
                f"The '{name}' parameter must be in (0, 1). Got {value!r} instead."
            )
    pop = _sensitivity_population()
    scenarios = (
        Scenario(f"D(y3) = {d3_before:g}", pop, _d3_sampling(d3_before)),
        Scenario(f"D(y3) = {d3_after:g}", pop, _d3_sampling(d3_after)),
    )
    return Counterexample(
        name="sampling-sensitivity",
        claim=(
            f"With D(y1) = D(y2), raising D(y3) from {d3_before:g} to {d3_after:g} flips NBC "
            "(and DPO's policy) from y2 to y1, while pi* does not depend on D and prefers y2."
        ),
        reference="Section 4.3 (sensitivity to preference dataset distribution)",
        scenarios=scenarios,
        parameters={"d3_before": d3_before, "d3_after": d3_after},
        _check=_verify_sampling_sensitivity,
    )


def _verify_y1_y2_flip(
    ce: Counterexample,
    winner_before: int,
    gap: Callable[[float], float],
    bounds: tuple[float, float],
    flip_name: str,
    xtol: float,
) -> Verification:
    """Checks shared by the two Section 4.3 sensitivity examples.

    Before the change NBC and the DPO limit (Prop. 4.2) prefer option ``winner_before`` (0 for
    ``y1``, 1 for ``y2``) and after it the other one, while ``pi*`` prefers ``y2`` throughout.
    ``gap(t) = NBC_t(y1) - NBC_t(y2)`` locates the flip inside ``bounds`` (NaN when it does not
    change sign there).
    """
    before, after = ce.scenarios
    win, lose = winner_before, 1 - winner_before
    name = ("y1", "y2")
    n_b, n_a = before.nbc(), after.nbc()
    dpo_b, dpo_a = _dpo(before), _dpo(after)
    pi = _pi_star(ce.population)
    lo, hi = bounds
    flip = brentq(gap, lo, hi, xtol=xtol) if gap(lo) * gap(hi) < 0 else float("nan")
    checks = {
        f"NBC prefers {name[win]} before": n_b[win] > n_b[lose],
        f"NBC prefers {name[lose]} after": n_a[lose] > n_a[win],
        "DPO limit orders y1, y2 as NBC (Prop. 4.2)": (dpo_b[win] > dpo_b[lose])
        and (dpo_a[lose] > dpo_a[win]),
        "pi* prefers y2": pi[1] > pi[0],
    }
    numbers = {
        "nbc_before": n_b,
        "nbc_after": n_a,
        "dpo_policy_before": dpo_b,
        "dpo_policy_after": dpo_a,
        "optimal_policy": pi,
        flip_name: flip,
    }
    return Verification.from_checks(checks, numbers, before)


def _verify_sampling_sensitivity(ce: Counterexample) -> Verification:
    pop = ce.population
    before, after = ce.scenarios

    def gap(d3: float) -> float:
        v = nbc(pop.rewards, pop.type_weights, _d3_sampling(d3))
        return float(v[0] - v[1])

    bounds = (float(before.sampling[2]), float(after.sampling[2]))
    return _verify_y1_y2_flip(ce, 1, gap, bounds, "d3_at_flip", xtol=1e-14)


def temperature(t_before: float = 1.0, t_after: float = 2.0) -> Counterexample:
    """Sensitivity to the preference model (Section 4.3).

    The population of :func:`sampling_sensitivity` under uniform ``D``: with BT at temperature 1
    NBC prefers ``y1``; with ``sigma_2(z) = 1 / (1 + exp(-z / 2))`` it prefers ``y2``. ``pi*``
    depends on the rewards only (Eq. 10) and prefers ``y2`` under both.

    >>> temperature().verify().holds
    True
    """
    for name, value in (("t_before", t_before), ("t_after", t_after)):
        if not (np.isfinite(value) and value > 0):
            raise ParameterError(
                f"The '{name}' parameter must be a finite number > 0. Got {value!r} instead."
            )
    pop = _sensitivity_population()
    scenarios = (
        Scenario(f"BT, T = {t_before:g}", pop, None, BradleyTerry(t_before)),
        Scenario(f"BT, T = {t_after:g}", pop, None, BradleyTerry(t_after)),
    )
    return Counterexample(
        name="temperature",
        claim=(
            f"Raising the BT temperature from {t_before:g} to {t_after:g} flips NBC (and DPO's "
            "policy) from y1 to y2, while pi* is unchanged (it prefers y2)."
        ),
        reference="Section 4.3 (sensitivity to the preference model)",
        scenarios=scenarios,
        parameters={"t_before": t_before, "t_after": t_after},
        _check=_verify_temperature,
    )


def _verify_temperature(ce: Counterexample) -> Verification:
    pop = ce.population

    def gap(t: float) -> float:
        v = nbc(pop.rewards, pop.type_weights, None, BradleyTerry(t))
        return float(v[0] - v[1])

    bounds = (float(ce.parameters["t_before"]), float(ce.parameters["t_after"]))
    return _verify_y1_y2_flip(ce, 0, gap, bounds, "temperature_at_flip", xtol=1e-12)


def mediocrity() -> Counterexample:
    """Mediocrity promotion (Section 4.3).

    Three equally weighted BT types over (short, med, long): ``A = (0, 1, 4)``,
    ``B = (4, 1, 0)``, ``C = (0, 1, 0)``. ``NBC(short) = NBC(long) < NBC(med)`` while
    ``pi*(short) = pi*(long) > pi*(med)``: DPO prefers the option no type strongly favours.

    >>> mediocrity().verify().holds
    True
    """
    pop = Population(
        [[0.0, 1.0, 4.0], [4.0, 1.0, 0.0], [0.0, 1.0, 0.0]],
        [1 / 3, 1 / 3, 1 / 3],
        options=("short", "med", "long"),
        types=("A", "B", "C"),
    )
    return Counterexample(
        name="mediocrity",
        claim=(
            "NBC(short) = NBC(long) < NBC(med) while pi*(short) = pi*(long) > pi*(med): "
            "DPO prefers the medium option that no type strongly favours."
        ),
        reference="Section 4.3 (mediocrity promotion)",
        scenarios=(Scenario("uniform D, BT", pop),),
        _check=_verify_mediocrity,
    )


def _verify_mediocrity(ce: Counterexample) -> Verification:
    s = ce.scenarios[0]
    v, pi, dpo = s.nbc(), _pi_star(ce.population), _dpo(s)
    short, med, long_ = 0, 1, 2
    checks = {
        "NBC(short) = NBC(long)": abs(v[short] - v[long_]) <= EQUAL_TOL,
        "NBC(med) > NBC(short)": v[med] > v[short] + EQUAL_TOL,
        "pi*(short) = pi*(long)": abs(pi[short] - pi[long_]) <= EQUAL_TOL,
        "pi*(short) > pi*(med)": pi[short] > pi[med] + EQUAL_TOL,
        "DPO limit prefers med (Prop. 4.2)": dpo[med] > max(dpo[short], dpo[long_]),
    }
    numbers = {
        "nbc": v,
        "optimal_policy": pi,
        "dpo_policy": dpo,
        "average_reward": s.average_reward(),
    }
    return Verification.from_checks(checks, numbers, s)


def iia_violation() -> Counterexample:
    """Violation of the independence of irrelevant alternatives (Appendix A).

    Two equally weighted BT types, ``r_A = (6, 1)``, ``r_B = (3, 9)``: both NBC and ``pi*``
    prefer ``y2``. Adding ``y3`` with ``r(y3) = 2`` for both types (nobody's favourite) turns
    NBC around: ``NBC(y1) ~ 0.62 > NBC(y2) ~ 0.55``, while ``pi*`` still prefers ``y2``.

    >>> v = iia_violation().verify()
    >>> v.holds, v.nbc.round(2).tolist()
    (True, [0.62, 0.55, 0.34])
    """
    with_y3 = Population([[6.0, 1.0, 2.0], [3.0, 9.0, 2.0]], [0.5, 0.5], types=("A", "B"))
    without = Population([[6.0, 1.0], [3.0, 9.0]], [0.5, 0.5], types=("A", "B"))
    return Counterexample(
        name="iia-violation",
        claim=(
            "Without y3 both NBC and pi* prefer y2; adding y3 (r = 2 for both types, nobody's "
            "favourite) makes NBC prefer y1 (~0.62 > ~0.55) while pi* still prefers y2."
        ),
        reference="Appendix A (violating IIA)",
        scenarios=(Scenario("with y3", with_y3), Scenario("without y3", without)),
        _check=_verify_iia,
    )


def _verify_iia(ce: Counterexample) -> Verification:
    full, sub = ce.scenarios
    n_full, n_sub = full.nbc(), sub.nbc()
    avg_full, avg_sub = full.average_reward(), sub.average_reward()
    r = full.population.rewards
    checks = {
        "without y3: NBC prefers y2": n_sub[1] > n_sub[0],
        "without y3: average reward prefers y2": avg_sub[1] > avg_sub[0],
        "with y3: NBC prefers y1": n_full[0] > n_full[1],
        "with y3: average reward prefers y2": avg_full[1] > avg_full[0],
        "y3 is no type's favourite": bool(np.all(r[:, 2] < r[:, :2].max(axis=1))),
        "pi* prefers y2 with y3": _pi_star(full.population)[1] > _pi_star(full.population)[0],
    }
    numbers = {
        "nbc_with_y3": n_full,
        "nbc_without_y3": n_sub,
        "average_reward": avg_full,
        "optimal_policy": _pi_star(full.population),
    }
    return Verification.from_checks(checks, numbers, full)


def tyranny_of_majority() -> Counterexample:
    """Tyranny of the majority (Appendix A).

    Type A (90%) slightly favours ``y2`` (``0.5`` vs ``1``); type B (10%) finds ``y2``
    offensive (``0.5`` vs ``-10``). ``pi*`` prefers ``y1`` (average rewards 0.5 vs -0.1) but
    ``NBC ~ (0.47, 0.53)``: the majority dominates DPO.

    >>> tyranny_of_majority().verify().nbc.round(2).tolist()
    [0.47, 0.53]
    """
    pop = Population([[0.5, 1.0], [0.5, -10.0]], [0.9, 0.1], types=("A", "B"))
    return Counterexample(
        name="tyranny-of-majority",
        claim=(
            "A 90% majority slightly favours y2, a 10% minority finds y2 offensive: pi* prefers "
            "y1, but NBC ~ (0.47, 0.53) prefers y2."
        ),
        reference="Appendix A (tyranny of majority)",
        scenarios=(Scenario("uniform D, BT", pop),),
        _check=_verify_tyranny,
    )


def _verify_tyranny(ce: Counterexample) -> Verification:
    s = ce.scenarios[0]
    v, avg, pi, dpo = s.nbc(), s.average_reward(), _pi_star(ce.population), _dpo(s)
    checks = {
        "NBC prefers y2": v[1] > v[0],
        "average reward prefers y1": avg[0] > avg[1],
        "pi* prefers y1": pi[0] > pi[1],
        "DPO limit prefers y2 (Prop. 4.2)": dpo[1] > dpo[0],
    }
    numbers = {"nbc": v, "average_reward": avg, "optimal_policy": pi, "dpo_policy": dpo}
    return Verification.from_checks(checks, numbers, s)


__all__ = [
    "iia_violation",
    "mediocrity",
    "sampling_sensitivity",
    "temperature",
    "tyranny_of_majority",
]
