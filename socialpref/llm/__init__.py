"""LLM experiments (paper Section 7.3, Appendix E): HH-RLHF relabelled by length-based user types,
LoRA DPO and reward models, accuracy against the average reward.

The data modules (:mod:`~socialpref.llm.hh`, :mod:`~socialpref.llm.rewards`,
:mod:`~socialpref.llm.relabel`, :mod:`~socialpref.llm.preference_data`,
:mod:`~socialpref.llm.batching`, :mod:`~socialpref.llm.config`) need only numpy; the training
names are loaded on first use and need the ``llm`` extra (torch, transformers, peft,
accelerate, trl, datasets); a missing one raises :class:`~socialpref.errors.MissingExtraError`.
"""

from __future__ import annotations

import importlib
from typing import Any

from socialpref.llm.batching import bucketed_batches, pad_batch
from socialpref.llm.config import LLMTrainConfig
from socialpref.llm.hh import (
    DEFAULT_SUBSETS,
    LENGTH_POLICIES,
    TextPairs,
    TokenizedPairs,
    read_hh,
    read_jsonl_pairs,
    tokenize_pairs,
)
from socialpref.llm.preference_data import (
    PreferencePairs,
    build_preference_dataset,
    preference_pairs,
    write_preference_dataset,
)
from socialpref.llm.relabel import (
    DATASETS,
    TIES,
    LabelDraw,
    LabelledPairs,
    average_reward_labels,
    average_ties,
    label_probabilities,
    orient_pairs,
    relabel,
    sample_labels,
)
from socialpref.llm.rewards import (
    LengthReward,
    paper_length_rewards,
    reward_long,
    reward_matrix,
    reward_mid,
    reward_short,
)

_LAZY = {
    "LLMData": "socialpref.llm.trainer",
    "SeedResult": "socialpref.llm.trainer",
    "prepare_llm_data": "socialpref.llm.trainer",
    "train_pairs": "socialpref.llm.trainer",
    "make_trainer": "socialpref.llm.trainer",
    "train_llm": "socialpref.llm.trainer",
    "evaluate_scorer": "socialpref.llm.trainer",
    "LLMExperimentResult": "socialpref.llm.experiment",
    "EvalResult": "socialpref.llm.experiment",
    "run_llm_experiment": "socialpref.llm.experiment",
    "evaluate_adapter": "socialpref.llm.experiment",
    "preference_loss": "socialpref.llm.losses",
    "preference_margin": "socialpref.llm.losses",
    "token_logprobs": "socialpref.llm.logprobs",
    "fused_token_logprobs": "socialpref.llm.logprobs",
    "CausalLMScorer": "socialpref.llm.models",
    "RewardScorer": "socialpref.llm.models",
    "load_model": "socialpref.llm.models",
    "load_tokenizer": "socialpref.llm.models",
    "add_lora": "socialpref.llm.models",
    "build_tiny_llama": "socialpref.llm.tiny",
    "plot_accuracies": "socialpref.llm.figure",
}


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        return getattr(importlib.import_module(_LAZY[name]), name)
    raise AttributeError(f"module 'socialpref.llm' has no attribute {name!r}")


__all__ = [
    "DATASETS",
    "DEFAULT_SUBSETS",
    "LENGTH_POLICIES",
    "TIES",
    "LLMTrainConfig",
    "LabelDraw",
    "LabelledPairs",
    "LengthReward",
    "PreferencePairs",
    "average_reward_labels",
    "build_preference_dataset",
    "preference_pairs",
    "sample_labels",
    "write_preference_dataset",
    "TextPairs",
    "TokenizedPairs",
    "average_ties",
    "bucketed_batches",
    "label_probabilities",
    "orient_pairs",
    "pad_batch",
    "paper_length_rewards",
    "read_hh",
    "read_jsonl_pairs",
    "relabel",
    "reward_long",
    "reward_matrix",
    "reward_mid",
    "reward_short",
    "tokenize_pairs",
    *_LAZY,
]
