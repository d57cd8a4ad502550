"""Direct-alignment losses as pure functions of log-probability ratios (torch).

Notation: ``rho(y) = log pi(y | x) - log pi_ref(y | x)``; for a pair ``(y1, y2)`` with label
``o = 1{y2 > y1}``, ``h = beta * (rho(y2) - rho(y1))`` is Eq. (15). Losses return one value per
row (no reduction) so that callers can mask or average; none logs metrics.

- :func:`dpo_loss`: ``-log sigma(beta (rho_w - rho_l))``, Eq. (6) with the likelihood of Eq. (5).
- :func:`ipo_loss`: ``(rho_w - rho_l - 1 / (2 beta))^2`` (Azar et al., IPO).
- :func:`corrected_dpo_loss`: first-order corrected DPO, Eq. (14)-(16).
- :func:`consistent_loss`: Prop. 6.1; :func:`b3_loss` with :func:`b3_integral`: Prop. B.3.
- :func:`sppo_loss`: the self-play squared loss of SPPO (Wu et al. 2024) on the KL-regularised
  preference game, whose fixed point is the NLHF Nash policy (Munos et al. 2023).
- :func:`joint_variance`: ``Var_u[sigma]`` from a joint-likelihood model (Lemma 5.3).
"""

from __future__ import annotations

import math
from typing import Any

from socialpref._validation import check_scalar
from socialpref.train.device import require_torch

require_torch()

import torch  # noqa: E402
import torch.nn.functional as F  # noqa: E402
from torch import Tensor  # noqa: E402


def _check_beta(beta: float, owner: str) -> float:
    return check_scalar(beta, "beta", float, min_val=0, include_boundaries="neither", owner=owner)


def dpo_loss(chosen_logratio: Tensor, rejected_logratio: Tensor, beta: float = 1.0) -> Tensor:
    """DPO's per-pair loss, Eq. (6) with Eq. (5): ``-log sigma(beta (rho_w - rho_l))``.

    Parameters
    ----------
    chosen_logratio, rejected_logratio : torch.Tensor
        ``log pi / pi_ref`` of the preferred and of the other response.
    beta : float

    Examples
    --------
    >>> round(float(dpo_loss(torch.zeros(1), torch.zeros(1))[0]), 7)  # ln 2
    0.6931472
    """
    beta = _check_beta(beta, "dpo_loss")
    return -F.logsigmoid(beta * (chosen_logratio - rejected_logratio))


def soft_dpo_loss(
    logratio_y1: Tensor, logratio_y2: Tensor, prob_y2: Tensor, beta: float = 1.0
) -> Tensor:
    """DPO's cross-entropy with a soft label ``p = Pr(y2 > y1)``:
    ``-p log sigma(h) - (1 - p) log sigma(-h)``, ``h`` of Eq. (15)."""
    beta = _check_beta(beta, "soft_dpo_loss")
    h = beta * (logratio_y2 - logratio_y1)
    return -(prob_y2 * F.logsigmoid(h) + (1.0 - prob_y2) * F.logsigmoid(-h))


def ipo_loss(chosen_logratio: Tensor, rejected_logratio: Tensor, beta: float = 1.0) -> Tensor:
    """IPO's per-pair loss (Azar et al. 2024, Eq. 17 there), regularisation ``tau = beta``:
    ``(rho_w - rho_l - 1 / (2 beta))^2``. Its population minimiser orders responses by NBC
    (Section 4: "IPO uses NBC as its objective").

    >>> float(ipo_loss(torch.tensor([0.5]), torch.tensor([0.0]))[0])
    0.0
    """
    beta = _check_beta(beta, "ipo_loss")
    return (chosen_logratio - rejected_logratio - 1.0 / (2.0 * beta)) ** 2


def sppo_loss(
    logratio_y1: Tensor,
    logratio_y2: Tensor,
    labels: Tensor,
    beta: float = 1.0,
    weight: Tensor | None = None,
) -> Tensor:
    """SPPO's squared loss on both responses of a labelled pair, one value per pair:
    ``w/2 [(rho(y2) - m)^2 + (rho(y1) + m)^2]`` with ``m = (o - 1/2) / beta``.

    Self-play preference optimisation (Wu et al. 2024, Section 3 and Algorithm 1) regresses
    the log-ratio of each response on its centred win indicator against an opponent:
    ``(log(pi_theta(y) / pi_t(y)) - eta (P(y > pi_t) - 1/2))^2``. Here each response's own
    label is the estimate (``o`` for ``y2`` against ``y1``, ``1 - o`` for ``y1`` against ``y2``),
    and the step is the one of the KL-regularised game (Munos et al. 2023) with
    ``eta = 1 / beta``, so that the regression target of ``rho = log pi - log pi_ref`` is
    ``(P(y > pi_t) - 1/2) / beta``; see :mod:`socialpref.train.methods` for the update, its
    fixed point (the Nash policy) and the importance weight ``w``.

    Parameters
    ----------
    logratio_y1, logratio_y2 : torch.Tensor
        ``rho`` of both responses.
    labels : torch.Tensor
        ``o = 1{y2 > y1}``.
    beta : float
        KL strength of the regularised game (``tau`` in Munos et al.).
    weight : torch.Tensor, optional
        Per-pair weight ``w`` (treated as data; 1 when None).

    Examples
    --------
    At the uniform reference (``rho = 0``) the loss is ``1 / (4 beta^2)`` whatever the label:

    >>> sppo_loss(torch.zeros(2), torch.zeros(2), torch.tensor([0.0, 1.0])).tolist()
    [0.25, 0.25]
    """
    beta = _check_beta(beta, "sppo_loss")
    m = (labels - 0.5) / beta
    loss = 0.5 * ((logratio_y2 - m) ** 2 + (logratio_y1 + m) ** 2)
    return loss if weight is None else weight * loss


def joint_variance(j_same: Tensor, j_swapped: Tensor) -> Tensor:
    """``Var_u[sigma(Delta r_u)] = J1 - (J1 + J2)^2`` clamped at 0 (proof of Lemma 5.3).

    ``J1 = J(l, w, l, w)`` (both copies of the pair in the same order) estimates
    ``E_u[sigma^2]``; ``J2 = J(l, w, w, l)`` estimates ``E_u[sigma (1 - sigma)]``, so
    ``J1 + J2 = E_u[sigma]``.
    """
    return torch.clamp(j_same - (j_same + j_swapped) ** 2, min=0.0)


def corrected_dpo_loss(
    chosen_logratio: Tensor,
    rejected_logratio: Tensor,
    var_sigma: Tensor,
    alpha: float | Tensor = 1.0,
    beta: float = 1.0,
    *,
    clamp: float = 0.1,
    eps: float = 1e-6,
) -> Tensor:
    """First-order corrected DPO, Eq. (14)-(16), with the paper's clamp and stable log.

    The likelihood of the observed preference is ``s + alpha/2 sigma''(h) V`` with
    ``h = beta (rho_w - rho_l)``, ``s = sigma(h)``. With ``sigma' = s (1 - s)`` and
    ``sigma'' = s (1 - s)(1 - 2 s)``, Eq. (16) gives ``V = Var_sigma / sigma'(h)^2``, so the
    correction is ``alpha/2 (1 - 2 s) Var_sigma / (s (1 - s))``, clamped to ``[-clamp, clamp]``;
    the loss is ``-log(max(s + correction, eps))`` (the stable log of Section 5.1). With
    ``alpha = 0`` or ``Var_sigma = 0`` it equals :func:`dpo_loss` wherever ``s > eps``.

    Parameters
    ----------
    chosen_logratio, rejected_logratio : torch.Tensor
    var_sigma : torch.Tensor
        ``Var_u[sigma(Delta r_u)]`` per pair, e.g. :func:`joint_variance` (treated as data).
    alpha : float or torch.Tensor
        Correction strength (theory: 1; DPO: 0); a tensor broadcasts (one value per run).
    beta, clamp, eps : float
    """
    beta = _check_beta(beta, "corrected_dpo_loss")
    if not isinstance(alpha, Tensor):
        alpha = check_scalar(alpha, "alpha", float, min_val=0, owner="corrected_dpo_loss")
    h = beta * (chosen_logratio - rejected_logratio)
    s = torch.sigmoid(h)
    s_one_minus = torch.sigmoid(-h)
    dsig = (s * s_one_minus).clamp_min(torch.finfo(h.dtype).tiny)
    correction = (0.5 * alpha) * (s_one_minus - s) * var_sigma / dsig
    correction = torch.clamp(correction, -clamp, clamp)
    return -torch.log(torch.clamp(s + correction, min=eps))


def _unanimity(labels: Tensor) -> tuple[Tensor, Tensor]:
    """Masks of rows where all types chose ``y2`` (``o = 1``) and where all chose ``y1``."""
    all_one = (labels > 0.5).all(dim=-1)
    all_zero = (labels < 0.5).all(dim=-1)
    return all_one, all_zero


def consistent_loss(
    logratio_y1: Tensor, logratio_y2: Tensor, labels: Tensor, beta: float = 1.0
) -> Tensor:
    """The consistent loss of Prop. 6.1 on all-types data (Eq. 17), one value per row.

    With ``h = beta (rho(y2) - rho(y1))`` (Eq. 15) and ``k = |U|`` (``labels.shape[-1]``):
    ``-log sigma(k h)`` when every type chose ``y2``, ``-log sigma(-k h)`` (that is,
    ``k h(y2, y1)``) when every type chose ``y1``, and 0 on disagreement. The authors' code has
    ``sigma(k (1 - h))`` in the all-zero case, which is not the likelihood of the proof.

    >>> lab = torch.tensor([[1.0, 1.0], [0.0, 0.0], [1.0, 0.0]])
    >>> [round(v, 6) for v in consistent_loss(torch.zeros(3), torch.zeros(3), lab).tolist()]
    [0.693147, 0.693147, 0.0]
    """
    beta = _check_beta(beta, "consistent_loss")
    k = labels.shape[-1]
    h = beta * (logratio_y2 - logratio_y1)
    all_one, all_zero = _unanimity(labels)
    zero = torch.zeros_like(h)
    return torch.where(all_one, -F.logsigmoid(k * h), zero) + torch.where(
        all_zero, -F.logsigmoid(-k * h), zero
    )


def _b3_integral_expansion(theta: Tensor, k: int) -> Tensor:
    out = torch.zeros_like(theta)
    for j in range(k + 1):
        coef = math.comb(k, j) * (-1.0) ** j
        p = j - k + 1
        if p == 0:
            out = out + coef * torch.log(theta)
        else:
            out = out + coef * (theta**p - 1.0) / p
    return out


class _B3Integral(torch.autograd.Function):  # type: ignore[name-defined,misc]
    """``I`` evaluated in float64 (the expansion cancels badly in float32 near ``theta = 1``),
    with the exact derivative ``dI/dtheta = (1/theta - 1)^k`` as its backward."""

    @staticmethod
    def forward(ctx: Any, theta: Tensor, k: int) -> Tensor:
        ctx.save_for_backward(theta)
        ctx.k = k
        return _b3_integral_expansion(theta.double(), k).to(theta.dtype)

    @staticmethod
    def backward(ctx: Any, grad: Tensor) -> tuple[Tensor, None]:
        (theta,) = ctx.saved_tensors
        return grad * (1.0 / theta - 1.0) ** ctx.k, None


def b3_integral(theta: Tensor, k: int) -> Tensor:
    """``I(theta) = int_1^theta (1/t - 1)^k dt`` exactly, for any integer ``k >= 0`` (Prop. B.3).

    Expanding ``(1 - t)^k t^-k = sum_j C(k, j) (-1)^j t^(j - k)`` and integrating term by term:
    ``sum_{j != k-1} C(k, j) (-1)^j (theta^(j-k+1) - 1) / (j - k + 1) + C(k, k-1) (-1)^(k-1) log theta``.
    Closed forms: ``k = 1``: ``log theta - theta + 1``. The sum is evaluated in float64 and the
    gradient is the integrand itself, so float32 training keeps full precision near ``theta = 1``.

    >>> round(float(b3_integral(torch.tensor(0.5, dtype=torch.float64), 1)), 6)
    -0.193147
    """
    k = check_scalar(k, "k", int, min_val=0, owner="b3_integral")
    out: Tensor = _B3Integral.apply(theta, k)
    return out


def b3_loss(
    logratio_y1: Tensor,
    logratio_y2: Tensor,
    labels: Tensor,
    beta: float = 1.0,
    *,
    min_prob: float = 1e-6,
) -> Tensor:
    """The consistent loss of Prop. B.3: ``-s - I(s)`` with ``s = sigma(h(loser, winner))`` on
    unanimous rows (0 otherwise), ``I`` of :func:`b3_integral` with ``k = |U|``. For ``k = 1``
    it is DPO's loss minus 1. ``s`` is floored at ``min_prob`` to keep ``s^(1-k)`` finite."""
    beta = _check_beta(beta, "b3_loss")
    k = labels.shape[-1]
    h = beta * (logratio_y2 - logratio_y1)
    all_one, all_zero = _unanimity(labels)
    sign = torch.where(all_zero, -torch.ones_like(h), torch.ones_like(h))
    s = torch.sigmoid(sign * h).clamp_min(min_prob)
    per_row = -s - b3_integral(s, k)
    return torch.where(all_one | all_zero, per_row, torch.zeros_like(h))
