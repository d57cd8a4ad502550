"""Seeded reference trajectories: every method's recorded losses and final policy stay put.

``data/trajectory.json`` was written by the autograd implementation of the training step (every
loss and model differentiated by autograd, ``torch.optim.Adam(fused=True)``), before the step was
rewritten with hand-written gradients and a direct fused-Adam call. The same seeds must give the
same trajectories within float32 rounding. Regenerate the file only after an intended change of
the training semantics: ``PYTHONPATH=. .venv/bin/python tests/train/test_train_trajectory.py``.
"""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pytest
import torch

from socialpref.train.config import TrainConfig
from socialpref.train.environment import SyntheticEnvironment
from socialpref.train.runner import TrainOutput, train_batched

GOLDEN = Path(__file__).parent / "data" / "trajectory.json"
ENV = SyntheticEnvironment(n=5, shifts=(-1, 0, 1), rates=(0.4, 0.4, 0.4), scales=(8.0, 4.0, 8.0))
# Differences seen against the autograd step: 2.4e-7 on policies, 1.5e-7 on losses (float32).
POLICY_ATOL = 2e-6
LOSS_ATOL = 2e-6


def _record(out: TrainOutput) -> dict:
    return {
        "runs": [[r.method, r.alpha, r.seed] for r in out.runs],
        "loss_steps": out.loss_steps.tolist(),
        "losses": [[None if math.isnan(v) else float(v) for v in row] for row in out.losses],
        "policies": out.policies.tolist(),
        "joint_variance_mean": None
        if out.joint_variance is None
        else out.joint_variance.mean(axis=(1, 2, 3)).tolist(),
    }


def _run(config: dict) -> TrainOutput:
    torch.set_num_threads(1)
    return train_batched(ENV, TrainConfig(**config), "cpu")


CASES = json.loads(GOLDEN.read_text())


@pytest.mark.parametrize("case", ["tabular", "mlp", "mlp-joint"])
def test_trajectory_matches_the_reference(case):
    want = CASES[case]
    got = _record(_run(want["config"]))
    assert got["runs"] == want["runs"]
    assert got["loss_steps"] == want["loss_steps"]
    lw = np.array([[np.nan if v is None else v for v in r] for r in want["losses"]])
    lg = np.array([[np.nan if v is None else v for v in r] for r in got["losses"]])
    np.testing.assert_allclose(lg, lw, rtol=0, atol=LOSS_ATOL)
    np.testing.assert_allclose(got["policies"], want["policies"], rtol=0, atol=POLICY_ATOL)
    if want["joint_variance_mean"] is not None:
        np.testing.assert_allclose(
            got["joint_variance_mean"], want["joint_variance_mean"], rtol=1e-4, atol=1e-9
        )
    # the first DPO loss of a tabular policy at the uniform reference is ln 2
    if want["config"].get("policy") == "tabular":
        assert got["losses"][0][0] == pytest.approx(math.log(2.0), abs=1e-6)


if __name__ == "__main__":  # regenerate the reference (see the module docstring)
    GOLDEN.write_text(
        json.dumps(
            {
                name: {"config": c["config"], **_record(_run(c["config"]))}
                for name, c in CASES.items()
            },
            indent=1,
        )
        + "\n"
    )
