"""CPU benchmark of synthetic training (Section 7.2): socialpref against two baselines, one process.

Every contender runs in this process, interleaved over ``--rounds`` rounds; the script prints each
time, and the median ratio with its range over the rounds. Nothing is a constant from elsewhere.

Contenders (paper settings unless ``--steps``/``--pairs`` say otherwise: 500,000 pairs, 10,000 Adam
steps, batch 1024, lr 1e-3, one-hot prompt -> 2 x 15 tanh MLP -> 40 logits, uniform reference):

- ``socialpref``: ``train_batched`` for one DPO run, and for the grid of Fig. 4 (``TrainConfig()``:
  5 seeds x DPO, corrected DPO at alpha = 1, 2, 4, the consistent loss of Prop. 6.1, NBC win
  rates) as one batched model.
- ``authors (port)``: the authors' code for Section 7.2 ported in its own style (a Python loop
  over pairs that samples each pair with per-element tensor calls through environment, reference
  policy and preference-model objects; a training step that calls the policy and the reference
  policy as ``torch.distributions.Categorical`` objects and steps ``torch.optim.Adam``; their
  per-step TensorBoard logger left out). It is timed at reduced size (``--authors-pairs`` pairs,
  ``--authors-steps`` steps) and the full-size time is **extrapolated** linearly (per pair and per
  step), and labelled so.
- ``plain PyTorch``: the trainer a competent user writes: ``nn.Sequential`` MLP on one-hot
  prompts, ``log_softmax`` + ``gather``, the DPO loss, ``torch.optim.Adam``, vectorised
  sampling; for the grid the same style for corrected DPO (a mixture joint-likelihood model
  trained alongside, as the paper) and the consistent loss, one run per configuration. Each
  method's plain run is timed once per round and summed over the grid's configurations (runs of
  one method cost the same whatever the seed or alpha).

    PYTHONPATH=. .venv/bin/python benchmarks/bench_train_cpu.py [--rounds 3] [--threads 1] [--smoke]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import torch
import torch.nn.functional as F
from torch import nn

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # the repository root: benchmarks

from benchmarks.claims import Claim, add_argument, record, write
from socialpref.train import SyntheticEnvironment, TrainConfig, train_batched

# ----------------------------------------------------------------------------------------------
# Baseline 1: the authors' code, ported in its style (objects, per-pair Python loop).
# ----------------------------------------------------------------------------------------------


class AuthorsShiftedEnv:
    """One user type: reward ``scale * max(0, 1 - rate * dist(action, state + shift))``."""

    def __init__(self, n: int, shift: int, rate: float, scale: float) -> None:
        self.n, self.shift, self.rate, self.scale = n, shift, rate, scale
        self.prior = torch.distributions.Categorical(probs=torch.ones((n,)))
        self.state = self.prior.sample()

    def reset(self) -> None:
        self.state = self.prior.sample()

    def reward(self, action: torch.Tensor) -> torch.Tensor:
        ss = (self.state + self.shift) % self.n
        dist = torch.minimum((action - ss) % self.n, (ss - action) % self.n)
        return self.scale * torch.clamp(1 - self.rate * dist, min=0.0)

    def step(self, actions: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        rews = torch.zeros_like(actions, dtype=torch.float)
        states = torch.zeros_like(actions, dtype=torch.long)
        shifts = torch.zeros_like(actions, dtype=torch.float)
        for i, action in enumerate(actions):
            rews[i] = self.reward(action)
            states[i] = self.state
            shifts[i] = self.shift
        self.reset()  # the state is fixed between the two actions, then redrawn
        return states, rews, shifts


class AuthorsMultiEnv:
    """Three types; each pair is labelled by one type drawn from a uniform prior."""

    def __init__(self, env: SyntheticEnvironment) -> None:
        self.envs = [
            AuthorsShiftedEnv(env.n, s, r, c)
            for s, r, c in zip(env.shifts, env.rates, env.scales, strict=True)
        ]
        self.type_prior = torch.distributions.Categorical(probs=torch.ones((len(self.envs),)))
        self.state = self.envs[0].state

    def step(self, actions: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        env = self.envs[self.type_prior.sample().item()]
        env.state = self.state
        out = env.step(actions)
        self.state = env.state
        return out


class AuthorsUniformPolicy(nn.Module):
    def __init__(self, n: int) -> None:
        super().__init__()
        self.n = n

    def forward(self, states: torch.Tensor) -> torch.distributions.Categorical:
        return torch.distributions.Categorical(probs=torch.ones((len(states), self.n)))

    def get_actions(self, states: torch.Tensor) -> torch.Tensor:
        return self(states).sample()


class AuthorsMLPPolicy(nn.Module):
    def __init__(self, n: int, layers: int = 2, size: int = 15) -> None:
        super().__init__()
        self.n = n
        mods: list[nn.Module] = []
        width = n
        for _ in range(layers):
            mods += [nn.Linear(width, size), nn.Tanh()]
            width = size
        mods += [nn.Linear(width, n), nn.Identity()]
        self.logits = nn.Sequential(*mods)

    def forward(self, states: torch.Tensor) -> torch.distributions.Categorical:
        one_hot = F.one_hot(states, num_classes=self.n).to(torch.float)
        return torch.distributions.Categorical(logits=self.logits(one_hot))


def authors_sample(env: AuthorsMultiEnv, ref: AuthorsUniformPolicy, n_pairs: int) -> tuple:
    """The authors' per-pair sampling loop (one pair, one annotator per iteration)."""
    states_n = torch.zeros((n_pairs,), dtype=torch.long)
    actions_1_n = torch.zeros((n_pairs,), dtype=torch.long)
    actions_2_n = torch.zeros((n_pairs,), dtype=torch.long)
    prefs_n = torch.zeros((n_pairs,), dtype=torch.long)
    us_n = torch.zeros((n_pairs,), dtype=torch.float)
    for i in range(n_pairs):
        states = torch.tensor([env.state, env.state])
        actions = ref.get_actions(states)
        _, rews, us = env.step(actions)
        prefs = torch.bernoulli(torch.sigmoid(rews[1:2] - rews[0:1])).to(torch.long)
        states_n[i] = states[0]
        actions_1_n[i] = actions[0]
        actions_2_n[i] = actions[1]
        prefs_n[i] = prefs[0]
        us_n[i] = us[0]
    return states_n, actions_1_n, actions_2_n, prefs_n, us_n


class AuthorsDPO:
    """The authors' DPO solver and offline trainer: a shuffled pass over the data set, one
    policy and reference-policy call per step, ``torch.optim.Adam``."""

    def __init__(self, data: tuple, n: int, batch_size: int, lr: float = 1e-3) -> None:
        self.data, self.batch_size = data, batch_size
        self.policy, self.ref = AuthorsMLPPolicy(n), AuthorsUniformPolicy(n)
        self.optimizer = torch.optim.Adam(self.policy.parameters(), lr=lr)
        self.size = len(data[0])
        self.order, self.head = torch.randperm(self.size), 0

    def train_one_step(self) -> float:
        idx = self.order[self.head : self.head + self.batch_size]
        self.head += len(idx)
        if self.head >= self.size - self.batch_size - 1:
            self.head, self.order = 0, torch.randperm(self.size)
        states, a1, a2, prefs, _ = (t[idx] for t in self.data)
        n = len(states)
        dist, ref_dist = self.policy(states), self.ref(states)
        actions = torch.concat([a1.unsqueeze(-1), a2.unsqueeze(-1)], dim=1)
        winners = actions[torch.arange(n), prefs]
        losers = actions[torch.arange(n), 1 - prefs]
        sigmoid = torch.sigmoid(
            (dist.log_prob(winners) - dist.log_prob(losers))
            - (ref_dist.log_prob(winners) - ref_dist.log_prob(losers))
        )
        loss = -torch.log(sigmoid).mean()
        self.optimizer.zero_grad()
        loss.backward()
        self.optimizer.step()
        return loss.item()


def time_authors(
    env: SyntheticEnvironment, n_pairs: int, n_steps: int, batch: int
) -> tuple[float, float]:
    """Seconds per pair of the authors' sampler and per step of their DPO trainer."""
    torch.manual_seed(0)
    authors_env, ref = AuthorsMultiEnv(env), AuthorsUniformPolicy(env.n)
    start = time.perf_counter()
    data = authors_sample(authors_env, ref, n_pairs)
    per_pair = (time.perf_counter() - start) / n_pairs
    trainer = AuthorsDPO(data, env.n, min(batch, n_pairs // 2))
    start = time.perf_counter()
    for _ in range(n_steps):
        trainer.train_one_step()
    return per_pair, (time.perf_counter() - start) / n_steps


# ----------------------------------------------------------------------------------------------
# Baseline 2: the plain PyTorch trainer a competent user writes.
# ----------------------------------------------------------------------------------------------


def plain_run(
    env: SyntheticEnvironment,
    method: str,
    n_pairs: int,
    steps: int,
    batch: int,
    alpha: float = 1.0,
    seed: int = 0,
) -> tuple[float, float]:
    """One run of ``method`` (dpo, corrected, consistent, nbc): (end-to-end s, training s)."""
    start = time.perf_counter()
    g = torch.Generator().manual_seed(seed)
    n, k = env.n, env.n_types
    rewards = torch.as_tensor(env.rewards(), dtype=torch.float32)  # (types, x, y)

    def draw(size: int) -> tuple[torch.Tensor, ...]:
        x = torch.randint(n, (size,), generator=g)
        return x, torch.randint(n, (size,), generator=g), torch.randint(n, (size,), generator=g)

    def label(u: torch.Tensor, x: torch.Tensor, y1: torch.Tensor, y2: torch.Tensor):
        p = torch.sigmoid(rewards[u, x, y2] - rewards[u, x, y1])
        return (torch.rand(p.shape, generator=g) < p).float()

    x, y1, y2 = draw(n_pairs)
    if method == "consistent":  # every type labels every pair
        types = torch.arange(k)[:, None]
        o = label(types, x[None], y1[None], y2[None]).T  # (N, k)
        sign = (o == 1).all(1).float() - (o == 0).all(1).float()
    else:
        u = torch.randint(k, (n_pairs,), generator=g)
        o = label(u, x, y1, y2)
    if method == "nbc":
        wins = torch.bincount(x * n + y2, weights=o, minlength=n * n) + torch.bincount(
            x * n + y1, weights=1 - o, minlength=n * n
        )
        seen = torch.bincount(x * n + y1, minlength=n * n) + torch.bincount(
            x * n + y2, minlength=n * n
        )
        (wins / seen.clamp_min(1)).reshape(n, n)
        return time.perf_counter() - start, 0.0
    if method == "corrected":  # paired data for the joint-likelihood model J
        pu = torch.randint(k, (n_pairs,), generator=g)
        pa, pb = draw(n_pairs), draw(n_pairs)
        target = label(pu, *pa) * label(pu, *pb)
        j_rewards = nn.Parameter(0.1 * torch.randn((3, n, n), generator=g))
        j_mix = nn.Parameter(torch.zeros(3))
        j_opt = torch.optim.Adam([j_rewards, j_mix], lr=1e-2)

    policy = nn.Sequential(
        nn.Linear(n, 15), nn.Tanh(), nn.Linear(15, 15), nn.Tanh(), nn.Linear(15, n)
    )
    opt = torch.optim.Adam(policy.parameters(), lr=1e-3)
    t_train = time.perf_counter()
    for step in range(steps):
        idx = torch.randint(n_pairs, (batch,), generator=g)
        logp = F.log_softmax(policy(F.one_hot(x[idx], n).float()), dim=-1)
        h = logp.gather(1, y2[idx, None])[:, 0] - logp.gather(1, y1[idx, None])[:, 0]
        if method == "consistent":
            s = sign[idx]
            loss = (-F.logsigmoid(k * s * h) * s.abs()).mean()
        else:
            s = 2 * o[idx] - 1  # +1 when y2 won
            if method == "corrected" and step >= 0.8 * steps:
                xb, a, b = x[idx], y1[idx], y2[idx]
                with torch.no_grad():  # Var_u[sigma] from J: J1 - (J1 + J2)^2
                    w = torch.softmax(j_mix, 0)[:, None]
                    sig = torch.sigmoid(j_rewards[:, xb, b] - j_rewards[:, xb, a])
                    j1, j2 = (w * sig * sig).sum(0), (w * sig * (1 - sig)).sum(0)
                    var = (j1 - (j1 + j2) ** 2).clamp_min(0)
                p = torch.sigmoid(s * h)
                corr = (alpha / 2 * (1 - 2 * p) * var / (p * (1 - p))).clamp(-0.1, 0.1)
                loss = -torch.log((p + corr).clamp_min(1e-6)).mean()
            else:
                loss = -F.logsigmoid(s * h).mean()
        opt.zero_grad()
        loss.backward()
        opt.step()
        if method == "corrected":
            j = torch.randint(n_pairs, (batch,), generator=g)
            log_w = torch.log_softmax(j_mix, 0)[:, None]
            (xa, a1, a2), (xb, b1, b2) = ((t[j] for t in pa), (t[j] for t in pb))
            d1 = j_rewards[:, xa, a2] - j_rewards[:, xa, a1]
            d2 = j_rewards[:, xb, b2] - j_rewards[:, xb, b1]
            log_j = torch.logsumexp(log_w + F.logsigmoid(d1) + F.logsigmoid(d2), 0)
            log_not = torch.log((-torch.expm1(log_j)).clamp_min(1e-12))
            nll = -(target[j] * log_j + (1 - target[j]) * log_not).mean()
            j_opt.zero_grad()
            nll.backward()
            j_opt.step()
    end = time.perf_counter()
    return end - start, end - t_train


# ----------------------------------------------------------------------------------------------


@dataclass
class Sizes:
    pairs: int
    steps: int
    batch: int
    authors_pairs: int
    authors_steps: int


def socialpref_run(env: SyntheticEnvironment, config: TrainConfig) -> tuple[float, float]:
    start = time.perf_counter()
    out = train_batched(env, config, "cpu")
    return time.perf_counter() - start, out.training_s


def summary(ratios: list[float]) -> str:
    return f"{statistics.median(ratios):.1f}x (range {min(ratios):.1f}-{max(ratios):.1f}x)"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--rounds", type=int, default=3, help="interleaved rounds (median of)")
    parser.add_argument("--pairs", type=int, default=500_000)
    parser.add_argument("--steps", type=int, default=10_000)
    parser.add_argument("--authors-pairs", type=int, default=2_000)
    parser.add_argument("--authors-steps", type=int, default=300)
    parser.add_argument("--threads", type=int, default=1, help="torch CPU threads")
    parser.add_argument("--smoke", action="store_true", help="tiny sizes, one round")
    add_argument(parser)
    args = parser.parse_args(argv)
    if args.smoke:
        args.rounds, args.pairs, args.steps = 1, 2_000, 10
        args.authors_pairs, args.authors_steps = 50, 3
    sizes = Sizes(args.pairs, args.steps, 1024, args.authors_pairs, args.authors_steps)
    torch.set_num_threads(args.threads)
    env = SyntheticEnvironment()
    single = TrainConfig(methods=("dpo",), seeds=(0,), n_pairs=sizes.pairs, steps=sizes.steps)
    grid = TrainConfig(n_pairs=sizes.pairs, steps=sizes.steps)  # Fig. 4's grid (the defaults)
    counts = {m: sum(r.method == m for r in grid.runs()) for m in grid.methods}
    n_trained = sum(c for m, c in counts.items() if m != "nbc")
    print(
        f"torch {torch.__version__}, {args.threads} thread(s); {sizes.pairs} pairs, {sizes.steps} steps, "
        f"batch {sizes.batch}; grid = {len(grid.runs())} configurations {counts}; {args.rounds} round(s)"
    )
    if not args.smoke:  # warm-up: first calls allocate and load kernels
        train_batched(env, TrainConfig(n_pairs=2_000, steps=5, seeds=(0,)), "cpu")
        for m in ("dpo", "corrected", "consistent"):
            plain_run(env, m, 2_000, 5, 64)

    rows: dict[str, list[float]] = {}
    ratios: dict[str, list[float]] = {}
    for r in range(args.rounds):
        ours_e2e, ours_train = socialpref_run(env, single)
        plain_e2e, plain_train = plain_run(
            env, "dpo", sizes.pairs, sizes.steps, sizes.batch, seed=r
        )
        per_pair, per_step = time_authors(
            env, sizes.authors_pairs, sizes.authors_steps, sizes.batch
        )
        authors_e2e = per_pair * sizes.pairs + per_step * sizes.steps
        grid_e2e, _ = socialpref_run(env, grid)
        plain_grid = 0.0
        for m, count in counts.items():
            plain_grid += (
                count * plain_run(env, m, sizes.pairs, sizes.steps, sizes.batch, seed=r)[0]
            )
        for key, value in (
            ("socialpref, 1 DPO run: end to end s", ours_e2e),
            ("socialpref, 1 DPO run: ms per step", ours_train / sizes.steps * 1e3),
            ("plain PyTorch, 1 DPO run: end to end s", plain_e2e),
            ("plain PyTorch, 1 DPO run: ms per step", plain_train / sizes.steps * 1e3),
            ("authors (port): us per pair sampled", per_pair * 1e6),
            ("authors (port): ms per step", per_step * 1e3),
            ("authors (port), 1 DPO run: end to end s (EXTRAPOLATED)", authors_e2e),
            ("socialpref, grid batched: end to end s", grid_e2e),
            ("plain PyTorch, grid one run per configuration: end to end s", plain_grid),
        ):
            rows.setdefault(key, []).append(value)
        for key, value in (
            ("1 DPO run, step: socialpref vs plain PyTorch", plain_train / ours_train),
            ("1 DPO run, end to end: socialpref vs plain PyTorch", plain_e2e / ours_e2e),
            ("1 DPO run, end to end: socialpref vs authors (EXTRAPOLATED)", authors_e2e / ours_e2e),
            ("1 DPO run, step: socialpref vs authors", per_step * sizes.steps / ours_train),
            ("grid, end to end: socialpref vs plain PyTorch per configuration", plain_grid / grid_e2e),
            ("grid, end to end: socialpref vs authors, DPO's cost per trained configuration (EXTRAPOLATED)",
             authors_e2e * n_trained / grid_e2e),
        ):  # fmt: skip
            ratios.setdefault(key, []).append(value)
        print(f"round {r + 1}: done", flush=True)
    print(
        f"\nauthors (port) timed on {sizes.authors_pairs} pairs and {sizes.authors_steps} steps; "
        f"their full-size figures are extrapolated linearly"
    )
    for key, values in rows.items():
        print(
            f"{key:62s} median {statistics.median(values):9.3f}  ({', '.join(f'{v:.3f}' for v in values)})"
        )
    print()
    for key, values in ratios.items():
        print(f"{key:75s} {summary(values)}")
    print("targets: grid >= 10x plain per configuration; single-run step >= 3x plain")
    run = f"{sizes.pairs:,} pairs, {sizes.steps:,} steps"
    grid_what = f"Fig. 4's grid ({len(grid.runs())} configurations; {run}), end to end"
    extrapolated = (
        f"EXTRAPOLATED from {sizes.authors_pairs:,} pairs and {sizes.authors_steps} steps"
    )
    per_step = [v / 1e3 for v in rows["socialpref, 1 DPO run: ms per step"]]
    for claim in (
        Claim.from_times(
            "synthetic training, one DPO run, time per step",
            "train_batched",
            per_step,
            "plain PyTorch trainer",
            [v / 1e3 for v in rows["plain PyTorch, 1 DPO run: ms per step"]],
            target=3.0,
        ),
        Claim.from_times(
            "synthetic training, one DPO run, time per step",
            "train_batched",
            per_step,
            "the authors' training step (port)",
            [v / 1e3 for v in rows["authors (port): ms per step"]],
        ),
        Claim.from_times(
            f"synthetic training, one DPO run ({run}), end to end",
            "train_batched",
            rows["socialpref, 1 DPO run: end to end s"],
            "plain PyTorch trainer",
            rows["plain PyTorch, 1 DPO run: end to end s"],
        ),
        Claim.from_times(
            f"synthetic training, one DPO run ({run}), end to end",
            "train_batched",
            rows["socialpref, 1 DPO run: end to end s"],
            "the authors' code (port)",
            rows["authors (port), 1 DPO run: end to end s (EXTRAPOLATED)"],
            note=f"the authors' time {extrapolated}",
        ),
        Claim.from_times(
            grid_what,
            "train_batched, one batched model",
            rows["socialpref, grid batched: end to end s"],
            "plain PyTorch trainer, one run per configuration",
            rows["plain PyTorch, grid one run per configuration: end to end s"],
            target=10.0,
        ),
        Claim.from_times(
            grid_what,
            "train_batched, one batched model",
            rows["socialpref, grid batched: end to end s"],
            "the authors' code (port): DPO's cost per trained configuration",
            [v * n_trained for v in rows["authors (port), 1 DPO run: end to end s (EXTRAPOLATED)"]],
            note=f"the authors' time {extrapolated}",
        ),
    ):
        record(claim)
    write(args.claims)
    return 0


if __name__ == "__main__":
    sys.exit(main())
