"""Loading local Hugging Face models, adding LoRA, and scoring whole sequences.

A *scorer* maps a padded batch ``(input_ids, attention_mask)`` to one float32 number per
sequence: the sequence log-probability for a causal LM (the DPO policy's induced reward under
a uniform reference, paper Eq. 5 and Section 7.3) or the scalar head output for a reward
model. Scorers are ``nn.Module`` s so that ``accelerate`` / DDP can wrap them whole.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any, Literal

import numpy as np

from socialpref.errors import DataError, ParameterError
from socialpref.llm._deps import missing
from socialpref.llm.logprobs import (
    DEFAULT_CHUNK,
    fused_token_logprobs,
    sequence_logprobs_from_logits,
    shifted_positions,
)

try:
    import peft
    import torch
    import transformers
    from torch import nn
except ImportError as exc:  # pragma: no cover - the llm extra is installed for the tests
    raise missing(exc.name or "torch") from None


Objective = Literal["dpo", "reward"]
OBJECTIVES: tuple[str, ...] = ("dpo", "reward")
_TOKENIZER_FILES = (
    "tokenizer.json",
    "tokenizer_config.json",
    "tokenizer.model",
    "vocab.json",
    "spiece.model",
)


def check_objective(objective: str) -> Objective:
    """Return ``objective`` if valid, else raise listing the valid ones."""
    if objective not in OBJECTIVES:
        raise ParameterError(
            f"The 'objective' parameter must be one of {list(OBJECTIVES)}. Got {objective!r} instead."
        )
    return objective  # type: ignore[return-value]


def check_model_dir(model_dir: str | Path) -> Path:
    """Check that ``model_dir`` is a local model folder with a config and a tokenizer.

    Raises
    ------
    FileNotFoundError
        If the folder, its ``config.json`` or its tokenizer files are missing.
    """
    path = Path(model_dir)
    if not path.is_dir():
        raise FileNotFoundError(
            f"Model folder not found: {path} (only local folders are supported; nothing is downloaded)."
        )
    if not (path / "config.json").is_file():
        raise FileNotFoundError(
            f"Model folder {path} has no config.json: not a Hugging Face model folder."
        )
    if not any((path / name).is_file() for name in _TOKENIZER_FILES):
        raise FileNotFoundError(
            f"Model folder {path} has no tokenizer (expected one of {list(_TOKENIZER_FILES)}); "
            "save one there with tokenizer.save_pretrained()."
        )
    return path


def load_tokenizer(model_dir: str | Path) -> Any:
    """Load the folder's tokenizer (local files only); give it a pad token if it has none."""
    path = check_model_dir(model_dir)
    try:
        tok = transformers.AutoTokenizer.from_pretrained(path, local_files_only=True)
    except (OSError, ValueError) as exc:
        raise FileNotFoundError(f"Could not load a tokenizer from {path}: {exc}") from None
    if tok.pad_token_id is None:
        fallback = tok.eos_token if tok.eos_token is not None else tok.unk_token
        if fallback is None:
            raise DataError(f"The tokenizer in {path} has no pad, eos or unk token to pad with.")
        tok.pad_token = fallback
    return tok


def load_model(
    model_dir: str | Path, objective: str, dtype: Any = None, pad_token_id: int | None = None
) -> Any:
    """Load a causal LM (``dpo``) or a 1-output sequence classifier (``reward``) from a local folder.

    For ``reward`` the classification head is new (randomly initialised from the torch seed)
    when the folder holds a causal LM, as in the paper's reward models (Appendix E).
    """
    path = check_model_dir(model_dir)
    kind = check_objective(objective)
    kwargs: dict[str, Any] = {"local_files_only": True}
    if dtype is not None:
        kwargs["dtype"] = dtype
    try:
        if kind == "dpo":
            model = transformers.AutoModelForCausalLM.from_pretrained(path, **kwargs)
        else:
            model = transformers.AutoModelForSequenceClassification.from_pretrained(
                path, num_labels=1, **kwargs
            )
    except (OSError, ValueError) as exc:
        raise FileNotFoundError(f"Could not load a model from {path}: {exc}") from None
    if pad_token_id is not None:
        model.config.pad_token_id = pad_token_id
    model.config.use_cache = False
    return model


def add_lora_config(
    objective: str,
    r: int = 8,
    alpha: int = 32,
    dropout: float = 0.1,
    target_modules: Sequence[str] | str | None = None,
) -> Any:
    """The ``peft.LoraConfig`` of the paper's adapters (r=8, alpha=32, dropout 0.1).

    ``target_modules`` None uses peft's default for the architecture (``q_proj``, ``v_proj``
    for Llama). For ``reward`` the task type is sequence classification, so peft trains the
    new head in full (``modules_to_save``).
    """
    kind = check_objective(objective)
    task = peft.TaskType.CAUSAL_LM if kind == "dpo" else peft.TaskType.SEQ_CLS
    targets: list[str] | str | None = (
        target_modules
        if target_modules is None or isinstance(target_modules, str)
        else [str(m) for m in target_modules]
    )
    return peft.LoraConfig(
        task_type=task,
        r=int(r),
        lora_alpha=int(alpha),
        lora_dropout=float(dropout),
        target_modules=targets,
    )


def add_lora(
    model: Any,
    objective: str,
    r: int = 8,
    alpha: int = 32,
    dropout: float = 0.1,
    target_modules: Sequence[str] | str | None = None,
) -> Any:
    """Wrap ``model`` with fresh LoRA adapters (:func:`add_lora_config`); base weights frozen."""
    return peft.get_peft_model(model, add_lora_config(objective, r, alpha, dropout, target_modules))


def _model_mask(attention_mask: torch.Tensor, right_padded: bool) -> torch.Tensor | None:
    """The mask to give the model: none for right-padded batches of a causal decoder.

    Under causal attention a real token only sees earlier positions, and right padding puts
    every pad after the real tokens, so real positions never see pads and their outputs are
    the same with or without the padding mask (only pad positions differ, and they are never
    read). Leaving the mask out lets scaled-dot-product attention take its fused causal
    (flash) kernel instead of a masked one.
    """
    return None if right_padded else attention_mask


def enable_gradient_checkpointing(model: Any, fraction: float = 1.0) -> int:
    """Recompute activations in backward for ``fraction`` of the decoder layers (evenly spaced).

    Full checkpointing (1.0) costs one more forward per step and frees almost all activation
    memory; a fraction trades the two (e.g. 0.5: half the recomputation, half the memory).
    Returns the number of checkpointed layers.
    """
    if not 0.0 <= float(fraction) <= 1.0:
        raise ParameterError(
            f"The 'fraction' parameter must be in [0, 1]. Got {fraction!r} instead."
        )
    base = _base(model)
    # transformers >= 5.2x renames gradient_* to activation_checkpointing_*; older: gradient_*
    if fraction == 0:
        disable = (
            getattr(base, "activation_checkpointing_disable", None)
            or base.gradient_checkpointing_disable
        )
        disable()
        return 0
    kwargs = {"use_reentrant": False}
    if hasattr(base, "activation_checkpointing_enable"):
        base.activation_checkpointing_enable(activation_checkpointing_kwargs=kwargs)
    else:
        base.gradient_checkpointing_enable(gradient_checkpointing_kwargs=kwargs)
    layers = [
        m
        for m in base.modules()
        if type(m).__name__.endswith("DecoderLayer") and hasattr(m, "gradient_checkpointing")
    ]
    if not layers:
        return -1  # architecture without per-layer flags: checkpointing as transformers set it
    keep = (
        set(
            np.linspace(0, len(layers) - 1, round(fraction * len(layers)))
            .round()
            .astype(int)
            .tolist()
        )
        if fraction < 1
        else set(range(len(layers)))
    )
    for i, layer in enumerate(layers):
        layer.gradient_checkpointing = i in keep
    return len(keep)


def _base(model: Any) -> Any:
    return model.get_base_model() if isinstance(model, peft.PeftModel) else model


class CausalLMScorer(nn.Module):
    """Sequence log-probability ``log pi(y) = sum_t log pi(y_t | y_<t)`` of each row.

    With ``fused=True`` (default when the architecture allows: a plain linear output layer,
    no logit soft-capping or scaling) the decoder's hidden states at real positions go through
    :func:`~socialpref.llm.logprobs.fused_token_logprobs`, so neither padded positions nor the
    full ``(tokens x vocab)`` logits are ever projected/materialised at once.
    """

    def __init__(
        self, model: Any, chunk_size: int = DEFAULT_CHUNK, fused: bool | None = None
    ) -> None:
        super().__init__()
        self.model = model
        self.chunk_size = int(chunk_size)
        self.fused = self._can_fuse() if fused is None else bool(fused)

    def _can_fuse(self) -> bool:
        base = _base(self.model)
        head = base.get_output_embeddings()
        cfg = base.config
        try:
            base.get_decoder()
        except (AttributeError, NotImplementedError):
            # a capability probe, not an error: models without a separable decoder take the
            # plain full-logits path (still with chunked logsumexp), see ``forward``
            return False
        return (
            isinstance(head, nn.Linear)
            and head.bias is None
            and getattr(cfg, "final_logit_softcapping", None) is None
            and getattr(cfg, "logit_scale", None) is None
            and type(head).__name__ == "Linear"
        )

    def forward(self, input_ids: torch.Tensor, attention_mask: torch.Tensor) -> torch.Tensor:
        if not self.fused:
            logits = self.model(
                input_ids=input_ids, attention_mask=attention_mask, use_cache=False
            ).logits
            return sequence_logprobs_from_logits(logits, input_ids, attention_mask, self.chunk_size)
        base = _base(self.model)
        hidden = base.get_decoder()(
            input_ids=input_ids, attention_mask=attention_mask, use_cache=False
        ).last_hidden_state
        valid, targets, rows = shifted_positions(input_ids, attention_mask)
        weight = base.get_output_embeddings().weight
        tok = fused_token_logprobs(hidden[:, :-1][valid], weight, targets, self.chunk_size)
        return torch.zeros(input_ids.shape[0], dtype=torch.float32, device=tok.device).index_add(
            0, rows, tok
        )


class RewardScorer(nn.Module):
    """Scalar reward of each row from a sequence-classification model with one output.

    The model pools the last token that is not ``config.pad_token_id`` (Hugging Face's rule).
    """

    def __init__(self, model: Any, right_padded: bool = True) -> None:
        super().__init__()
        self.model = model
        self.right_padded = bool(right_padded)

    def forward(self, input_ids: torch.Tensor, attention_mask: torch.Tensor) -> torch.Tensor:
        attn = _model_mask(attention_mask, self.right_padded)
        out = self.model(input_ids=input_ids, attention_mask=attn, use_cache=False)
        return out.logits[:, 0].float()


def make_scorer(model: Any, objective: str, chunk_size: int = DEFAULT_CHUNK) -> nn.Module:
    """The scorer for ``objective``: :class:`CausalLMScorer` (dpo) or :class:`RewardScorer` (reward)."""
    return (
        CausalLMScorer(model, chunk_size)
        if check_objective(objective) == "dpo"
        else RewardScorer(model)
    )


def quiet_transformers() -> None:
    """Silence transformers' load reports and progress bars (for command-line use)."""
    import os
    import warnings

    os.environ.setdefault("TQDM_DISABLE", "1")  # TRL's precompute progress bar reads it
    transformers.utils.logging.set_verbosity_error()
    transformers.utils.logging.disable_progress_bar()
    try:
        import datasets

        datasets.disable_progress_bars()
        datasets.utils.logging.set_verbosity_error()
    except ImportError:  # pragma: no cover - datasets comes with the llm extra
        pass
    warnings.filterwarnings("ignore", category=FutureWarning, module="transformers")
