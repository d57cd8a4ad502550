"""Corrected DPO with each joint-likelihood model J (Lemma 5.3): mixture vs general MLP.

Trains plain DPO and corrected DPO (one alpha) on the paper-default environment, once with each
J, and prints the policy metrics and how well J's variance estimate ``Var_u[sigma]`` matches the
exact one from the reward tables (mean absolute error and correlation over every (x, a, b)).

    PYTHONPATH=. .venv/bin/python benchmarks/compare_joint.py [--steps 10000] [--seeds 0-2]
        [--alpha 2] [--threads 1]
"""

from __future__ import annotations

import argparse
import time

import numpy as np


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=10_000)
    parser.add_argument("--seeds", default="0-2")
    parser.add_argument("--alpha", type=float, default=2.0)
    parser.add_argument("--threads", type=int, default=1)
    args = parser.parse_args()

    import torch

    from socialpref.train import SyntheticEnvironment, TrainConfig, profile_1d, train_batched
    from socialpref.train.metrics import policy_metrics
    from socialpref_cli.common import parse_seeds

    torch.set_num_threads(args.threads)
    env = SyntheticEnvironment()
    p = env.win_probabilities()
    w = env.weights[:, None, None, None]
    exact_var = (w * p * p).sum(0) - ((w * p).sum(0)) ** 2
    optimal, nbc, average = env.optimal_policy(), env.nbc(), env.average_reward()
    delta = profile_1d(optimal)[0]
    zero, sides = int(np.flatnonzero(delta == 0)[0]), np.flatnonzero(np.isin(delta, [-10, 10]))
    for joint in ("mixture", "mlp"):
        config = TrainConfig(
            methods=("dpo", "corrected"),
            alphas=(args.alpha,),
            seeds=tuple(parse_seeds(args.seeds)),
            steps=args.steps,
            joint=joint,
        )
        t0 = time.perf_counter()
        out = train_batched(env, config, "cpu")
        wall = time.perf_counter() - t0
        assert out.joint_variance is not None
        err = np.abs(out.joint_variance - exact_var).mean(axis=(1, 2, 3))
        corr = [np.corrcoef(v.ravel(), exact_var.ravel())[0, 1] for v in out.joint_variance]
        print(
            f"J={joint}: {len(out.runs)} runs, {wall:.1f} s; V: exact mean {exact_var.mean():.4f}, "
            f"estimated mean {out.joint_variance.mean():.4f}, MAE {err.mean():.4f}, "
            f"correlation {np.mean(corr):.3f}"
        )
        for method in ("dpo", "corrected"):
            ks = [k for k, r in enumerate(out.runs) if r.method == method]
            mets = [policy_metrics(out.policies[k], optimal, nbc, average) for k in ks]
            prof = np.mean([profile_1d(out.policies[k])[1] for k in ks], axis=0)
            kl = np.array([m.kl_to_optimal for m in mets])
            sd = kl.std(ddof=1) if len(kl) > 1 else 0.0
            print(
                f"  {method}: KL(pi*||pi) {kl.mean():.4f} (sd {sd:.4f}), "
                f"Spearman NBC {np.mean([m.spearman_nbc for m in mets]):.3f}, "
                f"avg reward {np.mean([m.spearman_average for m in mets]):.3f}, "
                f"mass at 0 {prof[zero]:.4f}, at +-10 {prof[sides].mean():.4f}, "
                f"peak delta {int(delta[int(np.argmax(prof))])}"
            )


if __name__ == "__main__":
    main()
