"""Counterexamples behind the paper's propositions.

- Prop. B.1: a mixture of two BT types that no single BT model represents.
- Prop. 5.1 (proof strategies 1 and 3): populations with the same pairwise preference
  probabilities (Eq. 8) but different average-reward rankings, so anonymous pairwise data
  cannot identify the ranking ``pi*`` follows.
- Theorem 6.2 / Prop. 6.1: the consistent loss keeps only unanimous label vectors; with
  per-type win probabilities ``z`` that is a fraction ``prod z + prod (1 - z)`` of the data.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence

import numpy as np
from scipy.optimize import least_squares, minimize, minimize_scalar
from scipy.special import expit, logit

from socialpref._typing import ArrayLike, FloatArray, IntArray
from socialpref.aggregate import average_reward, pairwise_matrix, ranking
from socialpref.counterexamples.base import Counterexample, Scenario, Verification
from socialpref.errors import ParameterError
from socialpref.policy import dpo_limit_log_ratio
from socialpref.population import Population

#: Pairwise matrices closer than this (max absolute difference) count as identical.
MATRIX_TOL = 1e-12


# --------------------------------------------------------------------------- Prop. B.1


def bt_fit(pairwise: ArrayLike, loss: str = "squares") -> tuple[FloatArray, float]:
    """Best single Bradley-Terry model for a pairwise matrix.

    Minimises, over scores ``s`` (gauge ``s[0] = 0``), either the sum of squared residuals
    ``sum_{i<j} (P[i, j] - sigma(s_i - s_j))^2`` (``loss="squares"``) or the sum of
    Bernoulli KL divergences ``sum_{i<j} KL(P[i, j] || sigma(s_i - s_j))`` (``loss="kl"``).

    Returns
    -------
    scores : (n,) array
    residual : float
        The minimal loss; zero exactly when ``P`` is a BT matrix.

    >>> s, res = bt_fit(pairwise_matrix([[0.0, 1.0, 3.0]], [1.0]))
    >>> s.round(6).tolist(), res < 1e-20
    ([0.0, 1.0, 3.0], True)
    """
    p = np.asarray(pairwise, dtype=np.float64)
    if p.ndim != 2 or p.shape[0] != p.shape[1] or p.shape[0] < 2:
        raise ParameterError(
            f"The 'pairwise' parameter must be a square matrix, n >= 2. Got shape {p.shape}."
        )
    if loss not in ("squares", "kl"):
        raise ParameterError(
            f"The 'loss' parameter must be one of 'squares', 'kl'. Got {loss!r} instead."
        )
    iu, ju = np.triu_indices(p.shape[0], k=1)
    target = np.clip(p[iu, ju], 1e-300, 1.0 - 1e-16)
    x0 = np.zeros(p.shape[0] - 1)

    def model(x: FloatArray) -> FloatArray:
        s = np.concatenate([[0.0], x])
        return np.asarray(expit(s[iu] - s[ju]), dtype=np.float64)

    if loss == "squares":
        sol = least_squares(lambda x: model(x) - target, x0, xtol=1e-15, ftol=1e-15, gtol=1e-15)
        x = sol.x
        res = float(np.sum((model(x) - target) ** 2))
    else:

        def kl(x: FloatArray) -> float:
            q = np.clip(model(x), 1e-300, 1.0 - 1e-16)
            return float(
                np.sum(target * np.log(target / q) + (1 - target) * np.log((1 - target) / (1 - q)))
            )

        sol_kl = minimize(kl, x0, method="BFGS", options={"gtol": 1e-12})
        x = sol_kl.x
        res = kl(x)
    return np.concatenate([[0.0], x]), max(res, 0.0)


def mixture_not_bt(
    r1: Sequence[float] = (1.0, 2.0, 3.0), r2: Sequence[float] = (1.0, 2.0, 4.0)
) -> Counterexample:
    """A uniform mixture of two BT types that no single BT model represents (Prop. B.1).

    For a BT matrix the cyclic products ``P12 P23 P31`` and ``P13 P32 P21`` are equal; for the
    mixture of ``r1 = (1, 2, 3)`` and ``r2 = (1, 2, 4)`` they differ, and the best single-BT
    fit (least squares and KL, scipy) leaves a residual > 0.

    >>> mixture_not_bt().verify().holds
    True
    """
    pop = Population([list(r1), list(r2)], [0.5, 0.5], types=("u1", "u2"))
    if pop.n_options != 3:
        raise ParameterError(
            f"The 'r1' and 'r2' parameters must have 3 options. Got {pop.n_options}."
        )
    return Counterexample(
        name="mixture-not-bt",
        claim=(
            "A uniform mixture of two BT types (r1 = (1, 2, 3), r2 = (1, 2, 4)) has unequal "
            "cyclic products P12 P23 P31 != P13 P32 P21, so no single BT model represents it; "
            "the best single-BT fit leaves a residual > 0."
        ),
        reference="Proposition B.1",
        scenarios=(Scenario("uniform mixture, BT", pop),),
        parameters={"r1": list(r1), "r2": list(r2)},
        _check=_verify_mixture,
    )


def _verify_mixture(ce: Counterexample) -> Verification:
    s = ce.scenarios[0]
    pop = s.population
    p = pairwise_matrix(pop.rewards, pop.type_weights, s.model)
    forward = p[0, 1] * p[1, 2] * p[2, 0]
    backward = p[0, 2] * p[2, 1] * p[1, 0]
    log_cycle = float(logit(p[0, 1]) + logit(p[1, 2]) + logit(p[2, 0]))
    scores_sq, res_sq = bt_fit(p, "squares")
    scores_kl, res_kl = bt_fit(p, "kl")
    checks = {
        "cyclic products differ": abs(forward - backward) > 1e-9,
        "least-squares BT residual > 0": res_sq > 1e-15,
        "KL BT residual > 0": res_kl > 1e-15,
    }
    numbers = {
        "pairwise": p,
        "cyclic_product_forward": forward,
        "cyclic_product_backward": backward,
        "cycle_log_odds": log_cycle,
        "bt_fit_scores_squares": scores_sq,
        "bt_fit_residual_squares": res_sq,
        "bt_fit_scores_kl": scores_kl,
        "bt_fit_residual_kl": res_kl,
    }
    return Verification.from_checks(checks, numbers, s)


# --------------------------------------------------------------------------- Prop. 5.1


def gamma_population(base: Population, gamma: float) -> Population:
    """Proof strategy 1 of Prop. 5.1: scale every type by ``gamma``, add an indifferent type.

    ``r_gamma(y; u) = gamma r(y; u)``, ``r_gamma(y; 0) = 0``, ``P_gamma(0) = 1 - 1/gamma``,
    ``P_gamma(u) = P(u) / gamma``: the average reward is unchanged while, for any continuous
    ``sigma``, the pairwise matrix tends to 1/2 everywhere as ``gamma`` grows.
    """
    if not (np.isfinite(gamma) and gamma > 1):
        raise ParameterError(
            f"The 'gamma' parameter must be a finite number > 1. Got {gamma!r} instead."
        )
    rewards = np.vstack([np.zeros(base.n_options), gamma * base.rewards])
    weights = np.concatenate([[1.0 - 1.0 / gamma], base.type_weights / gamma])
    weights[0] = 1.0 - float(weights[1:].sum())
    return Population(rewards, weights, options=base.options, types=("indifferent", *base.types))


def tau_rewards(tau: float) -> tuple[float, float]:
    """Rewards of ``y0`` for types A and B in Eq. (20): ``sigma^{-1}(2/3 + tau)``, ``sigma^{-1}(2/3 - tau)``.

    Their BT win probabilities over any other option average to 2/3 for every ``0 < tau < 1/3``.
    (The paper prints the two logarithms against the opposite labels; only their pair matters.)
    """
    if not 0.0 < tau < 1.0 / 3.0:
        raise ParameterError(f"The 'tau' parameter must be in (0, 1/3). Got {tau!r} instead.")
    return float(logit(2.0 / 3.0 + tau)), float(logit(2.0 / 3.0 - tau))


def tau_mixture(n_options: int, tau_low: float, tau_high: float, favoured: int) -> Population:
    """Proof strategy 3 of Prop. 5.1: ``2 |Y|!`` types built from ``r_tau`` (Eq. 20).

    For every permutation ``rho`` of the options there are two types (A, B), each with weight
    ``1 / (2 |Y|!)``, whose reward is ``r_tau`` with ``y0`` moved to ``rho(y0)``; ``tau_high``
    is used for the one permutation with ``rho(y0) = favoured`` that fixes the most options
    (the identity when ``favoured = 0``), ``tau_low`` for all others. The pairwise matrix is
    1/2 off the diagonal for every choice (each permuted ``r_tau`` gives ``y0`` a 2/3 win
    probability), while ``favoured`` has the highest average reward.
    """
    if not 0 <= favoured < n_options:
        raise ParameterError(
            f"The 'favoured' parameter must be in [0, {n_options}). Got {favoured!r}."
        )
    perms = list(itertools.permutations(range(n_options)))
    # the permutation that sends y0 (index 0) to `favoured` and fixes as much as possible
    chosen = max(
        (q for q in perms if q[0] == favoured),
        key=lambda q: sum(q[k] == k for k in range(n_options)),
    )
    rows, labels = [], []
    for q in perms:
        a, b = tau_rewards(tau_high if q == chosen else tau_low)
        for kind, value in (("A", a), ("B", b)):
            row = np.zeros(n_options)
            row[q[0]] = value
            rows.append(row)
            labels.append(f"{kind}:{''.join(str(k + 1) for k in q)}")
    w = np.full(len(rows), 1.0 / len(rows))
    return Population(np.array(rows), w, types=labels)


def non_identifiable(
    gamma: float = 1e13, tau_low: float = 0.1, tau_high: float = 0.2
) -> Counterexample:
    """Populations with the same pairwise probabilities and different average-reward rankings (Prop. 5.1).

    Strategy 3 (exact): two 12-type mixtures of Eq. (20) over three options whose pairwise
    matrices are both exactly 1/2 off the diagonal, one with ``y1`` and one with ``y2`` on top
    of the average reward. Strategy 1 (a limit): the population of Section 4.3 weighted (0.7, 0.3) and its
    copy with ``y1``/``y2`` swapped, each scaled by ``gamma`` and mixed with an indifferent type; their
    average rewards keep their (different) orders while both pairwise matrices approach 1/2 at
    rate ``1/gamma`` (here the gap is ``0.4 / gamma``), so at ``gamma = 1e13`` they agree
    within 1e-12.

    >>> non_identifiable().verify().holds
    True
    """
    if not 0.0 < tau_low < tau_high < 1.0 / 3.0:
        raise ParameterError(
            f"The 'tau_low' and 'tau_high' parameters need 0 < tau_low < tau_high < 1/3. "
            f"Got {tau_low!r}, {tau_high!r} instead."
        )
    s3a = tau_mixture(3, tau_low, tau_high, favoured=0)
    s3b = tau_mixture(3, tau_low, tau_high, favoured=1)
    base_a = Population([[6.0, 1.0, 4.0], [3.0, 9.0, 4.0]], [0.7, 0.3], types=("A", "B"))
    base_b = Population([[1.0, 6.0, 4.0], [9.0, 3.0, 4.0]], [0.7, 0.3], types=("A", "B"))
    scenarios = (
        Scenario("strategy 3: y1 favoured", s3a),
        Scenario("strategy 3: y2 favoured", s3b),
        Scenario(f"strategy 1: gamma = {gamma:g}", gamma_population(base_a, gamma)),
        Scenario(f"strategy 1: swapped, gamma = {gamma:g}", gamma_population(base_b, gamma)),
    )
    return Counterexample(
        name="non-identifiable",
        claim=(
            "Two heterogeneous populations can have identical pairwise preference probabilities "
            "yet different average-reward rankings, so no algorithm learns the ranking of pi* "
            "from anonymous pairwise data (strategy 3 exactly, strategy 1 in the limit gamma -> inf)."
        ),
        reference="Proposition 5.1 (proof strategies 1 and 3, Eq. 20)",
        scenarios=scenarios,
        parameters={"gamma": gamma, "tau_low": tau_low, "tau_high": tau_high},
        _check=_verify_non_identifiable,
    )


def _verify_non_identifiable(ce: Counterexample) -> Verification:
    s3a, s3b, s1a, s1b = ce.scenarios
    gamma = float(ce.parameters["gamma"])

    def matrix(s: Scenario) -> FloatArray:
        return pairwise_matrix(s.population.rewards, s.population.type_weights, s.model)

    def avg(s: Scenario) -> FloatArray:
        return average_reward(s.population.rewards, s.population.type_weights)

    gap3 = float(np.max(np.abs(matrix(s3a) - matrix(s3b))))
    gap1 = float(np.max(np.abs(matrix(s1a) - matrix(s1b))))
    # the limit of strategy 1: at gamma = 10, 100, ... the two matrices differ by at most
    # 1/gamma (the scaled types weigh 1/gamma in all and |sigma - 1/2| <= 1/2)
    base_a = Population(s1a.population.rewards[1:] / gamma, s1a.population.type_weights[1:] * gamma)
    base_b = Population(s1b.population.rewards[1:] / gamma, s1b.population.type_weights[1:] * gamma)
    gammas = [10.0**k for k in range(1, 14)]
    path = []
    for g in gammas:
        pa, pb = gamma_population(base_a, g), gamma_population(base_b, g)
        diff = pairwise_matrix(pa.rewards, pa.type_weights, s1a.model) - pairwise_matrix(
            pb.rewards, pb.type_weights, s1b.model
        )
        path.append(float(np.max(np.abs(diff))))
    checks = {
        "strategy 3: pairwise matrices equal": gap3 <= MATRIX_TOL,
        "strategy 3: pairwise matrix is 1/2 everywhere": float(np.max(np.abs(matrix(s3a) - 0.5)))
        <= MATRIX_TOL,
        "strategy 3: average-reward rankings differ": not np.array_equal(
            ranking(avg(s3a)), ranking(avg(s3b))
        ),
        "strategy 1: pairwise matrices equal": gap1 <= MATRIX_TOL,
        "strategy 1: average-reward rankings differ": not np.array_equal(
            ranking(avg(s1a)), ranking(avg(s1b))
        ),
        "strategy 1: average reward unchanged by gamma": bool(
            np.allclose(
                avg(s1a), average_reward(base_a.rewards, base_a.type_weights), rtol=0, atol=1e-9
            )
        ),
        "strategy 1: gap <= 1/gamma": all(
            v <= 1.0 / g + 1e-15 for v, g in zip(path, gammas, strict=True)
        ),
    }
    numbers = {
        "strategy3_matrix_gap": gap3,
        "strategy3_average_reward_a": avg(s3a),
        "strategy3_average_reward_b": avg(s3b),
        "strategy3_tau_rewards_low": tau_rewards(float(ce.parameters["tau_low"])),
        "strategy3_tau_rewards_high": tau_rewards(float(ce.parameters["tau_high"])),
        "strategy1_matrix_gap": gap1,
        "strategy1_average_reward_a": avg(s1a),
        "strategy1_average_reward_b": avg(s1b),
        "strategy1_gammas": gammas,
        "strategy1_gap_by_gamma": path,
    }
    return Verification.from_checks(checks, numbers, s3a)


# --------------------------------------------------------------------------- Theorem 6.2


def label_probabilities(z: ArrayLike) -> tuple[IntArray, FloatArray]:
    """All label vectors ``o in {0, 1}^U`` and their probabilities ``chi_o(z)`` (Lemma C.2).

    ``chi_o(z) = prod_u z_u^{o_u} (1 - z_u)^{1 - o_u}`` with ``z_u`` type ``u``'s probability of
    preferring ``y2``. Returns ``(labels, probabilities)`` of shapes ``(2^U, U)`` and ``(2^U,)``.
    """
    zz = np.asarray(z, dtype=np.float64)
    labels = np.array(list(itertools.product((0, 1), repeat=zz.shape[0])), dtype=np.int64)
    probs = np.asarray(np.prod(np.where(labels == 1, zz, 1.0 - zz), axis=1), dtype=np.float64)
    return labels, probs


def consistency_vs_efficiency(z: Sequence[float] = (0.7, 0.7, 0.7, 0.01)) -> Counterexample:
    """How much data a consistent loss must discard (Theorem 6.2, Prop. 6.1).

    Each of ``|U|`` equally weighted BT types prefers ``y2`` over ``y1`` with probability
    ``z_u`` (rewards ``r(y1; u) = 0``, ``r(y2; u) = logit z_u``). With one label per type, the
    consistent loss of Prop. 6.1 keeps only unanimous label vectors, a fraction
    ``prod z + prod (1 - z)`` of the data (DPO keeps 100%). Conditioned on unanimity the label
    is BT on the summed reward differences, ``P(o = 1 | unanimous) = sigma(sum_u Delta r_u)``,
    so the consistent loss recovers ``pi*``'s log-ratio ``mean_u Delta r_u``; DPO converges to
    ``logit(mean z)`` instead. With the default ``z`` only about 3% of the data is kept and DPO
    even prefers the other option.

    >>> v = consistency_vs_efficiency().verify()
    >>> v.holds, round(v.numbers["fraction_kept"], 4)
    (True, 0.0302)
    """
    zz = np.asarray(z, dtype=np.float64)
    if zz.ndim != 1 or zz.shape[0] < 2 or not np.all((zz > 0) & (zz < 1)):
        raise ParameterError(
            f"The 'z' parameter must be a vector of >= 2 probabilities in (0, 1). Got {z!r} instead."
        )
    n = zz.shape[0]
    rewards = np.column_stack([np.zeros(n), logit(zz)])
    pop = Population(rewards, np.full(n, 1.0 / n), types=tuple(f"u{k + 1}" for k in range(n)))
    return Counterexample(
        name="consistency-vs-efficiency",
        claim=(
            f"With |U| = {n} BT types and per-type win probabilities z, the consistent loss of "
            "Prop. 6.1 keeps only unanimous labels, a fraction prod z + prod(1 - z) of the data "
            "(DPO keeps 100%); conditioned on unanimity P(o = 1) = sigma(sum_u Delta r_u), so it "
            "recovers pi* while DPO converges to logit(mean z)."
        ),
        reference="Theorem 6.2 and Proposition 6.1",
        scenarios=(Scenario("one label per type, BT", pop),),
        parameters={"z": zz.tolist()},
        _check=_verify_consistency,
    )


def _verify_consistency(ce: Counterexample) -> Verification:
    s = ce.scenarios[0]
    pop = s.population
    n = pop.n_types
    # per-type win probabilities of y2 over y1, recomputed from the rewards with the model
    z = np.array([pairwise_matrix(pop.rewards[[u]], [1.0], s.model)[1, 0] for u in range(n)])
    labels, probs = label_probabilities(z)
    unanimous = (labels.sum(axis=1) == 0) | (labels.sum(axis=1) == n)
    kept_enum = float(probs[unanimous].sum())
    kept_formula = float(np.prod(z) + np.prod(1.0 - z))
    delta = pop.rewards[:, 1] - pop.rewards[:, 0]
    cond = float(np.prod(z) / kept_formula)
    cond_bt = float(expit(delta.sum()))
    theta_star = float(np.diff(average_reward(pop.rewards, pop.type_weights))[0])
    p_all, p_none = float(np.prod(z)), float(np.prod(1.0 - z))

    def consistent_loss(theta: float) -> float:  # expected loss of Prop. 6.1 per data point
        return p_all * np.logaddexp(0.0, -n * theta) + p_none * np.logaddexp(0.0, n * theta)

    theta_c = float(
        minimize_scalar(
            consistent_loss, bounds=(-50, 50), method="bounded", options={"xatol": 1e-12}
        ).x
    )
    g = dpo_limit_log_ratio(pairwise_matrix(pop.rewards, pop.type_weights, s.model))
    theta_dpo = float(g[1] - g[0])
    checks = {
        "kept fraction = prod z + prod(1 - z) (enumeration)": abs(kept_enum - kept_formula)
        <= 1e-14,
        "consistent loss discards data (kept < 1)": kept_formula < 1.0,
        "P(o = 1 | unanimous) = sigma(sum_u Delta r_u)": abs(cond - cond_bt) <= 1e-12,
        "consistent loss minimiser = pi*'s log-ratio": abs(theta_c - theta_star) <= 1e-6,
        "DPO limit = logit(mean z)": abs(theta_dpo - float(logit(z.mean()))) <= 1e-9,
    }
    numbers = {
        "z": z,
        "fraction_kept": kept_formula,
        "fraction_kept_dpo": 1.0,
        "p_unanimous_prefer_y2": p_all,
        "p_unanimous_prefer_y1": p_none,
        "p_label_given_unanimous": cond,
        "sigma_sum_delta_r": cond_bt,
        "theta_star": theta_star,
        "theta_consistent_loss": theta_c,
        "theta_dpo": theta_dpo,
        "dpo_orders_like_pi_star": bool(np.sign(theta_dpo) == np.sign(theta_star)),
    }
    return Verification.from_checks(checks, numbers, s)


__all__ = [
    "bt_fit",
    "consistency_vs_efficiency",
    "gamma_population",
    "label_probabilities",
    "mixture_not_bt",
    "non_identifiable",
    "tau_mixture",
    "tau_rewards",
]
