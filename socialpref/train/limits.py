"""Exact infinite-data limits of the trained methods, for the experiment's targets.

:func:`corrected_population_policy` is the population optimum of first-order corrected DPO
(Eq. 14-16) for one prompt, with the exact ``Var_u[sigma]`` that a perfect joint-likelihood model
gives (Lemma 5.3); at ``alpha = 0`` it is DPO's limit (Eq. 18).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from socialpref._typing import FloatArray
from socialpref.train.device import require_torch
from socialpref.train.environment import SyntheticEnvironment
from socialpref.train.losses import corrected_dpo_loss

torch = require_torch()


def corrected_population_policy(
    env: SyntheticEnvironment,
    alpha: float,
    *,
    clamp: float = 0.1,
    eps: float = 1e-6,
    prompt: int = 0,
    reference: Any = None,
    sampling: Any = None,
) -> FloatArray:
    """Infinite-data optimum of first-order corrected DPO for one prompt, with the exact variance.

    Minimises ``-sum_{a,b} D(a) D(b) Pr(b > a) log(max(s + c, eps))`` over tabular log-ratios
    ``rho`` (``D`` the row ``prompt`` of ``sampling``, uniform when None), with ``s = sigma(g_b - g_a)``, ``c`` the clamped correction of
    :func:`~socialpref.train.losses.corrected_dpo_loss` and ``Var_sigma`` the exact
    ``Var_u[sigma(Delta r_u)]`` (what a perfect joint-likelihood model gives, Lemma 5.3); by
    L-BFGS in float64. ``alpha = 0`` gives DPO's limit (Eq. 18). Returns
    ``pi(y | prompt) ~ pi_ref(y | prompt) exp(rho(y))`` with ``reference`` the ``(n, n)`` table
    ``pi_ref`` (uniform when None).
    """
    d = None if sampling is None else np.asarray(sampling, dtype=np.float64)[prompt]
    ref = None if reference is None else np.asarray(reference, dtype=np.float64)[prompt]
    weights = None if d is None else torch.as_tensor(np.outer(d, d), dtype=torch.float64)
    p = torch.as_tensor(env.win_probabilities()[:, prompt], dtype=torch.float64)
    w = torch.as_tensor(env.weights, dtype=torch.float64)[:, None, None]
    p_mix = (w * p).sum(0)
    var = ((w * p * p).sum(0) - p_mix**2).clamp_min(0.0)
    g = torch.zeros(env.n, dtype=torch.float64, requires_grad=True)
    opt = torch.optim.LBFGS([g], max_iter=1000, line_search_fn="strong_wolfe", tolerance_grad=1e-12)

    def closure() -> Any:
        opt.zero_grad()
        # Row a, column b: the pair (a, b) with b the winner; c = beta * (rho_b - rho_a).
        chosen = g[None, :].expand(env.n, env.n)
        rejected = g[:, None].expand(env.n, env.n)
        per_pair = p_mix * corrected_dpo_loss(
            chosen, rejected, var, alpha, env.beta, clamp=clamp, eps=eps
        )
        loss = per_pair.mean() if weights is None else (weights * per_pair).sum()
        loss.backward()
        return loss

    opt.step(closure)
    # pi ~ pi_ref exp(rho) with rho the log-ratio.
    logits = g.detach() if ref is None else g.detach() + torch.as_tensor(np.log(ref))
    return np.asarray(torch.softmax(logits, 0).numpy(), dtype=np.float64)
