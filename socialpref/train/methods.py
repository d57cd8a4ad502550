"""The table of training methods: which data each reads, which loss it minimises, which target.

Every method of :func:`~socialpref.train.runner.train_batched` is one :class:`TrainingMethod`
entry in a registry; the runner reads the table and has no per-method branches. An entry says

- ``data``: the data set its loss reads (``"anonymous"``, ``"all-types"``, ``"relabelled"``), or
  None when the loss reads only the policy's log-ratio table (a population loss);
- ``loss``: a pure function of :class:`LossInputs` returning one value per run and pair (or per
  run), or ``estimate``: a closed-form estimator from the data (no training, e.g. NBC win rates);
- ``grad`` (optional, for speed): the hand-written gradient of the per-pair loss with respect to
  ``rho1`` and ``rho2``; without it (or when it returns None) autograd differentiates ``loss``.
  A test checks every ``grad`` against autograd of its ``loss``;
- ``target``: the exact infinite-data policy the method converges to, which the tests train
  toward and the experiment reports;
- flags: ``uses_alpha`` (one run per correction strength), ``needs_joint`` (a joint-likelihood
  model is trained alongside on paired data and its variance is offered to the loss),
  ``equal_type_weights`` (the method assumes equally represented types).

Adding a method is one call, e.g. a population DPO loss on the exact win table::

    def exact_dpo(inputs):
        rho = inputs.log_ratio_table()               # (G, n, n), rho = log pi - log pi_ref
        p = inputs.win_table()                       # (n, n, n), Pr(b > a | x), mixed over types
        h = inputs.beta * (rho[:, :, None, :] - rho[:, :, :, None])   # (G, x, a, b)
        return -(p * F.logsigmoid(h)).mean(dim=(1, 2, 3))

    register_method(TrainingMethod(
        "exact-dpo", "DPO on the population (no sampling noise).", data=None,
        loss=exact_dpo, target=lambda env, config, alpha: env.dpo_limit_policy(
            config.reference_table, config.sampling_table)))

after which ``TrainConfig(methods=("exact-dpo",))`` trains it, ``--method exact-dpo`` runs it from
the command line, and the parametrised tests over :func:`method_names` cover it.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np

from socialpref._typing import FloatArray
from socialpref.errors import ParameterError
from socialpref.train.device import require_torch
from socialpref.train.environment import SyntheticEnvironment
from socialpref.train.limits import corrected_population_table
from socialpref.train.losses import (
    b3_loss,
    consistent_loss,
    corrected_dpo_loss,
    dpo_loss,
    ipo_loss,
    sppo_loss,
)
from socialpref.train.metrics import normalise_rows

require_torch()

import torch  # noqa: E402

if TYPE_CHECKING:
    from torch import Tensor

    from socialpref.train.config import TrainConfig
    from socialpref.train.samplers import PreferencePairs

DATA_KINDS: tuple[str, ...] = ("anonymous", "all-types", "relabelled")
"""Data sets a loss can read: one random type's label per pair (Eq. 8), every type's label
(Section 6), and the all-types pairs relabelled by BT on the fitted average reward (Section 6's
indirect route)."""


@dataclass
class LossInputs:
    """What a method's loss sees at one step, for its ``G`` runs and ``B`` pairs per run.

    Attributes
    ----------
    rho1, rho2 : Tensor of shape (G, B), or None
        Log-ratios ``rho = log pi - log pi_ref`` of ``y1`` and ``y2`` (None when ``data`` is None),
        up to the constant :attr:`log_ratio_shift`: with the uniform reference the runner passes
        ``log pi``, whose difference from ``rho`` cancels in every pairwise margin (Eq. 15).
    labels : Tensor of shape (G, B) or (G, B, n_types), or None
        ``o = 1{y2 > y1}`` (one annotator, or one per type for all-types data).
    alpha : Tensor of shape (G, 1), or None
        Per-run correction strength (methods with ``uses_alpha``).
    beta : float
        KL strength of Eq. (9).
    step : int
        The optimiser step (0-based).
    config : TrainConfig
    env : SyntheticEnvironment
    variance : callable or None
        ``variance()`` returns the joint-likelihood model's ``Var_u[sigma]`` of each pair,
        shape (G, B), detached (Lemma 5.3); only for methods with ``needs_joint``.
    log_sampling_ratio : callable or None
        ``log_sampling_ratio()`` returns ``log pi_ref(y | x) - log D(y | x)`` at the batch's
        ``y1`` and ``y2`` (two (G, B) tensors), for a method with data whose pairs are not drawn
        from ``pi_ref`` (a given reference with uniform pairs); None when ``D = pi_ref``, where
        the ratio is 0.
    """

    rho1: Tensor | None
    rho2: Tensor | None
    labels: Tensor | None
    alpha: Tensor | None
    beta: float
    step: int
    config: TrainConfig
    env: SyntheticEnvironment
    variance: Callable[[], Tensor] | None
    table: Tensor = field(repr=False)
    runs: Tensor = field(repr=False)
    log_sampling_ratio: Callable[[], tuple[Tensor, Tensor]] | None = field(default=None, repr=False)

    @property
    def log_ratio_shift(self) -> float:
        """What to add to ``rho1``, ``rho2`` and :meth:`log_ratio_table` for the log-ratio itself:
        ``log n`` with the uniform reference (``rho = log pi + log n``), else 0. Only losses that
        are not functions of differences of log-ratios need it."""
        return math.log(self.env.n) if self.config.reference is None else 0.0

    def chosen_rejected(self) -> tuple[Tensor, Tensor]:
        """Log-ratios of the preferred and of the other response of each pair (one annotator)."""
        assert self.rho1 is not None and self.rho2 is not None and self.labels is not None
        win = self.labels > 0.5
        return torch.where(win, self.rho2, self.rho1), torch.where(win, self.rho1, self.rho2)

    def log_ratio_table(self) -> Tensor:
        """``rho(y | x)`` of this method's runs for every prompt and response: ``(G, n, n)`` (up
        to :attr:`log_ratio_shift`)."""
        return self.table.index_select(0, self.runs)

    def win_table(self) -> Tensor:
        """The population's ``Pr(b > a | x)`` as a ``(n, n, n)`` tensor ``[x, a, b]`` (types mixed
        by ``p(u)``), on the table's device and dtype."""
        w = self.env.weights[:, None, None, None]
        p = (w * self.env.win_probabilities()).sum(axis=0)
        return torch.as_tensor(p, dtype=self.table.dtype, device=self.table.device)


LossFn = Callable[[LossInputs], "Tensor"]
GradFn = Callable[[LossInputs], "tuple[Tensor, Tensor] | None"]
EstimateFn = Callable[["PreferencePairs", int], "Tensor"]
TargetFn = Callable[[SyntheticEnvironment, "TrainConfig", "float | None"], FloatArray]


@dataclass(frozen=True)
class TrainingMethod:
    """One registered training method (see the module docstring for the fields' meaning)."""

    name: str
    description: str
    data: str | None
    target: TargetFn
    loss: LossFn | None = None
    estimate: EstimateFn | None = None
    grad: GradFn | None = None
    uses_alpha: bool = False
    needs_joint: bool = False
    equal_type_weights: bool = False

    def __post_init__(self) -> None:
        if not self.name or self.name != self.name.strip().lower():
            raise ParameterError(
                f"The 'name' parameter of TrainingMethod must be a lower-case, non-empty name. Got {self.name!r} instead."
            )
        if (self.loss is None) == (self.estimate is None):
            raise ParameterError(
                f"The method {self.name!r} must have exactly one of 'loss' and 'estimate'."
            )
        if self.data is not None and self.data not in DATA_KINDS:
            raise ParameterError(
                f"The 'data' parameter of TrainingMethod must be None or one of {list(DATA_KINDS)}. Got {self.data!r} instead."
            )
        if self.grad is not None and (self.loss is None or self.data is None):
            raise ParameterError(
                f"The method {self.name!r} has a 'grad': it needs a 'loss' and a 'data' set."
            )
        if self.estimate is not None and self.data is None:
            raise ParameterError(
                f"The method {self.name!r} estimates from data: its 'data' must be one of {list(DATA_KINDS)}."
            )

    @property
    def trained(self) -> bool:
        """Whether the method is trained by the optimiser (else it is a closed-form estimate)."""
        return self.loss is not None


_REGISTRY: dict[str, TrainingMethod] = {}


def register_method(method: TrainingMethod, *, replace: bool = False) -> TrainingMethod:
    """Add ``method`` to the table (``replace=True`` to overwrite an entry of the same name).

    Raises
    ------
    ParameterError
        If a method of that name exists and ``replace`` is False.
    """
    if method.name in _REGISTRY and not replace:
        raise ParameterError(
            f"A training method named {method.name!r} is already registered; pass replace=True."
        )
    _REGISTRY[method.name] = method
    return method


def unregister_method(name: str) -> None:
    """Remove a method from the table (no error if it is absent)."""
    _REGISTRY.pop(name, None)


def method_names() -> tuple[str, ...]:
    """Names of the registered methods, in registration order."""
    return tuple(_REGISTRY)


def get_method(name: str) -> TrainingMethod:
    """The registered method called ``name``.

    Raises
    ------
    ParameterError
        If no method has that name; the message lists the registered ones.
    """
    try:
        return _REGISTRY[name]
    except KeyError:
        raise ParameterError(
            f"The 'methods' parameter must hold names among {list(_REGISTRY)}. Got {name!r} instead."
        ) from None


def nbc_win_rates(pairs: PreferencePairs, n: int) -> Tensor:
    """The tabular NBC estimator: win rate of each response per prompt, shape ``(n, n)``.

    ``wins(x, y) / appearances(x, y)`` over anonymous pairs estimates NBC(y | x) of Eq. (13) under
    the sampling distribution ``D`` the pairs were drawn from, whatever it is (each appearance of
    ``y`` meets an independent alternative ``y' ~ D(. | x)``; a pair ``(y, y)`` counts one win in
    two appearances: the diagonal term ``sigma(0) = 1/2``). Cells never seen get 1/2.
    """
    o = pairs.labels.to(torch.float64)
    i1 = pairs.x * n + pairs.y1
    i2 = pairs.x * n + pairs.y2
    wins = torch.bincount(i2, weights=o, minlength=n * n) + torch.bincount(
        i1, weights=1.0 - o, minlength=n * n
    )
    seen = torch.bincount(i1, minlength=n * n) + torch.bincount(i2, minlength=n * n)
    rate = torch.where(seen > 0, wins / seen.clamp_min(1), torch.full_like(wins, 0.5))
    return rate.reshape(n, n)


# --- the built-in methods ------------------------------------------------------------------------


def _dpo(inputs: LossInputs) -> Tensor:
    chosen, rejected = inputs.chosen_rejected()
    return dpo_loss(chosen, rejected, inputs.beta)


def _ipo(inputs: LossInputs) -> Tensor:
    chosen, rejected = inputs.chosen_rejected()
    return ipo_loss(chosen, rejected, inputs.beta)


def _corrected(inputs: LossInputs) -> Tensor:
    # Plain DPO during the warm-up; then the first-order correction with J's variance (Eq. 14-16).
    if inputs.step < inputs.config.warmup or inputs.variance is None:
        return _dpo(inputs)
    chosen, rejected = inputs.chosen_rejected()
    config = inputs.config
    assert inputs.alpha is not None
    return corrected_dpo_loss(
        chosen,
        rejected,
        inputs.variance(),
        inputs.alpha,
        inputs.beta,
        clamp=config.clamp,
        eps=config.eps,
    )


def _consistent(inputs: LossInputs) -> Tensor:
    rho1, rho2, labels = _pairs(inputs)
    return consistent_loss(rho1, rho2, labels, inputs.beta)


def _b3(inputs: LossInputs) -> Tensor:
    rho1, rho2, labels = _pairs(inputs)
    return b3_loss(rho1, rho2, labels, inputs.beta)


def _pairs(inputs: LossInputs) -> tuple[Tensor, Tensor, Tensor]:
    assert inputs.rho1 is not None and inputs.rho2 is not None and inputs.labels is not None
    return inputs.rho1, inputs.rho2, inputs.labels


def _dpo_grad(inputs: LossInputs) -> tuple[Tensor, Tensor]:
    # L = -log sigma(h), h = beta sign (rho2 - rho1), sign = 2 o - 1: dL/drho2 = -beta sign sigma(-h).
    rho1, rho2, labels = _pairs(inputs)
    minus_beta_sign = (0.5 - labels) * (2.0 * inputs.beta)
    h = (rho1 - rho2) * minus_beta_sign
    d2 = torch.sigmoid(h.neg_()).mul_(minus_beta_sign)
    return d2.neg(), d2


def _ipo_grad(inputs: LossInputs) -> tuple[Tensor, Tensor]:
    # L = (m - 1/(2 beta))^2, m = sign (rho2 - rho1): dL/drho2 = 2 sign (m - 1/(2 beta)).
    rho1, rho2, labels = _pairs(inputs)
    sign = labels * 2.0 - 1.0
    d2 = ((rho2 - rho1) * sign - 0.5 / inputs.beta).mul_(sign).mul_(2.0)
    return d2.neg(), d2


def _corrected_grad(inputs: LossInputs) -> tuple[Tensor, Tensor]:
    # L = -log max(s + c, eps), s = sigma(h), h = beta sign (rho2 - rho1), c the correction
    # alpha/2 V (1/s - 1/(1 - s)) clamped to [-C, C]: dL/dh = -(s (1 - s) + c') / (s + c) where
    # s + c >= eps, with c' = alpha/2 V (-(1 - s)/s - s/(1 - s)) inside the clamp, 0 outside.
    if inputs.step < inputs.config.warmup or inputs.variance is None:
        return _dpo_grad(inputs)
    rho1, rho2, labels = _pairs(inputs)
    assert inputs.alpha is not None
    config = inputs.config
    beta_sign = (labels - 0.5) * (2.0 * inputs.beta)
    h = (rho2 - rho1) * beta_sign
    s, s_other = torch.sigmoid(h), torch.sigmoid(-h)
    dsig = s * s_other
    half_av = (0.5 * inputs.alpha) * inputs.variance()
    raw = half_av * (s_other - s) / dsig.clamp_min(torch.finfo(h.dtype).tiny)
    inside = (raw >= -config.clamp) & (raw <= config.clamp)
    z = s + raw.clamp(-config.clamp, config.clamp)
    slope = dsig - (half_av * (s_other / s + s / s_other)).mul_(inside)
    d2 = (slope / z).mul_(z >= config.eps).mul_(beta_sign).neg_()
    return d2.neg(), d2


def _unanimous_sign(labels: Tensor) -> Tensor:
    """+1 where every type chose y2, -1 where every type chose y1, 0 on disagreement."""
    ones, zeros = (labels > 0.5).all(dim=-1), (labels < 0.5).all(dim=-1)
    return ones.to(labels.dtype) - zeros.to(labels.dtype)


def _consistent_grad(inputs: LossInputs) -> tuple[Tensor, Tensor]:
    # L = -log sigma(t k h) on unanimous rows (t = +-1), h = beta (rho2 - rho1):
    # dL/drho2 = -beta t k sigma(-t k h).
    rho1, rho2, labels = _pairs(inputs)
    scale = _unanimous_sign(labels).mul_(-inputs.beta * labels.shape[-1])
    d2 = torch.sigmoid((rho2 - rho1).mul_(scale)).mul_(scale)
    return d2.neg(), d2


def _b3_grad(inputs: LossInputs, min_prob: float = 1e-6) -> tuple[Tensor, Tensor]:
    # L = -s - I(s), s = sigma(t h) floored at min_prob, I' = (1/s - 1)^k:
    # dL/dh = -(1 + (1/s - 1)^k) t s (1 - s) where s > min_prob, 0 elsewhere and off unanimity.
    rho1, rho2, labels = _pairs(inputs)
    t = _unanimous_sign(labels)
    s = torch.sigmoid((rho2 - rho1) * (t * inputs.beta))
    slope = (s * (1.0 - s)).mul_(s >= min_prob)
    s = s.clamp_min(min_prob)
    d2 = ((1.0 / s - 1.0) ** labels.shape[-1] + 1.0).mul_(slope).mul_(t * -inputs.beta)
    return d2.neg(), d2


def _self_play_weight(inputs: LossInputs) -> Tensor:
    """``w = pi_t(y1) pi_t(y2) / (D(y1) D(y2))`` of each pair, detached: the importance weight
    that turns pairs drawn from ``D`` into a response and an opponent drawn from the current
    policy ``pi_t``. With ``pi / D = exp(rho) pi_ref / D`` it is ``exp(rho(y1) + rho(y2))`` when
    the pairs are drawn from ``pi_ref``."""
    rho1, rho2, _ = _pairs(inputs)
    log_w = (rho1 + rho2).detach() + 2.0 * inputs.log_ratio_shift
    if inputs.log_sampling_ratio is not None:
        ratio1, ratio2 = inputs.log_sampling_ratio()
        log_w = log_w + ratio1 + ratio2
    return log_w.exp()


def _sppo(inputs: LossInputs) -> Tensor:
    """Self-play preference optimisation on the KL-regularised preference game.

    **The update.** SPPO (Wu et al. 2024, "Self-Play Preference Optimization for Language
    Model Alignment", Section 3, Algorithm 1) iterates the multiplicative-weights step

        ``pi_{t+1}(y | x) ∝ pi_t(y | x) exp(eta P(y > pi_t | x))``,
        ``P(y > pi | x) = E_{y' ~ pi(.|x)} P(y > y' | x)``,

    fitted at each iteration by the squared loss
    ``E_{x, y ~ pi_t} (log(pi_theta(y|x) / pi_t(y|x)) - eta (P(y > pi_t | x) - 1/2))^2``
    (``log Z_t`` replaced by ``eta / 2``), with ``y``, its opponents and their preference labels
    sampled from the current policy (self-play). Its averaged iterate approaches the von Neumann
    winner, a maximal lottery, of the unregularised game. Here the step is that of the
    KL-regularised game of Nash learning from human feedback (Munos et al. 2023, Section 3), whose
    payoff ``P(pi > pi') - beta KL(pi || pi_ref) + beta KL(pi' || pi_ref)`` adds the reference:

        ``pi_{t+1}(y) ∝ pi_t(y)^(1 - eta beta) pi_ref(y)^(eta beta) exp(eta P(y > pi_t))``,

    the mirror-descent step of the regularised game; at ``beta = 0`` it is SPPO's. (Munos et al.'s
    Nash-MD takes it with the opponent ``pi_t`` replaced by the geometric mixture
    ``pi_t^(1 - eta beta) pi_ref^(eta beta) / Z``.)

    **What it converges to.** The step's fixed point is
    ``pi(y) ∝ pi_ref(y) exp(P(y > pi) / beta)``: the regularised Nash policy ``pi*_beta`` of the
    environment's pairwise matrix (Eq. 8) per prompt, for the run's ``beta`` and ``pi_ref``
    (:func:`socialpref.targets.nash_policy`, the method's ``target``). It tends to the maximal
    lottery as ``beta -> 0``; unlike DPO's limit (Eq. 18) it does not depend on the sampling
    distribution ``D`` of the pairs.

    **How it is trained here.** One optimiser step per iteration: ``pi_t`` is the current
    policy, detached. The regression target of ``log(pi_theta / pi_t)`` is then
    ``eta (P(y > pi_t) - 1/2 - beta rho_t(y))``, and for ``eta = 1 / beta`` the terms in
    ``rho_t`` cancel: the loss of a response is ``(rho(y) - (P(y > pi_t) - 1/2) / beta)^2`` in
    ``rho = log pi - log pi_ref`` (another ``eta`` multiplies its gradient at ``pi_t`` by
    ``eta beta``, a constant scale that Adam's normalisation removes, so ``eta`` is not a
    setting). ``P(y > pi_t)`` is estimated by preference labels **from the annotators**: the
    method reads the ``anonymous`` data set (one random type's BT label per pair, Eq. 8, drawn
    once before training: the same 500k pairs per seed and the same batches as DPO), not new
    responses generated during training and not the exact win table. Opponents come from the
    current policy by **importance weighting**: a pair ``(y1, y2) ~ D`` counts with weight
    ``w = pi_t(y1) pi_t(y2) / (D(y1) D(y2))`` (detached), so that in expectation ``y`` and its
    opponent are drawn from ``pi_t``; each response's label against the other is its estimate
    of ``P(y > pi_t)`` (unbiased over the opponent). The pair's loss is :func:`sppo_loss`:
    ``w/2 [(rho(y2) - m)^2 + (rho(y1) + m)^2]``, ``m = (o - 1/2) / beta``.

    **Why the fixed point is exact.** The expected gradient with respect to the logits of a
    prompt is ``(2 / beta) (diag(pi) - pi pi^T) g`` with ``g(y) = beta rho(y) - P(y > pi) + 1/2``
    (the weights make the responses' distribution ``pi``), zero exactly when ``g`` is constant,
    i.e. at ``pi*_beta`` (the normalising constant that SPPO approximates by ``eta / 2`` does
    not move it). Its Jacobian there is ``(2 / beta) (beta C - C (P - 1/2) C)``,
    ``C = diag(pi) - pi pi^T``: a positive semidefinite part plus a skew-symmetric one, so small
    steps converge to it for every ``beta > 0``. The importance weights are bounded by
    ``(max pi_t / D)^2``; at ``pi*_beta`` with ``D = pi_ref``, ``pi / pi_ref < exp(1 / beta)``.
    """
    rho1, rho2, labels = _pairs(inputs)
    shift = inputs.log_ratio_shift  # a per-response loss needs rho itself, not up to a constant
    return sppo_loss(rho1 + shift, rho2 + shift, labels, inputs.beta, _self_play_weight(inputs))


def _sppo_grad(inputs: LossInputs) -> tuple[Tensor, Tensor]:
    # L = w/2 ((rho2 - m)^2 + (rho1 + m)^2), m = (o - 1/2) / beta, w detached:
    # dL/drho2 = w (rho2 - m), dL/drho1 = w (rho1 + m).
    rho1, rho2, labels = _pairs(inputs)
    w = _self_play_weight(inputs)
    m = (labels - 0.5) / inputs.beta
    shift = inputs.log_ratio_shift
    return (rho1 + m).add_(shift).mul_(w), (rho2 - m).add_(shift).mul_(w)


def _optimal(env: SyntheticEnvironment, config: TrainConfig, alpha: float | None) -> FloatArray:
    return env.optimal_policy(config.reference_table)


def _dpo_limit(env: SyntheticEnvironment, config: TrainConfig, alpha: float | None) -> FloatArray:
    return env.dpo_limit_policy(config.reference_table, config.sampling_table)


def _ipo_limit(env: SyntheticEnvironment, config: TrainConfig, alpha: float | None) -> FloatArray:
    return env.ipo_limit_policy(config.reference_table, config.sampling_table)


def _corrected_limit(
    env: SyntheticEnvironment, config: TrainConfig, alpha: float | None
) -> FloatArray:
    return corrected_population_table(
        env,
        0.0 if alpha is None else alpha,
        clamp=config.clamp,
        eps=config.eps,
        reference=config.reference_table,
        sampling=config.sampling_table,
    )


def _nash(env: SyntheticEnvironment, config: TrainConfig, alpha: float | None) -> FloatArray:
    return env.nash_policy(config.reference_table)


def _nbc_target(env: SyntheticEnvironment, config: TrainConfig, alpha: float | None) -> FloatArray:
    return np.asarray(normalise_rows(env.nbc(config.sampling_table)), dtype=np.float64)


for _method in (
    TrainingMethod(
        "dpo",
        "DPO (Eq. 6) on anonymous data.",
        "anonymous",
        _dpo_limit,
        loss=_dpo,
        grad=_dpo_grad,
    ),
    TrainingMethod(
        "ipo",
        "IPO (Azar et al.) on anonymous data.",
        "anonymous",
        _ipo_limit,
        loss=_ipo,
        grad=_ipo_grad,
    ),
    TrainingMethod(
        "corrected",
        "First-order corrected DPO (Eq. 14-16), one run per alpha, with a joint-likelihood"
        " model trained alongside on paired data (Lemma 5.3).",
        "anonymous",
        _corrected_limit,
        loss=_corrected,
        grad=_corrected_grad,
        uses_alpha=True,
        needs_joint=True,
    ),
    TrainingMethod(
        "consistent",
        "The consistent loss of Prop. 6.1 on all-types data.",
        "all-types",
        _optimal,
        loss=_consistent,
        grad=_consistent_grad,
        equal_type_weights=True,
    ),
    TrainingMethod(
        "consistent-b3",
        "The consistent loss of Prop. B.3 on all-types data.",
        "all-types",
        _optimal,
        loss=_b3,
        grad=_b3_grad,
        equal_type_weights=True,
    ),
    TrainingMethod(
        "nbc",
        "Tabular NBC win rates per (x, y) from anonymous data (no training).",
        "anonymous",
        _nbc_target,
        estimate=nbc_win_rates,
    ),
    TrainingMethod(
        "reward-average",
        "Section 6's indirect route: per-type BT reward tables, pairs relabelled by BT on"
        " their average, then DPO.",
        "relabelled",
        _optimal,
        loss=_dpo,
        grad=_dpo_grad,
    ),
    TrainingMethod(
        "sppo",
        "Self-play preference optimisation (SPPO, Wu et al. 2024) on the KL-regularised game:"
        " squared loss on log-ratios, opponents from the current policy by importance weights"
        " on the anonymous pairs; converges to the NLHF Nash policy (Munos et al. 2023).",
        "anonymous",
        _nash,
        loss=_sppo,
        grad=_sppo_grad,
    ),
):
    register_method(_method)
