"""Policy training on the paper's synthetic environment (Section 7.2); needs the ``train`` extra (torch).

Names are imported lazily (PEP 562): ``import socialpref.train.figures`` or
``socialpref.train.environment`` does not import torch; the first use of a torch-backed name
does, and a missing torch raises :class:`~socialpref.errors.MissingExtraError` (one line naming
the extra). The survey tools and ``socialpref --help`` never import torch.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from socialpref.train.config import BUILTIN_METHODS, RunSpec, TrainConfig
    from socialpref.train.device import require_torch, resolve_device
    from socialpref.train.environment import (
        DECAYS,
        SyntheticEnvironment,
        circular_distance,
        decay_profile,
        profile_1d,
    )
    from socialpref.train.experiment import RunResult, SyntheticResults, run_synthetic
    from socialpref.train.limits import (
        CorrectedLimit,
        corrected_population_loss,
        corrected_population_optimum,
        corrected_population_policy,
        corrected_population_table,
    )
    from socialpref.train.losses import (
        b3_integral,
        b3_loss,
        consistent_loss,
        corrected_dpo_loss,
        dpo_loss,
        ipo_loss,
        joint_variance,
        soft_dpo_loss,
        sppo_loss,
    )
    from socialpref.train.methods import (
        LossInputs,
        TrainingMethod,
        get_method,
        method_names,
        nbc_win_rates,
        register_method,
        unregister_method,
    )
    from socialpref.train.metrics import (
        PolicyMetrics,
        kl_divergence,
        normalise_rows,
        policy_metrics,
        spearman,
        top_agreement,
        top_deltas,
    )
    from socialpref.train.models import (
        BatchedJointMLP,
        BatchedJointModel,
        BatchedPolicy,
        BatchedRewardTables,
        FusedAdam,
        make_joint_model,
    )
    from socialpref.train.runner import TrainOutput, train_batched
    from socialpref.train.samplers import (
        PairedPreferences,
        PreferencePairs,
        consensus_probability,
        sample_all_types,
        sample_anonymous,
        sample_consensus,
        sample_paired,
    )

_LAZY: dict[str, str] = {
    "BatchedJointMLP": "socialpref.train.models",
    "BatchedJointModel": "socialpref.train.models",
    "BatchedPolicy": "socialpref.train.models",
    "BatchedRewardTables": "socialpref.train.models",
    "DECAYS": "socialpref.train.environment",
    "BUILTIN_METHODS": "socialpref.train.config",
    "CorrectedLimit": "socialpref.train.limits",
    "FusedAdam": "socialpref.train.models",
    "LossInputs": "socialpref.train.methods",
    "TrainingMethod": "socialpref.train.methods",
    "corrected_population_loss": "socialpref.train.limits",
    "corrected_population_optimum": "socialpref.train.limits",
    "corrected_population_table": "socialpref.train.limits",
    "get_method": "socialpref.train.methods",
    "method_names": "socialpref.train.methods",
    "register_method": "socialpref.train.methods",
    "unregister_method": "socialpref.train.methods",
    "PairedPreferences": "socialpref.train.samplers",
    "PolicyMetrics": "socialpref.train.metrics",
    "PreferencePairs": "socialpref.train.samplers",
    "RunResult": "socialpref.train.experiment",
    "RunSpec": "socialpref.train.config",
    "SyntheticEnvironment": "socialpref.train.environment",
    "SyntheticResults": "socialpref.train.experiment",
    "TrainConfig": "socialpref.train.config",
    "TrainOutput": "socialpref.train.runner",
    "b3_integral": "socialpref.train.losses",
    "b3_loss": "socialpref.train.losses",
    "circular_distance": "socialpref.train.environment",
    "consensus_probability": "socialpref.train.samplers",
    "consistent_loss": "socialpref.train.losses",
    "corrected_population_policy": "socialpref.train.limits",
    "normalise_rows": "socialpref.train.metrics",
    "corrected_dpo_loss": "socialpref.train.losses",
    "decay_profile": "socialpref.train.environment",
    "dpo_loss": "socialpref.train.losses",
    "ipo_loss": "socialpref.train.losses",
    "joint_variance": "socialpref.train.losses",
    "kl_divergence": "socialpref.train.metrics",
    "make_joint_model": "socialpref.train.models",
    "nbc_win_rates": "socialpref.train.methods",
    "policy_metrics": "socialpref.train.metrics",
    "profile_1d": "socialpref.train.environment",
    "require_torch": "socialpref.train.device",
    "resolve_device": "socialpref.train.device",
    "run_synthetic": "socialpref.train.experiment",
    "sample_all_types": "socialpref.train.samplers",
    "sample_anonymous": "socialpref.train.samplers",
    "sample_consensus": "socialpref.train.samplers",
    "sample_paired": "socialpref.train.samplers",
    "soft_dpo_loss": "socialpref.train.losses",
    "sppo_loss": "socialpref.train.losses",
    "spearman": "socialpref.train.metrics",
    "top_agreement": "socialpref.train.metrics",
    "top_deltas": "socialpref.train.metrics",
    "train_batched": "socialpref.train.runner",
}


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'socialpref.train' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(__all__)


__all__ = [
    "BUILTIN_METHODS",
    "DECAYS",
    "BatchedJointMLP",
    "BatchedJointModel",
    "BatchedPolicy",
    "BatchedRewardTables",
    "CorrectedLimit",
    "FusedAdam",
    "LossInputs",
    "PairedPreferences",
    "PolicyMetrics",
    "PreferencePairs",
    "RunResult",
    "RunSpec",
    "SyntheticEnvironment",
    "SyntheticResults",
    "TrainConfig",
    "TrainOutput",
    "TrainingMethod",
    "b3_integral",
    "b3_loss",
    "circular_distance",
    "consensus_probability",
    "consistent_loss",
    "corrected_dpo_loss",
    "corrected_population_loss",
    "corrected_population_optimum",
    "corrected_population_policy",
    "corrected_population_table",
    "decay_profile",
    "dpo_loss",
    "get_method",
    "ipo_loss",
    "joint_variance",
    "kl_divergence",
    "make_joint_model",
    "method_names",
    "nbc_win_rates",
    "normalise_rows",
    "policy_metrics",
    "profile_1d",
    "register_method",
    "require_torch",
    "resolve_device",
    "run_synthetic",
    "sample_all_types",
    "sample_anonymous",
    "sample_consensus",
    "sample_paired",
    "soft_dpo_loss",
    "spearman",
    "sppo_loss",
    "top_agreement",
    "top_deltas",
    "train_batched",
    "unregister_method",
]
