"""The discrete synthetic environment of Section 7.2 (after Xu et al.) and its exact targets.

``n`` prompts x ``n`` responses on a circle; a user of type ``u`` (a shift) rewards response
``y`` to prompt ``x`` by ``scale_u * R(rate_u * d)`` with ``d`` the circular distance between
``y`` and ``(x + u) mod n`` and ``R`` a decay floored at zero. Everything here is numpy: the
exact reward tables and the exact targets (pi* of Eq. 10, NBC of Eq. 13, the infinite-data DPO
limit of Eq. 18, the NLHF Nash policy) come from the core, prompt by prompt.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np

from socialpref._typing import ArrayLike, FloatArray, IntArray
from socialpref.aggregate import average_reward, nbc, pairwise_matrices
from socialpref.errors import ParameterError
from socialpref.policy import dpo_limit_policy, optimal_policy
from socialpref.population import as_type_weights, check_positive
from socialpref.preference import PreferenceModel, get_model
from socialpref.targets import nash_policy_batch

Decay = Literal["linear", "quadratic", "exponential", "gaussian"]
DECAYS: tuple[str, ...] = ("linear", "quadratic", "exponential", "gaussian")


def circular_distance(a: ArrayLike, b: ArrayLike, n: int) -> IntArray:
    """Distance between positions ``a`` and ``b`` on a circle of ``n`` points.

    >>> circular_distance(np.array([0, 0, 0]), np.array([1, 39, 20]), 40).tolist()
    [1, 1, 20]
    """
    d = np.abs(np.asarray(a) - np.asarray(b)) % n
    return np.minimum(d, n - d)


def decay_profile(distance: ArrayLike, rate: float, decay: str = "linear") -> FloatArray:
    """Decay ``R(rate * d)`` floored at zero: linear ``1 - t``, quadratic ``1 - t^2``,
    exponential ``exp(-t)`` or gaussian ``exp(-t^2)`` with ``t = rate * d``.

    >>> decay_profile(np.array([0, 5, 20]), 0.1).tolist()
    [1.0, 0.5, 0.0]
    """
    t = rate * np.asarray(distance, dtype=np.float64)
    if decay == "linear":
        out = np.maximum(0.0, 1.0 - t)
    elif decay == "quadratic":
        out = np.maximum(0.0, 1.0 - t * t)
    elif decay == "exponential":
        out = np.exp(-t)
    elif decay == "gaussian":
        out = np.exp(-t * t)
    else:
        raise ParameterError(
            f"The 'decay' parameter must be one of {list(DECAYS)}. Got {decay!r} instead."
        )
    return np.asarray(out, dtype=np.float64)


@dataclass(frozen=True)
class SyntheticEnvironment:
    """Section 7.2's environment; the defaults are the paper's.

    Attributes
    ----------
    n : int
        Number of prompts and of responses (40).
    shifts : tuple of int
        Type ``u``'s favourite response to ``x`` is ``(x + u) mod n`` ((-10, 0, 10)).
    rates, scales : tuple of float
        Decay rate and reward scale per type ((0.075, 0.1, 0.075), (4, 1.5, 4)).
    type_weights : tuple of float or None
        Type probabilities ``p(u)``; None means equally likely.
    decay : str
        ``"linear"`` (the paper's), ``"quadratic"``, ``"exponential"`` or ``"gaussian"``.
    beta : float
        KL strength of Eq. (9) (1).
    model : str
        Preference model of the annotators, any core model string (``"bt"``: Bradley-Terry).

    Examples
    --------
    >>> env = SyntheticEnvironment()
    >>> env.rewards().shape
    (3, 40, 40)
    >>> env.rewards()[:, 0, [30, 0, 10]].tolist()
    [[4.0, 1.0, 0.0], [0.0, 1.5, 0.0], [0.0, 1.0, 4.0]]
    """

    n: int = 40
    shifts: tuple[int, ...] = (-10, 0, 10)
    rates: tuple[float, ...] = (0.075, 0.1, 0.075)
    scales: tuple[float, ...] = (4.0, 1.5, 4.0)
    type_weights: tuple[float, ...] | None = None
    decay: str = "linear"
    beta: float = 1.0
    model: str = "bt"
    _weights: tuple[float, ...] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        if isinstance(self.n, bool) or not isinstance(self.n, (int, np.integer)) or self.n < 2:
            raise ParameterError(
                f"The 'n' parameter of SyntheticEnvironment must be an integer >= 2. Got {self.n!r} instead."
            )
        k = len(self.shifts)
        if k < 1:
            raise ParameterError(
                "The 'shifts' parameter of SyntheticEnvironment must list at least one type. Got ()."
            )
        for name in ("rates", "scales"):
            value = getattr(self, name)
            if len(value) != k:
                raise ParameterError(
                    f"The '{name}' parameter of SyntheticEnvironment must have one entry per type ({k}). Got {value!r} instead."
                )
            for v in value:
                if not np.isfinite(v) or v < 0:
                    raise ParameterError(
                        f"The '{name}' parameter of SyntheticEnvironment must hold finite numbers >= 0. Got {value!r} instead."
                    )
        if self.decay not in DECAYS:
            raise ParameterError(
                f"The 'decay' parameter must be one of {list(DECAYS)}. Got {self.decay!r} instead."
            )
        check_positive(self.beta, "beta", "SyntheticEnvironment")
        get_model(self.model)
        weights = (
            np.full(k, 1.0 / k)
            if self.type_weights is None
            else as_type_weights(self.type_weights, k)
        )
        object.__setattr__(self, "_weights", tuple(float(w) for w in weights))

    @property
    def n_types(self) -> int:
        """Number of user types."""
        return len(self.shifts)

    @property
    def weights(self) -> FloatArray:
        """Type probabilities ``p(u)`` (uniform when ``type_weights`` is None)."""
        return np.asarray(self._weights, dtype=np.float64)

    @property
    def preference_model(self) -> PreferenceModel:
        """The core preference model of the annotators."""
        return get_model(self.model)

    def rewards(self) -> FloatArray:
        """Reward tables ``r[u, x, y]`` of shape ``(n_types, n, n)``."""
        x = np.arange(self.n)[:, None]
        y = np.arange(self.n)[None, :]
        out = np.empty((self.n_types, self.n, self.n))
        for k, (shift, rate, scale) in enumerate(
            zip(self.shifts, self.rates, self.scales, strict=True)
        ):
            d = circular_distance(y, (x + shift) % self.n, self.n)
            out[k] = scale * decay_profile(d, rate, self.decay)
        return out

    def average_reward(self) -> FloatArray:
        """``rbar[x, y] = sum_u p(u) r[u, x, y]`` (Eq. 9), shape ``(n, n)``."""
        r = self.rewards()
        return np.stack([average_reward(r[:, x], self.weights) for x in range(self.n)])

    def win_probabilities(self) -> FloatArray:
        """``P[u, x, a, b] = Pr(b > a | u, x) = sigma(r(x, b; u) - r(x, a; u))`` (Eq. 7),
        shape ``(n_types, n, n, n)``: the label ``o = 1`` of a pair ``(y1, y2) = (a, b)``."""
        r = self.rewards()
        return self.preference_model.prob(r[:, :, None, :] - r[:, :, :, None])

    def pairwise(self) -> FloatArray:
        """The population's pairwise matrix (Eq. 8) of every prompt, shape ``(n, n, n)``:
        ``P[x, a, b] = Pr(a > b | x) = sum_u p(u) sigma(r(x, a; u) - r(x, b; u))``."""
        r = np.moveaxis(self.rewards(), 0, 1)  # (x, u, y)
        w = np.broadcast_to(self.weights, (self.n, self.n_types))
        return pairwise_matrices(r, w, self.preference_model)

    def nash_policy(self, reference: ArrayLike | None = None) -> FloatArray:
        """The NLHF Nash policy (Munos et al. 2023) per prompt, shape ``(n, n)``: the unique
        ``pi(y | x) ∝ pi_ref(y | x) exp(P(y > pi | x) / beta)`` for :meth:`pairwise`'s ``P``
        (:func:`socialpref.targets.nash_policy_batch`), with ``pi_ref`` the ``(n, n)`` table
        ``reference`` (uniform when None). It does not depend on the sampling distribution."""
        ref = self._table(reference, "reference")
        return nash_policy_batch(self.pairwise(), self.beta, ref)

    def _table(self, table: ArrayLike | None, name: str) -> FloatArray | None:
        """An optional ``(n, n)`` per-prompt distribution (validated row by row by the core)."""
        if table is None:
            return None
        t = np.asarray(table, dtype=np.float64)
        if t.shape != (self.n, self.n):
            raise ParameterError(
                f"The '{name}' parameter must be an ({self.n}, {self.n}) table, one distribution "
                f"over responses per prompt. Got shape {t.shape} instead."
            )
        return t

    def optimal_policy(self, reference: ArrayLike | None = None) -> FloatArray:
        """pi*(y | x) of Eq. (10), shape ``(n, n)``: ``pi_ref exp(rbar / beta) / Z`` per prompt.

        ``reference`` is the ``(n, n)`` table ``pi_ref(y | x)`` (uniform when None).
        """
        r = self.rewards()
        ref = self._table(reference, "reference")
        return np.stack(
            [
                optimal_policy(r[:, x], self.weights, self.beta, None if ref is None else ref[x])
                for x in range(self.n)
            ]
        )

    def nbc(self, sampling: ArrayLike | None = None) -> FloatArray:
        """NBC(y | x) of Eq. (13) under the sampling distribution ``D`` (an ``(n, n)`` table
        ``D(y | x)``; uniform when None), shape ``(n, n)``. It does not depend on ``pi_ref``."""
        r = self.rewards()
        d = self._table(sampling, "sampling")
        return np.stack(
            [
                nbc(r[:, x], self.weights, None if d is None else d[x], self.preference_model)
                for x in range(self.n)
            ]
        )

    def dpo_limit_policy(
        self, reference: ArrayLike | None = None, sampling: ArrayLike | None = None
    ) -> FloatArray:
        """The infinite-data DPO policy (Eq. 18, Prop. 4.2) per prompt, shape ``(n, n)``, for
        pairs drawn from ``sampling`` ``D(y | x)`` and the reference ``pi_ref(y | x)`` (both
        ``(n, n)`` tables, uniform when None)."""
        r = self.rewards()
        ref = self._table(reference, "reference")
        d = self._table(sampling, "sampling")
        return np.stack(
            [
                dpo_limit_policy(
                    r[:, x],
                    self.weights,
                    self.beta,
                    None if ref is None else ref[x],
                    None if d is None else d[x],
                    self.preference_model,
                )
                for x in range(self.n)
            ]
        )

    def ipo_limit_policy(
        self, reference: ArrayLike | None = None, sampling: ArrayLike | None = None
    ) -> FloatArray:
        """The infinite-data IPO policy, shape ``(n, n)`` (uniform ``D`` and ``pi_ref`` when None).

        Setting the gradient of ``E_D[(rho_w - rho_l - 1/(2 beta))^2]`` to zero gives
        ``rho(y) - E_D[rho] = (2 NBC_D(y) - 1) / (2 beta)``, so
        ``pi_IPO(y | x) ~ pi_ref(y | x) exp((NBC_D(y | x) - 1/2) / beta)``: NBC's order.
        """
        logits = (self.nbc(sampling) - 0.5) / self.beta
        ref = self._table(reference, "reference")
        if ref is not None:
            with np.errstate(divide="ignore"):
                logits = logits + np.log(ref)
        logits -= logits.max(axis=1, keepdims=True)
        p = np.exp(logits)
        return np.asarray(p / p.sum(axis=1, keepdims=True), dtype=np.float64)

    def to_dict(self) -> dict[str, Any]:
        """Plain settings for JSON."""
        return {
            "n": int(self.n),
            "shifts": [int(s) for s in self.shifts],
            "rates": [float(v) for v in self.rates],
            "scales": [float(v) for v in self.scales],
            "type_weights": self.weights.tolist(),
            "decay": self.decay,
            "beta": float(self.beta),
            "model": self.model,
        }


def profile_1d(
    table: ArrayLike, *, axis_n: int | None = None
) -> tuple[IntArray, FloatArray, FloatArray]:
    """Reduce a ``(n, n)`` table ``t[x, y]`` to 1-D over ``delta = y - x`` (Section 7.2).

    Row ``x`` is rolled so that column ``delta`` holds ``t[x, (x + delta) mod n]``; returns
    ``(delta, mean over x, standard error over x)`` with ``delta`` running from ``-n // 2``
    to ``n - n // 2 - 1`` (``-20 .. 19`` for ``n = 40``).

    >>> d, m, se = profile_1d(np.eye(4))
    >>> d.tolist(), m.tolist(), se.tolist()
    ([-2, -1, 0, 1], [0.0, 0.0, 1.0, 0.0], [0.0, 0.0, 0.0, 0.0])
    """
    t = np.asarray(table, dtype=np.float64)
    if t.ndim != 2 or t.shape[0] != t.shape[1]:
        raise ParameterError(
            f"The 'table' parameter must be a square (n, n) array. Got shape {t.shape} instead."
        )
    n = t.shape[0]
    delta = np.arange(-(n // 2), n - n // 2)
    cols = (np.arange(n)[:, None] + delta[None, :]) % n
    rolled = np.take_along_axis(t, cols, axis=1)
    mean = rolled.mean(axis=0)
    se = rolled.std(axis=0, ddof=1) / np.sqrt(n) if n > 1 else np.zeros(n)
    return delta, mean, se


def env_from_settings(
    settings: dict[str, Any] | None = None, **overrides: Any
) -> SyntheticEnvironment:
    """Build an environment from a dict of settings (e.g. :meth:`SyntheticEnvironment.to_dict`)."""
    values = dict(settings or {})
    values.update(overrides)
    for key in ("shifts", "rates", "scales", "type_weights"):
        if values.get(key) is not None and isinstance(values[key], Sequence):
            values[key] = tuple(values[key])
    return SyntheticEnvironment(**values)
