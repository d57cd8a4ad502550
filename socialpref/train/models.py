"""Batched models: many independent runs stacked along a leading axis ``R`` (torch).

Every parameter has shape ``(R, ...)`` and runs never mix (``torch.bmm`` over stacked
weights), so one optimiser step on the sum of per-run losses is ``R`` independent steps
(Adam's update is element-wise). Prompts are one-hot over ``n`` values, so a policy is
evaluated on all ``n`` prompts at once, giving a table of log-probabilities ``(R, n, n)``
from which batches are gathered: the gradient equals the per-sample forward pass's.

The training loop is bound by the number of small tensor operations per step, not by arithmetic,
so the policy also has a hand-written forward and backward pass
(:meth:`BatchedPolicy.forward_table`, :meth:`BatchedPolicy.backward_table`: about a dozen
operations instead of autograd's graph, checked against autograd in the tests) and
:class:`FusedAdam` calls the fused Adam kernel directly (one operation for every parameter).
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence

from socialpref.errors import ParameterError
from socialpref.train.config import JOINT_KINDS, POLICY_KINDS
from socialpref.train.device import require_torch

require_torch()  # a missing torch raises a one-line error naming the 'train' extra

import torch  # noqa: E402
import torch.nn.functional as F  # noqa: E402
from torch import Tensor  # noqa: E402


def _uniform(shape: tuple[int, ...], bound: float, g: torch.Generator) -> Tensor:
    return (torch.rand(shape, generator=g, dtype=torch.float64) * 2.0 - 1.0) * bound


def init_mlp(
    n: int,
    hidden: int,
    seed: int,
    layers: int = 2,
    n_in: int | None = None,
    n_out: int | None = None,
) -> list[Tensor]:
    """Parameters of one paper MLP (one-hot prompt -> ``layers`` x ``hidden`` tanh -> ``n``
    logits), initialised like ``torch.nn.Linear`` (uniform in ``+-1/sqrt(fan_in)``) from a CPU
    generator seeded with ``seed``, so CPU and GPU runs start identically. ``n_in`` and ``n_out``
    (default ``n``) set the input and output widths."""
    g = torch.Generator().manual_seed(int(seed))
    params: list[Tensor] = []
    fan_in = n if n_in is None else n_in
    for width in [hidden] * layers + [n if n_out is None else n_out]:
        bound = 1.0 / math.sqrt(fan_in)
        params.append(_uniform((fan_in, width), bound, g))
        params.append(_uniform((width,), bound, g))
        fan_in = width
    return params


class BatchedPolicy(torch.nn.Module):
    """``R`` policies over ``n`` prompts x ``n`` responses: the paper's MLP or tabular logits.

    Parameters
    ----------
    n : int
    seeds : sequence of int
        One initialisation seed per run (runs with equal seeds start equal).
    kind : {"mlp", "tabular"}
    hidden, layers : int
        MLP width (15) and number of hidden tanh layers (2).
    log_reference : tensor of shape (n, n), optional
        ``log pi_ref(y | x)``: a fixed offset added to the logits (``pi ~ pi_ref exp(f_theta)``),
        so tabular logits (zero at start) start at ``pi_ref`` exactly. None: no offset (the
        uniform reference, whose constant offset would not change the softmax).
    """

    def __init__(
        self,
        n: int,
        seeds: list[int],
        kind: str = "mlp",
        hidden: int = 15,
        layers: int = 2,
        log_reference: Tensor | None = None,
    ) -> None:
        super().__init__()
        self.log_reference: Tensor | None
        self.register_buffer(
            "log_reference",
            None if log_reference is None else torch.as_tensor(log_reference, dtype=torch.float32),
        )
        if kind not in POLICY_KINDS:
            raise ParameterError(
                f"The 'policy' parameter must be one of {list(POLICY_KINDS)}. Got {kind!r} instead."
            )
        self.kind = kind
        self.n = n
        if kind == "tabular":
            self.logits = torch.nn.Parameter(torch.zeros(len(seeds), n, n))
            self.weights = torch.nn.ParameterList()
        else:
            per_run = [init_mlp(n, hidden, s, layers) for s in seeds]
            stacked = [torch.stack([p[i] for p in per_run]).float() for i in range(len(per_run[0]))]
            self.weights = torch.nn.ParameterList([torch.nn.Parameter(t) for t in stacked])
        self._weight_list: list[Tensor] | None = None

    def _apply(self, fn, recurse=True):  # type: ignore[no-untyped-def]
        self._weight_list = None  # .to() / .float() may replace the parameters
        return super()._apply(fn, recurse)

    def _weights(self) -> list[Tensor]:
        """The MLP's parameters as a list (cached: indexing a ParameterList is slow)."""
        if self._weight_list is None:
            self._weight_list = list(self.weights)
        return self._weight_list

    def log_probs(self) -> Tensor:
        """``log pi(y | x)`` for every run, prompt and response: shape ``(R, n, n)`` (autograd)."""
        if self.kind == "tabular":
            return F.log_softmax(self._offset(self.logits), dim=-1)
        w = list(self.weights)
        # One-hot input: the first layer's pre-activation for prompt x is row x of W1.
        act = torch.tanh(w[0] + w[1][:, None, :])
        for i in range(2, len(w) - 2, 2):
            act = torch.tanh(torch.baddbmm(w[i + 1][:, None, :], act, w[i]))
        logits = torch.baddbmm(w[-1][:, None, :], act, w[-2])
        return F.log_softmax(self._offset(logits), dim=-1)

    def forward_table(self) -> tuple[Tensor, list[Tensor]]:
        """:meth:`log_probs` without autograd, and what :meth:`backward_table` needs.

        Returns ``(log_pi, cache)``: ``log_pi`` of shape ``(R, n, n)`` and the hidden
        activations (MLP) for the backward pass.
        """
        with torch.no_grad():
            if self.kind == "tabular":
                return F.log_softmax(self._offset(self.logits), dim=-1), []
            w = self._weights()
            acts = [torch.tanh(w[0] + w[1][:, None, :])]
            for i in range(2, len(w) - 2, 2):
                acts.append(torch.tanh(torch.baddbmm(w[i + 1][:, None, :], acts[-1], w[i])))
            logits = torch.baddbmm(w[-1][:, None, :], acts[-1], w[-2])
            return F.log_softmax(self._offset(logits), dim=-1), acts

    def backward_table(self, grad: Tensor, log_pi: Tensor, cache: list[Tensor]) -> list[Tensor]:
        """Gradients of the parameters (in :meth:`parameters` order) given ``dL / d log_pi``.

        ``grad`` has shape ``(R, n, n)``; ``log_pi`` and ``cache`` come from
        :meth:`forward_table`. The chain rule through the log-softmax
        (``g - softmax * sum(g)``), the output layer, and each tanh layer
        (``(1 - a^2) g``); the first layer's input is one-hot, so its weight gradient is the
        pre-activation gradient itself.
        """
        with torch.no_grad():
            g = torch.ops.aten._log_softmax_backward_data(grad, log_pi, -1, log_pi.dtype)
            if self.kind == "tabular":
                return [g]
            w = self._weights()
            grads: list[Tensor] = [g.new_empty(0)] * len(w)
            grads[-2] = torch.bmm(cache[-1].transpose(1, 2), g)
            grads[-1] = g.sum(dim=1)
            for layer in range(len(cache) - 1, -1, -1):
                g = torch.bmm(g, w[2 * layer + 2].transpose(1, 2))
                g = torch.ops.aten.tanh_backward(g, cache[layer])
                grads[2 * layer + 1] = g.sum(dim=1)
                grads[2 * layer] = (
                    g if layer == 0 else torch.bmm(cache[layer - 1].transpose(1, 2), g)
                )
            return grads

    def _offset(self, logits: Tensor) -> Tensor:
        return logits if self.log_reference is None else logits + self.log_reference


class BatchedJointModel(torch.nn.Module):
    """Joint-likelihood model of Section 5.3 as a mixture of ``K`` latent tabular BT rewards.

    ``J(x, a, b, x', a', b') = sum_k w_k sigma(r_k(x, b) - r_k(x, a)) sigma(r_k(x', b') - r_k(x', a'))``,
    the probability that one annotator prefers ``b`` to ``a`` and ``b'`` to ``a'``; fitted by
    cross-entropy on ``o * o'`` (Lemma 5.3). ``R`` independent models are stacked.
    """

    def __init__(self, n: int, seeds: list[int], latent: int = 3, init_scale: float = 0.1) -> None:
        super().__init__()
        tables = []
        for s in seeds:
            g = torch.Generator().manual_seed(int(s) + 7919)
            tables.append(
                torch.randn((latent, n, n), generator=g, dtype=torch.float64) * init_scale
            )
        self.rewards = torch.nn.Parameter(torch.stack(tables).float())
        self.mix_logits = torch.nn.Parameter(torch.zeros(len(seeds), latent))

    def _diff(self, cell_a: Tensor, cell_b: Tensor, rows: Tensor | None = None) -> Tensor:
        """``r_k(x, b) - r_k(x, a)`` for cells ``x * n + a`` and ``x * n + b`` of shape ``(G, B)``:
        shape ``(G, K, B)``; ``rows`` (shape ``(G,)``) picks the stacked models (default: all)."""
        r_count, k_count, n, _ = self.rewards.shape
        flat = self.rewards.reshape(-1)
        if rows is None:
            rows = torch.arange(r_count, device=flat.device)
        base = (rows[:, None] * k_count + torch.arange(k_count, device=flat.device)[None, :]) * (
            n * n
        )
        base = base[:, :, None]
        g, b = cell_a.shape
        take_b = flat.index_select(0, (base + cell_b[:, None, :]).reshape(-1)).view(g, k_count, b)
        take_a = flat.index_select(0, (base + cell_a[:, None, :]).reshape(-1)).view(g, k_count, b)
        return take_b - take_a

    def _log_weights(self, rows: Tensor | None = None) -> Tensor:
        mix = self.mix_logits if rows is None else self.mix_logits[rows]
        return F.log_softmax(mix, dim=-1)[:, :, None]

    def log_joint(
        self, a: Tensor, b: Tensor, a2: Tensor, b2: Tensor, rows: Tensor | None = None
    ) -> Tensor:
        """``log J`` for cells (``x * n + y``) ``(a, b)`` and ``(a2, b2)``, shape ``(G, B)``."""
        terms = (
            self._log_weights(rows)
            + F.logsigmoid(self._diff(a, b, rows))
            + F.logsigmoid(self._diff(a2, b2, rows))
        )
        return torch.logsumexp(terms, dim=1)

    def nll(
        self,
        a: Tensor,
        b: Tensor,
        a2: Tensor,
        b2: Tensor,
        target: Tensor,
        rows: Tensor | None = None,
    ) -> Tensor:
        """Binary cross-entropy between ``J`` and the label ``o * o'``, per row ``(G, B)``."""
        log_j = self.log_joint(a, b, a2, b2, rows)
        log_not = torch.log((-torch.expm1(log_j)).clamp_min(1e-12))
        return -(target * log_j + (1.0 - target) * log_not)

    def loss_and_grads(
        self, a: Tensor, b: Tensor, a2: Tensor, b2: Tensor, target: Tensor
    ) -> tuple[Tensor, list[Tensor]]:
        """The training loss (:meth:`nll` averaged over each model's rows and summed over the
        stacked models) and its gradients (``rewards``, ``mix_logits``), written by hand.

        With ``t_k = log w_k + log sigma(d_k) + log sigma(d'_k)``, ``log J = logsumexp_k t_k`` and
        ``q_k = exp(t_k - log J)``: ``dnll / dlog J = -o + (1 - o) J / (1 - J)`` (0 where
        ``1 - J`` is floored), ``dnll / dd_k = dnll / dlog J q_k sigma(-d_k)``, and the mixture
        logits get ``sum_b g q - w sum_k sum_b g q``. Checked against autograd in the tests.
        """
        with torch.no_grad():
            r_count, k_count, n, _ = self.rewards.shape
            flat = self.rewards.reshape(-1)
            base = (torch.arange(r_count * k_count, device=flat.device) * (n * n)).view(
                r_count, k_count, 1
            )
            rows, size = a.shape
            idx = [(base + c[:, None, :]).reshape(-1) for c in (a, b, a2, b2)]
            take = [flat.index_select(0, i).view(rows, k_count, size) for i in idx]
            d1, d2 = take[1] - take[0], take[3] - take[2]
            log_w = F.log_softmax(self.mix_logits, dim=-1)
            terms = log_w[:, :, None] + F.logsigmoid(d1) + F.logsigmoid(d2)
            log_j = torch.logsumexp(terms, dim=1)
            one_minus = -torch.expm1(log_j)
            not_floored = one_minus > 1e-12
            log_not = torch.log(one_minus.clamp_min(1e-12))
            loss = -(target * log_j + (1.0 - target) * log_not).mean(dim=-1).sum()
            g = (1.0 - target) * torch.exp(log_j) / one_minus.clamp_min(1e-12)
            g = (g.mul_(not_floored) - target).div_(size)
            gq = torch.exp(terms - log_j[:, None, :]).mul_(g[:, None, :])  # dnll / dt_k
            g_mix = gq.sum(dim=-1)
            g_mix = g_mix - log_w.exp() * g_mix.sum(dim=-1, keepdim=True)
            g1 = gq * torch.sigmoid(-d1)
            g2 = gq.mul_(torch.sigmoid(-d2))
            g_flat = torch.zeros_like(flat)
            g_flat.index_add_(0, idx[1], g1.reshape(-1))
            g_flat.index_add_(0, idx[0], g1.reshape(-1), alpha=-1)
            g_flat.index_add_(0, idx[3], g2.reshape(-1))
            g_flat.index_add_(0, idx[2], g2.reshape(-1), alpha=-1)
            return loss, [g_flat.view_as(self.rewards), g_mix]

    def variance(self, a: Tensor, b: Tensor, rows: Tensor | None = None) -> Tensor:
        """``Var_u[sigma]`` for the pair of cells ``(a, b)`` from ``J1 = J(a,b,a,b)`` and
        ``J2 = J(a,b,b,a)`` (Lemma 5.3; :func:`socialpref.train.losses.joint_variance`), ``(G, B)``."""
        from socialpref.train.losses import joint_variance

        w = self._log_weights(rows).exp()
        s = torch.sigmoid(self._diff(a, b, rows))
        j_same = (w * s * s).sum(dim=1)
        j_swapped = (w * s * (1.0 - s)).sum(dim=1)
        return joint_variance(j_same, j_swapped)


class BatchedJointMLP(torch.nn.Module):
    """Joint-likelihood model of Section 5.3 as a general MLP, ``R`` independent models stacked.

    The two comparisons ``(x, a, b)`` and ``(x', a', b')`` are one-hot encoded over ``n`` values
    each (six blocks, ``6 n`` inputs), concatenated, passed through ``layers`` x ``hidden`` tanh
    layers to one logit ``f``, and ``J = sigma(f)`` is the probability that one annotator prefers
    ``b`` to ``a`` and ``b'`` to ``a'``; fitted by cross-entropy on ``o * o'`` (Lemma 5.3). Unlike
    :class:`BatchedJointModel` it assumes neither BT nor a finite number of types, so ``J1`` and
    ``J2`` on the diagonal ``(x, a, b) = (x', a', b')`` come from how the network generalises.
    Same interface as :class:`BatchedJointModel` (cells ``x * n + y``, ``rows`` picks models).

    Parameters
    ----------
    n : int
    seeds : sequence of int
        One initialisation seed per stacked model.
    hidden, layers : int
        Width and number of hidden tanh layers.

    Examples
    --------
    >>> j = BatchedJointMLP(5, [0, 1], hidden=8)  # two stacked models
    >>> a = torch.tensor([[0, 7], [0, 7]])  # cells x * n + y: (0, 0) and (1, 2), per model
    >>> b = torch.tensor([[3, 9], [3, 9]])  # (0, 3) and (1, 4)
    >>> tuple(j.log_joint(a, b, a, b).shape), bool((j.variance(a, b) >= 0).all())
    ((2, 2), True)
    """

    def __init__(self, n: int, seeds: list[int], hidden: int = 64, layers: int = 2) -> None:
        super().__init__()
        self.n = n
        per_run = [init_mlp(n, hidden, int(s) + 7919, layers, n_in=6 * n, n_out=1) for s in seeds]
        stacked = [torch.stack([p[i] for p in per_run]).float() for i in range(len(per_run[0]))]
        self.weights = torch.nn.ParameterList([torch.nn.Parameter(t) for t in stacked])

    def logit(
        self, a: Tensor, b: Tensor, a2: Tensor, b2: Tensor, rows: Tensor | None = None
    ) -> Tensor:
        """``f = logit J`` for cells ``(a, b)`` and ``(a2, b2)`` of shape ``(G, B)``: ``(G, B)``."""
        w = list(self.weights)
        r_count, n_in, width = w[0].shape
        if rows is None:
            rows = torch.arange(r_count, device=w[0].device)
        else:
            w = [w[0]] + [t[rows] for t in w[1:]]
        n = self.n
        # One-hot codes of x, a, b, x', a', b' concatenated (six blocks of n): the first layer's
        # pre-activation is the sum of the six matching rows of W1 (an embedding lookup).
        block = torch.arange(6, device=a.device) * n
        items = torch.stack([a // n, a % n, b % n, a2 // n, a2 % n, b2 % n], dim=-1) + block
        items = items + (rows * n_in)[:, None, None]
        first = F.embedding(items, w[0].reshape(-1, width)).sum(dim=2)
        act = torch.tanh(first + w[1][:, None, :])
        for i in range(2, len(w) - 2, 2):
            act = torch.tanh(torch.baddbmm(w[i + 1][:, None, :], act, w[i]))
        return torch.baddbmm(w[-1][:, None, :], act, w[-2]).squeeze(-1)

    def log_joint(
        self, a: Tensor, b: Tensor, a2: Tensor, b2: Tensor, rows: Tensor | None = None
    ) -> Tensor:
        """``log J`` for cells (``x * n + y``) ``(a, b)`` and ``(a2, b2)``, shape ``(G, B)``."""
        return F.logsigmoid(self.logit(a, b, a2, b2, rows))

    def nll(
        self,
        a: Tensor,
        b: Tensor,
        a2: Tensor,
        b2: Tensor,
        target: Tensor,
        rows: Tensor | None = None,
    ) -> Tensor:
        """Binary cross-entropy between ``J`` and the label ``o * o'``, per row ``(G, B)``."""
        return F.binary_cross_entropy_with_logits(
            self.logit(a, b, a2, b2, rows), target, reduction="none"
        )

    def loss_and_grads(
        self, a: Tensor, b: Tensor, a2: Tensor, b2: Tensor, target: Tensor
    ) -> tuple[Tensor, list[Tensor]]:
        """The training loss (:meth:`nll` averaged over each model's rows and summed over the
        stacked models) and its gradients (autograd), in :meth:`parameters` order."""
        with torch.enable_grad():
            loss = self.nll(a, b, a2, b2, target).mean(dim=-1).sum()
            grads = torch.autograd.grad(loss, list(self.parameters()))
        return loss.detach(), list(grads)

    def variance(self, a: Tensor, b: Tensor, rows: Tensor | None = None) -> Tensor:
        """``Var_u[sigma]`` for the pair of cells ``(a, b)`` from ``J1 = J(a,b,a,b)`` and
        ``J2 = J(a,b,b,a)`` (Lemma 5.3; :func:`socialpref.train.losses.joint_variance`), ``(G, B)``."""
        from socialpref.train.losses import joint_variance

        j_same = torch.sigmoid(self.logit(a, b, a, b, rows))
        j_swapped = torch.sigmoid(self.logit(a, b, b, a, rows))
        return joint_variance(j_same, j_swapped)


def make_joint_model(
    kind: str,
    n: int,
    seeds: list[int],
    *,
    latent: int = 3,
    hidden: int = 64,
    layers: int = 2,
) -> BatchedJointModel | BatchedJointMLP:
    """The joint-likelihood model ``J`` of Lemma 5.3: ``"mixture"`` (:class:`BatchedJointModel`,
    ``latent`` BT components) or ``"mlp"`` (:class:`BatchedJointMLP`, ``layers`` x ``hidden`` tanh).

    Raises
    ------
    ParameterError
        If ``kind`` is not one of :data:`JOINT_KINDS`.
    """
    if kind == "mixture":
        return BatchedJointModel(n, seeds, latent)
    if kind == "mlp":
        return BatchedJointMLP(n, seeds, hidden, layers)
    raise ParameterError(
        f"The 'joint' parameter must be one of {list(JOINT_KINDS)}. Got {kind!r} instead."
    )


class BatchedRewardTables(torch.nn.Module):
    """Per-type tabular BT reward models ``r_u(x, y)`` for the indirect route of Section 6,
    stacked over ``R`` runs: shape ``(R, n_types, n, n)``."""

    def __init__(self, n_runs: int, n_types: int, n: int) -> None:
        super().__init__()
        self.rewards = torch.nn.Parameter(torch.zeros(n_runs, n_types, n, n))

    def margins(self, cell_a: Tensor, cell_b: Tensor) -> Tensor:
        """``r_u(x, b) - r_u(x, a)`` for cells ``x * n + y`` of shape ``(R, B)``: ``(R, B, n_types)``."""
        r_count, t_count, n, _ = self.rewards.shape
        flat = self.rewards.permute(0, 2, 3, 1).reshape(r_count, n * n, t_count)
        rr = torch.arange(r_count, device=flat.device)[:, None]
        return flat[rr, cell_b] - flat[rr, cell_a]


class FusedAdam:
    """Adam (``torch.optim.Adam`` defaults: betas 0.9, 0.999, eps 1e-8) as one call of the fused
    kernel per step, taking the gradients as a list instead of reading ``.grad``.

    The same update as ``torch.optim.Adam(params, lr, fused=True)`` (checked in the tests) without
    the optimiser's per-step bookkeeping, which costs more than the kernel for these tiny models.

    Parameters
    ----------
    params : iterable of Tensor
    lr : float
    """

    def __init__(
        self,
        params: Iterable[Tensor],
        lr: float,
        betas: tuple[float, float] = (0.9, 0.999),
        eps: float = 1e-8,
    ) -> None:
        self.params = list(params)
        self.lr, self.betas, self.eps = float(lr), betas, float(eps)
        self.exp_avgs = [torch.zeros_like(p) for p in self.params]
        self.exp_avg_sqs = [torch.zeros_like(p) for p in self.params]
        # One step counter serves every parameter (the kernel reads it; it is advanced once).
        device = self.params[0].device if self.params else None
        self.step_count = torch.zeros((), dtype=torch.float32, device=device)
        self.steps = [self.step_count] * len(self.params)

    def step(self, grads: Sequence[Tensor]) -> None:
        """One Adam update of every parameter with ``grads`` (same order as ``params``)."""
        # The fused kernel reads gradients in the parameters' memory layout: autograd may return
        # a permuted (non-contiguous) gradient, which must be laid out first.
        grads = [g if g.is_contiguous() else g.contiguous() for g in grads]
        with torch.no_grad():
            self.step_count += 1
            torch._fused_adam_(
                self.params,
                grads,
                self.exp_avgs,
                self.exp_avg_sqs,
                [],
                self.steps,
                lr=self.lr,
                beta1=self.betas[0],
                beta2=self.betas[1],
                weight_decay=0.0,
                eps=self.eps,
                amsgrad=False,
                maximize=False,
            )
