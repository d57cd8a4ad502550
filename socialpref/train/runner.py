"""Batched training of many runs (seeds x methods x alphas) on the synthetic environment.

All runs share one device and one optimiser step: the policies are one stacked
:class:`~socialpref.train.models.BatchedPolicy`, each run's loss is a mean over its own batch
and the total is their sum, so runs stay independent (Adam is element-wise). Runs with the same
seed share their data set, their batches and their initial weights (common random numbers), so
methods are compared on equal terms, and a run's result does not depend on the other runs.

Methods: ``dpo``, ``ipo`` (anonymous data); ``corrected`` (first-order corrected DPO, Eq. 14-16,
with a joint-likelihood model trained on paired data alongside and switched on after the
warm-up); ``consistent`` (Prop. 6.1) and ``consistent-b3`` (Prop. B.3) on all-types data;
``reward-average`` (Section 6's indirect route: per-type BT reward tables fitted on all-types
data, pairs relabelled by BT on their average, then DPO); ``nbc`` (tabular win rates, no training).

Reference and sampling are distinct (Section 4): every loss is written in the log-ratio
``rho = log pi - log pi_ref`` (Eq. 15: ``h = beta (rho(y2) - rho(y1))``), with ``pi_ref`` uniform
or a given ``(n, n)`` table (``TrainConfig.reference``); the pairs ``(y1, y2)`` are drawn from the
sampling distribution ``D``, which is ``pi_ref`` (the paper's setting, the default with a given
reference) or uniform (``pairs_from_reference=False``). ``pi*`` depends on ``pi_ref`` and
``beta`` only; NBC on ``D`` only; DPO's limit on both.

The settings are :class:`~socialpref.train.config.TrainConfig`; each seed's data sets and the
reward-average relabelling come from :mod:`socialpref.train.training_data`; the exact
infinite-data optimum of the corrected loss is in :mod:`socialpref.train.limits`.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

from socialpref._typing import FloatArray
from socialpref.train.config import ANONYMOUS_METHODS, RunSpec, TrainConfig
from socialpref.train.device import require_torch, resolve_device
from socialpref.train.environment import SyntheticEnvironment
from socialpref.train.losses import b3_loss, consistent_loss, corrected_dpo_loss, dpo_loss, ipo_loss
from socialpref.train.models import BatchedPolicy, fused_adam, make_joint_model
from socialpref.train.samplers import PreferencePairs
from socialpref.train.training_data import cell_codes, fit_reward_average, sample_training_data

torch = require_torch()

_CHUNK = 128  # training steps whose batch indices are drawn at once

ProgressFn = Callable[[int, int], None]


@dataclass(frozen=True)
class TrainOutput:
    """Raw output of :func:`train_batched`.

    Attributes
    ----------
    runs : list of RunSpec
    policies : ndarray, shape (n_runs, n, n)
        Learned ``pi(y | x)`` per run (NBC runs: win rates normalised per prompt).
    scores : ndarray, shape (n_runs, n, n)
        ``log pi`` for trained runs; the raw win rates for NBC runs.
    loss_steps : ndarray
        Steps at which the losses were recorded.
    losses : ndarray, shape (n_runs, len(loss_steps))
        Per-run training loss (NaN for NBC runs).
    sampling_s, training_s : float
        Wall-clock seconds spent sampling data and training.
    device : str
    joint_variance : ndarray, shape (n_seeds, n, n, n), or None
        With ``corrected``: the trained J's estimate of ``Var_u[sigma]`` (Lemma 5.3) for every
        prompt ``x`` and pair ``(a, b)``, per seed in ``config.seeds`` order; else None.
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


def nbc_win_rates(pairs: PreferencePairs, n: int) -> Any:
    """The tabular NBC estimator: win rate of each response per prompt, shape ``(n, n)``.

    ``wins(x, y) / appearances(x, y)`` over anonymous pairs estimates NBC(y | x) of Eq. (13) under
    the sampling distribution ``D`` the pairs were drawn from, whatever it is (each appearance of
    ``y`` meets an independent alternative ``y' ~ D(. | x)``; a pair ``(y, y)`` counts one win in two appearances: the diagonal
    term ``sigma(0) = 1/2``). Cells never seen get 1/2.
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


def train_batched(
    env: SyntheticEnvironment,
    config: TrainConfig,
    device: Any = "auto",
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
    ValueError
        If the reference table is not ``(env.n, env.n)``, or consistent losses meet unequal
        type weights.
    """
    env = config.resolve_environment(env)
    consistent = [m for m in config.methods if m in ("consistent", "consistent-b3")]
    if consistent and float(env.weights.max() - env.weights.min()) > 1e-12:
        # Prop. 6.1 / B.3 assume equally represented types: on unanimous rows they recover the
        # *unweighted* average reward, not the p(u)-weighted one that pi* uses.
        raise ValueError(
            f"The methods {consistent} assume equally represented user types (Prop. 6.1, B.3). "
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
    trained = [i for i, r in enumerate(runs) if r.method != "nbc"]
    specs = [runs[i] for i in trained]
    total = config.steps + (config.n_reward_steps if "reward-average" in config.methods else 0)
    done = 0

    relabelled = None
    if "reward-average" in config.methods:
        relabelled = fit_reward_average(env, config, data.all_types, dev)
        done = config.n_reward_steps
        if progress:
            progress(done, total)

    def flat(pairs: list[PreferencePairs], labels: Any = None) -> tuple[Any, Any, Any]:
        """Cells and labels of every seed, concatenated: row ``i`` of seed ``k`` is ``k * N + i``."""
        c1 = torch.cat([cell_codes(p, n)[0] for p in pairs]).to(dev)
        c2 = torch.cat([cell_codes(p, n)[1] for p in pairs]).to(dev)
        lab = torch.cat([p.labels for p in pairs]).to(dev) if labels is None else labels.reshape(-1)
        return c1, c2, lab

    sources: dict[str, Any] = {}
    if data.anonymous:
        sources["anonymous"] = flat(data.anonymous)
    if data.all_types:
        sources["all-types"] = flat(data.all_types)
    if relabelled is not None:
        sources["relabelled"] = flat(data.all_types, relabelled)
    if data.paired:
        sources["paired"] = flat([p.first for p in data.paired]) + flat(
            [p.second for p in data.paired]
        )

    losses_log: list[Any] = []
    loss_steps: list[int] = []
    joint_var = None
    policies = np.zeros((len(runs), n, n))
    scores = np.zeros((len(runs), n, n))
    if specs:
        ref = config.reference_table
        # log pi_ref: the policy's fixed logit offset (it starts at pi_ref) and the baseline of
        # every log-ratio. None for the uniform reference, whose constant cancels (Eq. 15).
        log_ref = None if ref is None else torch.as_tensor(np.log(ref), dtype=torch.float32).to(dev)
        policy = BatchedPolicy(
            n, [r.seed for r in specs], config.policy, config.hidden, config.layers, log_ref
        ).to(dev)
        opt = fused_adam(policy.parameters(), config.lr)
        run_seed = torch.tensor([seed_pos[r.seed] for r in specs], device=dev)
        groups: list[tuple[str, Any, Any, Any]] = []
        for m in config.methods:
            idx = [k for k, r in enumerate(specs) if r.method == m]
            if idx:
                gi = torch.tensor(idx, device=dev)
                # Offsets into the flat log-probability table (R * n * n) and into the data.
                groups.append((m, gi, (gi * n * n)[:, None], run_seed[gi]))
        joint = None
        if "corrected" in config.methods:
            joint = make_joint_model(
                config.joint,
                n,
                list(config.seeds),
                latent=config.joint_latent,
                hidden=config.joint_hidden,
                layers=config.joint_layers,
            ).to(dev)
            opt_j = fused_adam(joint.parameters(), config.joint_lr)
            alpha = torch.tensor(
                [r.alpha for r in specs if r.method == "corrected"], device=dev, dtype=torch.float32
            )[:, None]
        gens = [torch.Generator().manual_seed(4 * s + 3) for s in config.seeds]
        n_rows = config.n_pairs
        seed_offsets = (torch.arange(len(config.seeds), device=dev) * n_rows)[:, None]
        for step in range(config.steps):
            if step % _CHUNK == 0:
                size = min(_CHUNK, config.steps - step)
                chunk = torch.stack(
                    [torch.randint(n_rows, (size, config.batch_size), generator=g) for g in gens],
                    dim=1,
                ).to(dev)
                chunk = chunk + seed_offsets  # flat row numbers, (size, n_seeds, B)
            batch = chunk[step % _CHUNK]
            logp = policy.log_probs()
            if log_ref is not None:
                logp = logp - log_ref  # rho = log pi - log pi_ref (Eq. 15)
            logp = logp.reshape(-1)
            per_run = []
            for m, gi, lp_offset, gs in groups:
                rows = batch[gs].reshape(-1)
                size_g = gs.shape[0]
                key = (
                    "anonymous"
                    if m in ANONYMOUS_METHODS
                    else "relabelled"
                    if m == "reward-average"
                    else "all-types"
                )
                c1_all, c2_all, lab_all = sources[key]
                c1 = c1_all.index_select(0, rows).view(size_g, -1)
                c2 = c2_all.index_select(0, rows).view(size_g, -1)
                lab = lab_all.index_select(0, rows).view(
                    size_g, config.batch_size, *lab_all.shape[1:]
                )
                # Log-ratios rho(y1), rho(y2) (a uniform reference's constant cancels in margins).
                lp1 = logp.index_select(0, (lp_offset + c1).reshape(-1)).view(size_g, -1)
                lp2 = logp.index_select(0, (lp_offset + c2).reshape(-1)).view(size_g, -1)
                if m in ("consistent", "consistent-b3"):
                    fn = consistent_loss if m == "consistent" else b3_loss
                    loss = fn(lp1, lp2, lab, env.beta)
                else:
                    win = lab > 0.5
                    chosen, rejected = torch.where(win, lp2, lp1), torch.where(win, lp1, lp2)
                    if m == "ipo":
                        loss = ipo_loss(chosen, rejected, env.beta)
                    elif m == "corrected" and step >= config.warmup:
                        var = joint.variance(c1, c2, gs)  # type: ignore[union-attr]
                        loss = corrected_dpo_loss(
                            chosen,
                            rejected,
                            var.detach(),
                            alpha,
                            env.beta,
                            clamp=config.clamp,
                            eps=config.eps,
                        )
                    else:
                        loss = dpo_loss(chosen, rejected, env.beta)
                per_run.append((gi, loss.mean(dim=-1)))
            total_loss = sum(v.sum() for _, v in per_run)
            opt.zero_grad(set_to_none=True)
            total_loss.backward()
            opt.step()
            if joint is not None:
                # The joint-likelihood model trains alongside on paired data (Lemma 5.3), one
                # model per seed (row k of J follows config.seeds).
                rows = batch.reshape(-1)
                pa1, pa2, oa, pb1, pb2, ob = (
                    t.index_select(0, rows).view(batch.shape) for t in sources["paired"]
                )
                nll = joint.nll(pa1, pa2, pb1, pb2, oa * ob)
                opt_j.zero_grad(set_to_none=True)
                nll.mean(dim=-1).sum().backward()
                opt_j.step()
            if step % config.log_every == 0 or step == config.steps - 1:
                vec = torch.zeros(len(specs), device=dev)
                for gi, v in per_run:
                    vec[gi] = v.detach()
                losses_log.append(vec)
                loss_steps.append(step)
            if progress and (step % 50 == 49 or step == config.steps - 1):
                progress(done + step + 1, total)
        with torch.no_grad():
            final = policy.log_probs().double().cpu().numpy()
            if joint is not None:
                joint_var = _variance_table(joint, n, len(config.seeds), dev)
        for k, i in enumerate(trained):
            scores[i] = final[k]
            policies[i] = np.exp(final[k])
    training_s = time.perf_counter() - t1

    loss_arr = np.full((len(runs), len(loss_steps)), np.nan)
    if losses_log:
        trained_losses = torch.stack(losses_log, dim=1).double().cpu().numpy()
        loss_arr[trained] = trained_losses
    for i, r in enumerate(runs):
        if r.method == "nbc":
            rate = nbc_win_rates(data.anonymous[seed_pos[r.seed]], n).cpu().numpy()
            scores[i] = rate
            policies[i] = rate / rate.sum(axis=-1, keepdims=True)
    return TrainOutput(
        runs=runs,
        policies=policies,
        scores=scores,
        loss_steps=np.asarray(loss_steps, dtype=np.float64),
        losses=loss_arr,
        sampling_s=sampling_s,
        training_s=training_s,
        device=str(dev),
        joint_variance=joint_var,
    )


def _variance_table(joint: Any, n: int, n_models: int, dev: Any) -> FloatArray:
    """``Var_u[sigma]`` from each stacked J for every ``(x, a, b)``: shape ``(n_models, n, n, n)``
    (one prompt at a time, to bound memory)."""
    a, b = torch.meshgrid(torch.arange(n, device=dev), torch.arange(n, device=dev), indexing="ij")
    out = np.empty((n_models, n, n, n))
    for x in range(n):
        cell_a = (x * n + a).reshape(1, -1).expand(n_models, -1)
        cell_b = (x * n + b).reshape(1, -1).expand(n_models, -1)
        out[:, x] = joint.variance(cell_a, cell_b).double().cpu().numpy().reshape(n_models, n, n)
    return out
