"""Preference losses on sequence scores (paper Eq. 5, 15 and Prop. 6.1).

Both DPO and reward learning fit a Bradley-Terry model to labelled pairs: with ``h`` the
margin of the preferred over the dispreferred sequence, the loss is ``-log sigma(s * h)``.

- DPO (Eq. 15): ``h = beta * [log pi(y_w)/pi_ref(y_w) - log pi(y_l)/pi_ref(y_l)]``. With the
  uniform reference of the paper the reference terms cancel and ``h = beta * [log pi(y_w) -
  log pi(y_l)]``; with the frozen base model as reference they are the base log-probs.
- Reward model: ``h = r(y_w) - r(y_l)``.
- ``s = |U|`` for the maximum-information dataset (Prop. 6.1: consensus labels follow BT on
  the sum of the types' differences, so the induced reward is |U| times the average); 1 else.
"""

from __future__ import annotations

from socialpref._validation import check_scalar
from socialpref.llm._deps import missing

try:
    import torch
    import torch.nn.functional as F
except ImportError as exc:  # pragma: no cover - the llm extra is installed for the tests
    raise missing(exc.name or "torch") from None


def preference_margin(
    score_w: torch.Tensor,
    score_l: torch.Tensor,
    ref_w: torch.Tensor | None = None,
    ref_l: torch.Tensor | None = None,
    beta: float = 1.0,
) -> torch.Tensor:
    """``h = beta * [(score_w - ref_w) - (score_l - ref_l)]`` (Eq. 15); no reference: ref = 0."""
    h = score_w - score_l
    if ref_w is not None and ref_l is not None:
        h = h - (ref_w - ref_l)
    return beta * h


def preference_loss(
    score_w: torch.Tensor,
    score_l: torch.Tensor,
    ref_w: torch.Tensor | None = None,
    ref_l: torch.Tensor | None = None,
    beta: float = 1.0,
    margin_scale: float = 1.0,
) -> torch.Tensor:
    """Mean Bradley-Terry loss ``-log sigma(margin_scale * h)``; ln 2 when all margins are 0.

    >>> import torch
    >>> round(float(preference_loss(torch.zeros(3), torch.zeros(3))), 7)
    0.6931472
    """
    for name, value in (("beta", beta), ("margin_scale", margin_scale)):
        check_scalar(value, name, float, 0, include_boundaries="neither", owner="preference_loss")
    h = preference_margin(score_w, score_l, ref_w, ref_l, beta)
    return -F.logsigmoid(margin_scale * h).mean()
