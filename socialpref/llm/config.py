"""Settings of an LLM experiment: one frozen dataclass, the source of the command-line options.

Field names follow TRL's and transformers' ``TrainingArguments`` where the setting is theirs
(``learning_rate``, ``per_device_train_batch_size``, ``lora_r`` ...), so the command line reads
as TRL users expect (``--per-device-train-batch-size``); each field's ``help`` is the option's
help text. Defaults are the paper's (Appendix E): LoRA r=8, alpha=32, dropout 0.1; AdamW with
learning rate 3e-5 decaying linearly to 0 and weight decay 0.001; one epoch; batch size 2.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

from socialpref._validation import check_scalar
from socialpref.errors import ParameterError
from socialpref.llm.hh import LENGTH_POLICIES
from socialpref.llm.relabel import TIES, check_choice

OBJECTIVES: tuple[str, ...] = ("dpo", "reward")
TRAIN_DATASETS: tuple[str, ...] = ("anonymous", "max-info", "average")
REFERENCES: tuple[str, ...] = ("uniform", "base")
DEVICES: tuple[str, ...] = ("auto", "cpu", "cuda")
REPORT_TO: tuple[str, ...] = ("auto", "tensorboard", "none")
SCHEDULERS: tuple[str, ...] = ("linear", "cosine", "constant", "constant_with_warmup")


def _opt(default: Any, help: str, choices: tuple[str, ...] | None = None) -> Any:
    meta: dict[str, Any] = {"help": help}
    if choices is not None:
        meta["choices"] = choices
    return field(default=default, metadata=meta)


@dataclass(frozen=True)
class LLMTrainConfig:
    """Settings of one LLM experiment (every seed shares them); defaults are the paper's."""

    objective: str = _opt(
        "dpo", "dpo (policy, induced reward) or reward (reward model).", OBJECTIVES
    )
    dataset: str = _opt(
        "anonymous", "Training labels: anonymous, max-info or average.", TRAIN_DATASETS
    )
    reference: str = _opt(
        "uniform",
        "DPO reference policy: uniform (the paper; no reference forward) or base (the frozen model).",
        REFERENCES,
    )
    beta: float = _opt(1.0, "DPO beta (Eq. 15).")
    margin_scale: float | None = _opt(
        None, "Multiplier on the margin; default |U| for max-info (Prop. 6.1), else 1."
    )
    lora_r: int = _opt(8, "LoRA rank.")
    lora_alpha: int = _opt(32, "LoRA alpha (scaling alpha / r).")
    lora_dropout: float = _opt(0.1, "LoRA dropout probability.")
    lora_target_modules: str | None = _opt(
        None, "Comma-separated module names to adapt; default peft's for the architecture."
    )
    learning_rate: float = _opt(3e-5, "Initial AdamW learning rate.")
    lr_scheduler_type: str = _opt(
        "linear", "Learning-rate schedule (linear decays to 0).", SCHEDULERS
    )
    warmup_steps: float = _opt(
        0.0, "Warm-up: optimizer steps (>= 1) or a fraction of all steps (< 1)."
    )
    weight_decay: float = _opt(1e-3, "AdamW weight decay.")
    adam_beta1: float = _opt(0.9, "AdamW beta1.")
    adam_beta2: float = _opt(0.999, "AdamW beta2.")
    adam_epsilon: float = _opt(1e-8, "AdamW epsilon.")
    max_grad_norm: float = _opt(1.0, "Gradient clipping norm (0: no clipping).")
    num_train_epochs: int = _opt(1, "Passes over the training pairs.")
    per_device_train_batch_size: int = _opt(2, "Pairs per micro-batch on each process.")
    gradient_accumulation_steps: int = _opt(1, "Micro-batches per optimizer step.")
    per_device_eval_batch_size: int = _opt(8, "Pairs per evaluation batch.")
    max_length: int = _opt(512, "Token limit of a whole dialogue (see --length-policy).")
    length_policy: str = _opt(
        "drop",
        "Pairs over --max-length: drop them (the paper's text) or truncate them (the authors' code).",
        LENGTH_POLICIES,
    )
    ties: str = _opt(
        "drop",
        "Test pairs tied under the average reward: drop them (the paper's text) or keep them with "
        "the first side winning and a model tie counted correct (authors, as the authors' code).",
        TIES,
    )
    max_train_pairs: int | None = _opt(None, "Use only the first N training pairs.")
    max_test_pairs: int | None = _opt(None, "Use only the first N test pairs.")
    gradient_checkpointing: bool = _opt(False, "Recompute activations in backward (less memory).")
    bf16: bool | None = _opt(None, "bf16 mixed precision; default on CUDA only.")
    device: str = _opt("auto", "auto, cpu or cuda.", DEVICES)
    logging_steps: int = _opt(10, "Log loss and accuracy every N optimizer steps.")
    save_steps: int = _opt(500, "Save a checkpoint every N optimizer steps.")
    save_total_limit: int | None = _opt(None, "Keep only the last N checkpoints.")
    eval_steps: int | None = _opt(
        None, "Evaluate on the test pairs every N optimizer steps (default: only at the end)."
    )
    report_to: str = _opt(
        "auto", "Where curves go besides metrics.csv: auto (TensorBoard when installed).", REPORT_TO
    )

    def __post_init__(self) -> None:
        for name in ("objective", "dataset", "reference", "length_policy", "ties", "device"):
            choices = type(self).__dataclass_fields__[name].metadata["choices"]
            check_choice(getattr(self, name), name, choices)
        check_choice(self.lr_scheduler_type, "lr_scheduler_type", SCHEDULERS)
        check_choice(self.report_to, "report_to", REPORT_TO)
        if self.objective == "reward" and self.reference != "uniform":
            raise ParameterError(
                "The 'reference' parameter only applies to objective='dpo'; use 'uniform' for 'reward'."
            )
        for name in (
            "lora_r",
            "lora_alpha",
            "num_train_epochs",
            "per_device_train_batch_size",
            "gradient_accumulation_steps",
            "per_device_eval_batch_size",
            "logging_steps",
            "save_steps",
        ):
            check_scalar(getattr(self, name), name, int, min_val=1, owner="LLMTrainConfig")
        check_scalar(self.max_length, "max_length", int, min_val=2, owner="LLMTrainConfig")
        for name in ("max_train_pairs", "max_test_pairs", "save_total_limit", "eval_steps"):
            if getattr(self, name) is not None:
                check_scalar(getattr(self, name), name, int, min_val=1, owner="LLMTrainConfig")
        for name in ("beta", "learning_rate", "adam_epsilon"):
            check_scalar(
                getattr(self, name),
                name,
                float,
                0,
                include_boundaries="neither",
                owner="LLMTrainConfig",
            )
        if self.margin_scale is not None:
            check_scalar(self.margin_scale, "margin_scale", float, 0, include_boundaries="neither")
        check_scalar(self.lora_dropout, "lora_dropout", float, 0, 1, include_boundaries="left")
        for name in ("adam_beta1", "adam_beta2"):
            check_scalar(getattr(self, name), name, float, 0, 1, include_boundaries="left")
        for name in ("weight_decay", "max_grad_norm", "warmup_steps"):
            check_scalar(getattr(self, name), name, float, min_val=0, owner="LLMTrainConfig")

    def resolved_margin_scale(self, n_types: int) -> float:
        """``margin_scale``, or ``|U|`` for max-info and 1 otherwise."""
        if self.margin_scale is not None:
            return float(self.margin_scale)
        return float(n_types) if self.dataset == "max-info" else 1.0

    def target_modules(self) -> list[str] | None:
        """``lora_target_modules`` as a list (None: peft's default for the architecture)."""
        if not self.lora_target_modules:
            return None
        return [m.strip() for m in self.lora_target_modules.split(",") if m.strip()]

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)
