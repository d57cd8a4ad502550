"""GPU benchmark: one training run against 32+ runs batched as one model (Section 7.2 settings).

On CUDA: times (1) one paper-default DPO run, (2) 32 DPO runs (32 seeds) batched, (3) a mixed
batch of 40 runs (8 seeds x dpo, ipo, corrected alpha=1, consistent, consistent-b3), (4) the grid
of Fig. 4 (``TrainConfig()``: 5 seeds x dpo, corrected alpha = 1, 2, 4, consistent, nbc), each
with 500k pairs per seed, 10k steps, batch 1024, MLP 2 x 15 tanh; prints the times and ratios
(target: 30+ runs in at most 1.5x the time of one).

    PYTHONPATH=. python3 benchmarks/gpu_train.py            # on the GPU machine
    PYTHONPATH=. python3 benchmarks/gpu_train.py --smoke    # tiny sizes on CPU
"""

from __future__ import annotations

import argparse
import json
import time


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--smoke", action="store_true", help="tiny sizes on CPU")
    parser.add_argument("--steps", type=int, default=None, help="override the number of steps")
    args = parser.parse_args()

    import torch

    from socialpref.train import SyntheticEnvironment, TrainConfig, train_batched

    if args.smoke:
        device, pairs, steps = "cpu", 5_000, 40
        torch.set_num_threads(1)
    else:
        device, pairs, steps = "cuda", 500_000, 10_000
    steps = args.steps or steps
    env = SyntheticEnvironment()
    print(
        f"torch {torch.__version__}, device {device}"
        + (f" ({torch.cuda.get_device_name(0)})" if device == "cuda" else "")
    )
    warm = TrainConfig(
        methods=("dpo", "corrected"),
        seeds=(0,),
        n_pairs=2000,
        steps=20,
        batch_size=1024,
        warmup_steps=5,
    )
    train_batched(env, warm, device)  # CUDA context, kernels, allocator

    cases = [
        ("1 run (dpo)", TrainConfig(methods=("dpo",), seeds=(0,), n_pairs=pairs, steps=steps)),
        (
            "32 runs (dpo x 32 seeds)",
            TrainConfig(methods=("dpo",), seeds=tuple(range(32)), n_pairs=pairs, steps=steps),
        ),
        (
            "40 runs (5 methods x 8 seeds)",
            TrainConfig(
                methods=("dpo", "ipo", "corrected", "consistent", "consistent-b3"),
                alphas=(1.0,),
                seeds=tuple(range(8)),
                n_pairs=pairs,
                steps=steps,
            ),
        ),
        ("Fig. 4 grid (30 configurations)", TrainConfig(n_pairs=pairs, steps=steps)),
    ]
    report = []
    for name, config in cases:
        start = time.perf_counter()
        out = train_batched(env, config, device)
        total = time.perf_counter() - start
        row = {
            "case": name,
            "runs": len(out.runs),
            "sampling_s": round(out.sampling_s, 3),
            "training_s": round(out.training_s, 3),
            "total_s": round(total, 3),
            "ms_per_step": round(out.training_s / steps * 1e3, 3),
        }
        report.append(row)
        print(
            f"{name:32s} runs={row['runs']:3d} sampling {out.sampling_s:6.2f} s  training {out.training_s:7.2f} s "
            f"({row['ms_per_step']:.2f} ms/step)  total {total:7.2f} s",
            flush=True,
        )
    one = report[0]["training_s"]
    for row in report[1:]:
        ratio = row["training_s"] / one
        print(
            f"{row['case']}: {row['runs']} runs in {ratio:.2f}x the training time of one "
            f"({'meets' if ratio <= 1.5 else 'misses'} the 1.5x target)"
        )
    print(json.dumps({"device": device, "steps": steps, "pairs": pairs, "cases": report}))


if __name__ == "__main__":
    main()
