"""CPU benchmark: one paper-default DPO run end to end (Section 7.2) against the authors' code.

Baseline (hard-coded, not re-run here): the authors' reference implementation measured on a
2-core CPU took about 160 s to sample 500,000 preference pairs (320 us per pair, per-element
Python loops) and 58 s for 10,000 training steps (5.8 ms per step): 218 s end to end
(``shared/notes/reference-facts.md`` section 2).

Measured here, in one process: (1) a straightforward per-sample Python-loop sampler on a small
slice, to show the sampling ratio on this machine honestly; (2) socialpref's vectorised sampler
and batched trainer on the full paper settings (500k pairs, 10k steps, batch 1024, MLP 2 x 15
tanh, Adam lr 1e-3), end to end.

    PYTHONPATH=. .venv/bin/python benchmarks/bench_train_cpu.py [--threads 1] [--smoke]
"""

from __future__ import annotations

import argparse
import math
import random
import time

AUTHORS_SAMPLING_S = 160.0  # authors' code, 2-core CPU, 500k pairs (reference-facts.md)
AUTHORS_TRAINING_S = 58.0  # authors' code, 2-core CPU, 10k DPO steps (reference-facts.md)


def loop_sampler(env, n_pairs: int, seed: int = 0) -> list[tuple[int, int, int, int]]:
    """A straightforward per-sample sampler: Python loops, one pair at a time (the baseline style)."""
    rng = random.Random(seed)
    out = []
    for _ in range(n_pairs):
        x, y1, y2 = rng.randrange(env.n), rng.randrange(env.n), rng.randrange(env.n)
        k = rng.choices(range(env.n_types), weights=list(env.weights))[0]
        rewards = []
        for y in (y1, y2):
            target = (x + env.shifts[k]) % env.n
            d = abs(y - target) % env.n
            d = min(d, env.n - d)
            rewards.append(env.scales[k] * max(0.0, 1.0 - env.rates[k] * d))
        p = 1.0 / (1.0 + math.exp(-(rewards[1] - rewards[0])))
        out.append((x, y1, y2, int(rng.random() < p)))
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--threads", type=int, default=1, help="torch CPU threads (1 is fastest here)"
    )
    parser.add_argument("--smoke", action="store_true", help="tiny sizes, to check the script runs")
    args = parser.parse_args()

    import torch

    from socialpref.train import SyntheticEnvironment, TrainConfig, sample_anonymous, train_batched

    torch.set_num_threads(args.threads)
    env = SyntheticEnvironment()
    pairs, steps, slice_n = (5_000, 50, 2_000) if args.smoke else (500_000, 10_000, 20_000)

    start = time.perf_counter()
    loop_sampler(env, slice_n)
    loop_per_pair = (time.perf_counter() - start) / slice_n
    sample_anonymous(env, 1000, generator=0)  # warm-up
    start = time.perf_counter()
    sample_anonymous(env, pairs, generator=0)
    vec_s = time.perf_counter() - start
    print(
        f"python-loop sampler: {loop_per_pair * 1e6:.1f} us/pair on {slice_n} pairs "
        f"-> {loop_per_pair * pairs:.2f} s for {pairs} pairs (extrapolated)"
    )
    print(
        f"vectorised sampler:  {vec_s * 1e6 / pairs:.3f} us/pair, {vec_s:.3f} s for {pairs} pairs "
        f"-> {loop_per_pair * pairs / vec_s:.0f}x the loop sampler on this machine"
    )

    config = TrainConfig(methods=("dpo",), seeds=(0,), n_pairs=pairs, steps=steps, batch_size=1024)
    start = time.perf_counter()
    out = train_batched(env, config, "cpu")
    total = time.perf_counter() - start
    baseline = AUTHORS_SAMPLING_S + AUTHORS_TRAINING_S
    scale = (
        1.0
        if not args.smoke
        else (pairs / 500_000 * AUTHORS_SAMPLING_S + steps / 10_000 * AUTHORS_TRAINING_S) / baseline
    )
    print(
        f"socialpref DPO run ({pairs} pairs, {steps} steps, batch 1024, {args.threads} thread(s)): "
        f"sampling {out.sampling_s:.2f} s, training {out.training_s:.2f} s "
        f"({out.training_s / steps * 1e3:.2f} ms/step), end to end {total:.2f} s"
    )
    print(
        f"authors' code (hard-coded baseline, 2-core CPU): sampling {AUTHORS_SAMPLING_S:.0f} s, "
        f"training {AUTHORS_TRAINING_S:.0f} s, total {baseline:.0f} s"
    )
    print(
        f"end-to-end speed-up vs the authors' figures: {baseline * scale / total:.1f}x "
        f"(sampling {AUTHORS_SAMPLING_S * (pairs / 500_000) / out.sampling_s:.0f}x, "
        f"training {AUTHORS_TRAINING_S * (steps / 10_000) / out.training_s:.1f}x)"
        + (" [smoke: baseline scaled to these sizes]" if args.smoke else "")
    )


if __name__ == "__main__":
    main()
