"""Batched training of many runs (seeds x methods x alphas) on the synthetic environment.

All runs share one device and one optimiser step: the policies are one stacked
:class:`~socialpref.train.models.BatchedPolicy`, each run's loss is a mean over its own batch
and the total is their sum, so runs stay independent (Adam is element-wise). Runs with the same
seed share their data set, their batches and their initial weights (common random numbers), so
methods are compared on equal terms, and a run's result does not depend on the other runs.

What each method reads and minimises comes from the table in :mod:`socialpref.train.methods`
(``dpo``, ``ipo``, ``corrected``, ``consistent``, ``consistent-b3``, ``reward-average``,
``nbc``, ``sppo`` and any method registered there); this module has no per-method branches. A method with
``needs_joint`` gets a joint-likelihood model trained alongside on paired data (Lemma 5.3),
one per seed; ``relabelled`` data comes from the reward-average route's reward tables.

Reference and sampling are distinct (Section 4): every loss is written in the log-ratio
``rho = log pi - log pi_ref`` (Eq. 15: ``h = beta (rho(y2) - rho(y1))``), with ``pi_ref`` uniform
or a given ``(n, n)`` table (``TrainConfig.reference``); the pairs ``(y1, y2)`` are drawn from the
sampling distribution ``D``, which is ``pi_ref`` (the paper's setting, the default with a given
reference) or uniform (``pairs_from_reference=False``). ``pi*`` depends on ``pi_ref`` and
``beta`` only; NBC on ``D`` only; DPO's limit on both.

One step costs a fixed number of small tensor operations whatever the number of runs: the
policy's forward and backward passes are hand-written
(:meth:`~socialpref.train.models.BatchedPolicy.forward_table`), autograd only differentiates the
methods' losses with respect to the log-ratio table, the fused Adam kernel is called directly, and
batches (cells and labels of every run) are gathered for many steps at once.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from socialpref._typing import FloatArray
from socialpref.errors import ParameterError
from socialpref.train.config import RunSpec, TrainConfig
from socialpref.train.device import require_torch, resolve_device
from socialpref.train.environment import SyntheticEnvironment
from socialpref.train.methods import LossInputs, TrainingMethod, get_method
from socialpref.train.metrics import normalise_rows
from socialpref.train.models import (
    BatchedJointMLP,
    BatchedJointModel,
    BatchedPolicy,
    FusedAdam,
    make_joint_model,
)
from socialpref.train.samplers import PreferencePairs
from socialpref.train.training_data import (
    TrainingData,
    cell_codes,
    needed_kinds,
    relabel_by_average,
    sample_training_data,
)

require_torch()

import torch  # noqa: E402
from torch import Tensor  # noqa: E402

_INDEX_CHUNK = 128  # training steps whose batch indices are drawn at once (a power of two)
_GATHER_BYTES = 64 * 2**20  # memory budget of the cells and labels gathered ahead of the steps

ProgressFn = Callable[[int, int], None]


@dataclass(frozen=True)
class TrainOutput:
    """Raw output of :func:`train_batched`.

    Attributes
    ----------
    runs : list of RunSpec
    policies : ndarray, shape (n_runs, n, n)
        Learned ``pi(y | x)`` per run (estimators such as NBC: scores normalised per prompt).
    scores : ndarray, shape (n_runs, n, n)
        ``log pi`` for trained runs; the raw estimate (NBC: win rates) for estimators.
    loss_steps : ndarray
        Steps at which the losses were recorded.
    losses : ndarray, shape (n_runs, len(loss_steps))
        Per-run training loss (NaN for estimators).
    sampling_s, training_s : float
        Wall-clock seconds spent sampling data and training.
    device : str
    joint_variance : ndarray, shape (n_seeds, n, n, n), or None
        With a method that needs the joint-likelihood model (``corrected``): the trained J's
        estimate of ``Var_u[sigma]`` (Lemma 5.3) for every prompt ``x`` and pair ``(a, b)``, per
        seed in ``config.seeds`` order; else None.
    """

    runs: list[RunSpec]
    policies: FloatArray
    scores: FloatArray
    loss_steps: FloatArray
    losses: FloatArray
    sampling_s: float
    training_s: float
    device: str
    joint_variance: FloatArray | None = None


@dataclass
class _Group:
    """The runs of one method: their rows in the stacked policy and their seeds' rows."""

    method: TrainingMethod
    runs: Tensor  # (G,) rows in the stacked policy
    seeds: Tensor  # (G,) position of each run's seed in config.seeds
    offsets: Tensor  # (G, 1) offset of each run's table in the flat log-ratio table
    alpha: Tensor | None  # (G, 1)
    first: Tensor  # rows (within the group) of the first run of each distinct seed
    seed_of_run: Tensor  # (G,) position of each run's seed among the distinct ones
    ahead: tuple[Tensor, Tensor, Tensor] | None = None  # cells 1, 2 (+offsets), labels, (L, G, B)


def train_batched(
    env: SyntheticEnvironment,
    config: TrainConfig,
    device: str | torch.device = "auto",
    progress: ProgressFn | None = None,
) -> TrainOutput:
    """Train every run of ``config`` at once on one device.

    Parameters
    ----------
    env : SyntheticEnvironment
    config : TrainConfig
        ``config.beta`` (when set) replaces ``env.beta``; ``config.reference`` is ``pi_ref``
        (uniform when None) and ``config.sampling_table`` the distribution of the pairs.
    device : {"auto", "cpu", "cuda"} or torch.device
    progress : callable(done, total) or None
        Called every few steps (the CLI draws a progress bar with it).

    Returns
    -------
    TrainOutput

    Raises
    ------
    ParameterError
        If the reference table is not ``(env.n, env.n)``, or a method that assumes equally
        represented types (Prop. 6.1, B.3) meets unequal type weights.
    """
    env = config.resolve_environment(env)
    methods = {m: get_method(m) for m in config.methods}
    equal_only = [m for m, spec in methods.items() if spec.equal_type_weights]
    if equal_only and float(env.weights.max() - env.weights.min()) > 1e-12:
        # Prop. 6.1 / B.3 assume equally represented user types: on unanimous rows they recover
        # the *unweighted* average reward, not the p(u)-weighted one that pi* uses.
        raise ParameterError(
            f"The methods {equal_only} assume equally represented user types (Prop. 6.1, B.3). "
            f"Got type_weights={env.weights.tolist()}; use equal weights or 'reward-average'."
        )
    dev = resolve_device(device)
    runs = config.runs()
    n = env.n
    t0 = time.perf_counter()
    data = sample_training_data(env, config)
    seed_pos = {s: i for i, s in enumerate(config.seeds)}
    sampling_s = time.perf_counter() - t0

    t1 = time.perf_counter()
    trained = [i for i, r in enumerate(runs) if methods[r.method].trained]
    total = config.steps + (config.n_reward_steps if "relabelled" in needed_kinds(config) else 0)
    done = 0
    if "relabelled" in needed_kinds(config):
        relabel_by_average(env, config, data, dev)
        done = config.n_reward_steps
        if progress:
            progress(done, total)

    policies = np.zeros((len(runs), n, n))
    scores = np.zeros((len(runs), n, n))
    loss_steps: list[int] = []
    losses = np.full((len(runs), 0), np.nan)
    joint_var = None
    if trained:
        result = _train(
            env,
            config,
            [runs[i] for i in trained],
            data,
            dev,
            lambda d: progress(done + d, total) if progress else None,
        )
        final, trained_losses, loss_steps, joint_var = result
        losses = np.full((len(runs), len(loss_steps)), np.nan)
        losses[trained] = trained_losses
        for k, i in enumerate(trained):
            scores[i] = final[k]
            policies[i] = np.exp(final[k])
    training_s = time.perf_counter() - t1

    for i, r in enumerate(runs):
        spec = methods[r.method]
        if spec.estimate is not None:
            assert spec.data is not None
            estimate = spec.estimate(data.sets[spec.data][seed_pos[r.seed]], n)
            scores[i] = estimate.double().cpu().numpy()
            policies[i] = normalise_rows(scores[i])
    return TrainOutput(
        runs=runs,
        policies=policies,
        scores=scores,
        loss_steps=np.asarray(loss_steps, dtype=np.float64),
        losses=losses,
        sampling_s=sampling_s,
        training_s=training_s,
        device=str(dev),
        joint_variance=joint_var,
    )


def _flat(pairs: list[PreferencePairs], n: int, dev: torch.device) -> tuple[Tensor, ...]:
    """Cells and labels of every seed, concatenated: row ``i`` of seed ``k`` is ``k * N + i``."""
    c1 = torch.cat([cell_codes(p, n)[0] for p in pairs]).to(dev)
    c2 = torch.cat([cell_codes(p, n)[1] for p in pairs]).to(dev)
    return c1, c2, torch.cat([p.labels for p in pairs]).to(dev)


def _take(values: Tensor, rows: Tensor) -> Tensor:
    """``values[rows]`` along the first axis for an index array of any shape."""
    return values.index_select(0, rows.reshape(-1)).view(*rows.shape, *values.shape[1:])


def _train(
    env: SyntheticEnvironment,
    config: TrainConfig,
    specs: list[RunSpec],
    data: TrainingData,
    dev: torch.device,
    progress: Callable[[int], None],
) -> tuple[FloatArray, FloatArray, list[int], FloatArray | None]:
    """The optimisation loop over the trained runs ``specs``: final ``log pi`` per run
    ``(R, n, n)``, the recorded losses ``(R, T)``, their steps and J's variance table."""
    n, batch = env.n, config.batch_size
    seed_pos = {s: i for i, s in enumerate(config.seeds)}
    ref = config.reference_table
    # log pi_ref: the policy's fixed logit offset (it starts at pi_ref) and the baseline of every
    # log-ratio. None for the uniform reference, whose constant cancels (Eq. 15).
    log_ref = None if ref is None else torch.as_tensor(np.log(ref), dtype=torch.float32).to(dev)
    # log pi_ref - log D per cell, flat, for losses that reweight the pairs (None where D = pi_ref:
    # the uniform reference, or pairs drawn from the given one; else D is uniform).
    sampling_ratio = None
    if ref is not None and not config.draws_from_reference:
        sampling_ratio = torch.as_tensor(np.log(ref * n).reshape(-1), dtype=torch.float32).to(dev)
    policy = BatchedPolicy(
        n, [r.seed for r in specs], config.policy, config.hidden, config.layers, log_ref
    ).to(dev)
    opt = FusedAdam(policy.parameters(), config.lr)

    groups: list[_Group] = []
    for name in config.methods:
        idx = [k for k, r in enumerate(specs) if r.method == name]
        if not idx:
            continue
        method = get_method(name)
        rows = torch.tensor(idx, device=dev)
        alpha = None
        if method.uses_alpha:
            alpha = torch.tensor([specs[k].alpha for k in idx], device=dev, dtype=torch.float32)[
                :, None
            ]
        seed_list = [seed_pos[specs[k].seed] for k in idx]
        distinct = list(dict.fromkeys(seed_list))
        first = torch.tensor([seed_list.index(s) for s in distinct], device=dev)
        seed_of_run = torch.tensor([distinct.index(s) for s in seed_list], device=dev)
        seeds = torch.tensor(seed_list, device=dev)
        offsets = (rows * n * n)[:, None]
        groups.append(_Group(method, rows, seeds, offsets, alpha, first, seed_of_run))
    sources = {
        kind: _flat(data.sets[kind], n, dev)
        for kind in {g.method.data for g in groups if g.method.data is not None}
    }
    order = torch.cat([g.runs for g in groups])  # group order -> stacked policy rows

    joint: BatchedJointModel | BatchedJointMLP | None = None
    joint_opt = None
    paired: tuple[Tensor, ...] = ()
    if any(g.method.needs_joint for g in groups):
        joint = make_joint_model(
            config.joint,
            n,
            list(config.seeds),
            latent=config.joint_latent,
            hidden=config.joint_hidden,
            layers=config.joint_layers,
        ).to(dev)
        joint_opt = FusedAdam(joint.parameters(), config.joint_lr)
        paired = _flat([p.first for p in data.paired], n, dev) + _flat(
            [p.second for p in data.paired], n, dev
        )

    # Cells and labels are gathered `ahead` steps at a time, within a memory budget.
    per_step = sum(
        len(g.runs) * batch * (16 + 4 * sources[g.method.data][2][0].numel())
        for g in groups
        if g.method.data is not None
    ) + (len(config.seeds) * batch * 40 if joint is not None else 0)
    # A power of two, so that gathered blocks never straddle two chunks of batch indices.
    ahead = 1 << int(np.log2(max(1, min(_INDEX_CHUNK, _GATHER_BYTES // max(per_step, 1)))))
    gens = [torch.Generator().manual_seed(4 * s + 3) for s in config.seeds]
    n_rows = config.n_pairs
    seed_offsets = (torch.arange(len(config.seeds), device=dev) * n_rows)[:, None]
    beta = env.beta
    losses_log: list[Tensor] = []
    loss_steps: list[int] = []
    joint_ahead: tuple[Tensor, ...] = ()
    chunk = torch.empty(0)
    for step in range(config.steps):
        if step % _INDEX_CHUNK == 0:
            size = min(_INDEX_CHUNK, config.steps - step)
            chunk = torch.stack(
                [torch.randint(n_rows, (size, batch), generator=g) for g in gens], dim=1
            ).to(dev)
            chunk = chunk + seed_offsets  # flat row numbers, (size, n_seeds, B)
        if step % ahead == 0:
            start = step % _INDEX_CHUNK
            block = chunk[start : start + ahead]  # (L, n_seeds, B)
            for g in groups:
                if g.method.data is not None:
                    c1, c2, lab = sources[g.method.data]
                    rows = block.index_select(1, g.seeds)  # (L, G, B)
                    g.ahead = (
                        _take(c1, rows) + g.offsets,
                        _take(c2, rows) + g.offsets,
                        _take(lab, rows),
                    )
            if joint is not None:
                pa1, pa2, oa, pb1, pb2, ob = (_take(t, block) for t in paired)
                joint_ahead = (pa1, pa2, pb1, pb2, oa * ob)
        k = step % ahead

        log_pi, cache = policy.forward_table()
        rho = log_pi if log_ref is None else log_pi - log_ref  # Eq. 15's log-ratio
        table = rho.reshape(-1)
        leaf: Tensor | None = None  # the table as an autograd leaf, for losses without `grad`
        grad = torch.zeros_like(table)
        logging = step % config.log_every == 0 or step == config.steps - 1
        per_run: list[Tensor] = []
        autograd_losses: list[Tensor] = []
        for g in groups:
            inputs = _inputs(g, table, k, step, batch, n, beta, config, env, joint, sampling_ratio)
            pair = g.method.grad(inputs) if g.method.grad is not None else None
            if pair is not None:
                assert g.ahead is not None
                grad.index_add_(0, g.ahead[0][k].reshape(-1), pair[0].reshape(-1), alpha=1 / batch)
                grad.index_add_(0, g.ahead[1][k].reshape(-1), pair[1].reshape(-1), alpha=1 / batch)
                if logging:
                    with torch.no_grad():
                        per_run.append(_mean_per_run(g.method.loss(inputs), len(g.runs)))  # type: ignore[misc]
                continue
            if leaf is None:
                leaf = table.detach().requires_grad_()
            inputs = _inputs(g, leaf, k, step, batch, n, beta, config, env, joint, sampling_ratio)
            loss = _mean_per_run(g.method.loss(inputs), len(g.runs))  # type: ignore[misc]
            autograd_losses.append(loss.sum())
            per_run.append(loss.detach())
        if leaf is not None:
            grad += torch.autograd.grad(torch.stack(autograd_losses).sum(), leaf)[0]
        opt.step(policy.backward_table(grad.view(-1, n, n), log_pi, cache))
        if joint is not None and joint_opt is not None:
            # The joint-likelihood model trains alongside on paired data (Lemma 5.3), one
            # model per seed (row k of J follows config.seeds).
            a1, a2, b1, b2, target = (t[k] for t in joint_ahead)
            joint_opt.step(joint.loss_and_grads(a1, a2, b1, b2, target)[1])
        if logging:
            logged = torch.empty(len(order), device=dev)
            logged[order] = torch.cat(per_run)
            losses_log.append(logged)
            loss_steps.append(step)
        if step % 50 == 49 or step == config.steps - 1:
            progress(step + 1)

    joint_var = None
    with torch.no_grad():
        final = policy.forward_table()[0].double().cpu().numpy()
        if joint is not None:
            joint_var = _variance_table(joint, n, len(config.seeds), dev)
    trained_losses = torch.stack(losses_log, dim=1).double().cpu().numpy()
    return final, trained_losses, loss_steps, joint_var


def _mean_per_run(loss: Tensor, runs: int) -> Tensor:
    """A method's loss averaged over everything but its leading run axis: shape ``(G,)``."""
    return loss.reshape(runs, -1).mean(dim=1)


def _inputs(
    g: _Group,
    table: Tensor,
    k: int,
    step: int,
    batch: int,
    n: int,
    beta: float,
    config: TrainConfig,
    env: SyntheticEnvironment,
    joint: BatchedJointModel | BatchedJointMLP | None,
    sampling_ratio: Tensor | None = None,
) -> LossInputs:
    """What group ``g``'s loss sees at this step (``k``: the step within the gathered block)."""
    rho1 = rho2 = labels = None
    variance = None
    log_sampling_ratio = None
    if g.ahead is not None:
        i1, i2, lab_all = g.ahead
        size_g = len(g.runs)
        rho1 = table.index_select(0, i1[k].reshape(-1)).view(size_g, batch)
        rho2 = table.index_select(0, i2[k].reshape(-1)).view(size_g, batch)
        labels = lab_all[k]
        if g.method.needs_joint and joint is not None:
            variance = _variance_fn(joint, i1[k], i2[k], g)
        if sampling_ratio is not None:
            log_sampling_ratio = _sampling_ratio_fn(sampling_ratio, i1[k], i2[k], g)
    return LossInputs(
        rho1=rho1,
        rho2=rho2,
        labels=labels,
        alpha=g.alpha,
        beta=beta,
        step=step,
        config=config,
        env=env,
        variance=variance,
        table=table.view(-1, n, n),
        runs=g.runs,
        log_sampling_ratio=log_sampling_ratio,
    )


def _sampling_ratio_fn(
    ratio: Tensor, index_a: Tensor, index_b: Tensor, g: _Group
) -> Callable[[], tuple[Tensor, Tensor]]:
    """``log pi_ref - log D`` at the cells of group ``g``'s pairs (``index_*``: rows of the flat
    log-ratio table, whose run offsets are removed), computed when the loss asks for it."""

    def gather() -> tuple[Tensor, Tensor]:
        return _take(ratio, index_a - g.offsets), _take(ratio, index_b - g.offsets)

    return gather


def _variance_fn(
    joint: BatchedJointModel | BatchedJointMLP, index_a: Tensor, index_b: Tensor, g: _Group
) -> Callable[[], Tensor]:
    """``Var_u[sigma]`` of each pair of group ``g`` from J (``index_*``: rows of the flat
    log-ratio table), computed when the loss asks for it, detached. Runs of one seed share their
    batch, so J is evaluated once per distinct seed and the result repeated."""

    def variance() -> Tensor:
        with torch.no_grad():
            offsets = g.offsets.index_select(0, g.first)
            cells_a = index_a.index_select(0, g.first) - offsets
            cells_b = index_b.index_select(0, g.first) - offsets
            per_seed = joint.variance(cells_a, cells_b, g.seeds.index_select(0, g.first))
            return per_seed.index_select(0, g.seed_of_run)

    return variance


def _variance_table(
    joint: BatchedJointModel | BatchedJointMLP, n: int, n_models: int, dev: torch.device
) -> FloatArray:
    """``Var_u[sigma]`` from each stacked J for every ``(x, a, b)``: shape ``(n_models, n, n, n)``
    (one prompt at a time, to bound memory)."""
    a, b = torch.meshgrid(torch.arange(n, device=dev), torch.arange(n, device=dev), indexing="ij")
    out = np.empty((n_models, n, n, n))
    for x in range(n):
        cell_a = (x * n + a).reshape(1, -1).expand(n_models, -1)
        cell_b = (x * n + b).reshape(1, -1).expand(n_models, -1)
        out[:, x] = joint.variance(cell_a, cell_b).double().cpu().numpy().reshape(n_models, n, n)
    return out
