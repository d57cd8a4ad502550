"""LLM experiments (paper Section 7.3, Appendix E): HH-RLHF relabelled by length-based user types,
LoRA DPO and reward models, accuracy against the average reward.

The data modules (:mod:`~socialpref.llm.hh`, :mod:`~socialpref.llm.rewards`,
:mod:`~socialpref.llm.relabel`, :mod:`~socialpref.llm.batching`) need only numpy; the training
names are loaded on first use and need the ``llm`` extra (torch, transformers, peft, accelerate).
"""

from __future__ import annotations

import importlib
from typing import Any

from socialpref.llm.batching import bucketed_batches, pad_batch
from socialpref.llm.hh import (
    DEFAULT_SUBSETS,
    TextPairs,
    TokenizedPairs,
    read_hh,
    read_jsonl_pairs,
    tokenize_pairs,
)
from socialpref.llm.relabel import (
    DATASETS,
    LabelledPairs,
    average_ties,
    label_probabilities,
    orient_pairs,
    relabel,
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
    "LLMTrainConfig": "socialpref.llm.trainer",
    "LLMData": "socialpref.llm.trainer",
    "LLMExperimentResult": "socialpref.llm.experiment",
    "SeedResult": "socialpref.llm.trainer",
    "EvalResult": "socialpref.llm.experiment",
    "prepare_llm_data": "socialpref.llm.trainer",
    "train_labels": "socialpref.llm.trainer",
    "train_llm": "socialpref.llm.trainer",
    "run_llm_experiment": "socialpref.llm.experiment",
    "evaluate_adapter": "socialpref.llm.experiment",
    "evaluate_scorer": "socialpref.llm.trainer",
    "preference_loss": "socialpref.llm.losses",
    "preference_margin": "socialpref.llm.losses",
    "token_logprobs": "socialpref.llm.logprobs",
    "fused_token_logprobs": "socialpref.llm.logprobs",
    "CausalLMScorer": "socialpref.llm.models",
    "RewardScorer": "socialpref.llm.models",
    "load_model": "socialpref.llm.models",
    "load_tokenizer": "socialpref.llm.models",
    "add_lora": "socialpref.llm.models",
    "plot_accuracies": "socialpref.llm.figure",
}


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        return getattr(importlib.import_module(_LAZY[name]), name)
    raise AttributeError(f"module 'socialpref.llm' has no attribute {name!r}")


__all__ = [
    "DATASETS",
    "DEFAULT_SUBSETS",
    "LabelledPairs",
    "LengthReward",
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
