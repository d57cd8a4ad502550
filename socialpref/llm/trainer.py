"""LoRA DPO and reward-model training on relabelled preference pairs (paper Section 7.3).

One run: read and tokenize the data once (:func:`prepare_llm_data`), then per seed relabel
the training pairs, wrap a freshly loaded model in LoRA adapters, train one epoch with AdamW
and a linear decay to zero, and measure the share of test pairs ordered as the average reward
orders them (:func:`socialpref.llm.experiment.run_llm_experiment` does this for every seed).

Efficiency: both sides of each pair go through one forward (rows stacked along the batch),
batches are length-bucketed, sequence log-probs never hold a float32 ``(tokens x vocab)``
tensor (:mod:`socialpref.llm.logprobs`), gradient checkpointing is optional and bf16 autocast
is on by default on CUDA. Multi-GPU: the scorer is prepared by ``accelerate`` (DDP) and each
process takes its share of the batches; launch with ``accelerate launch`` or ``torchrun``.
"""

from __future__ import annotations

import contextlib
import json
import time
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from socialpref._typing import ArrayLike
from socialpref.llm._deps import missing

try:
    import accelerate
    import torch
except ImportError as exc:  # pragma: no cover - the llm extra is installed for the tests
    raise ImportError(missing(exc.name or "torch")) from None

from socialpref.llm.batching import TokenSeq, bucketed_batches, pad_batch, shard_batches
from socialpref.llm.hh import DEFAULT_SUBSETS, TokenizedPairs, read_hh, tokenize_pairs
from socialpref.llm.losses import preference_loss
from socialpref.llm.models import (
    add_lora,
    check_objective,
    enable_gradient_checkpointing,
    load_model,
    load_tokenizer,
    make_scorer,
)
from socialpref.llm.relabel import LabelledPairs, average_ties, check_dataset, orient_pairs, relabel
from socialpref.llm.rewards import LengthReward, RewardFn, as_length_rewards
from socialpref.train.device import resolve_device

ADAPTER_META = "socialpref_llm.json"


@dataclass(frozen=True)
class LLMTrainConfig:
    """Settings of one LLM experiment; defaults are the paper's (Appendix E)."""

    objective: str = field(
        default="dpo", metadata={"help": "dpo (policy) or reward (reward model)."}
    )
    dataset: str = field(
        default="anonymous", metadata={"help": "Training labels: anonymous, max-info or average."}
    )
    reference: str = field(
        default="uniform",
        metadata={"help": "DPO reference: uniform (paper) or base (frozen model)."},
    )
    beta: float = field(default=1.0, metadata={"help": "DPO beta (Eq. 15)."})
    margin_scale: float | None = field(
        default=None,
        metadata={"help": "Multiplier on the margin; None: |U| for max-info (Prop. 6.1), else 1."},
    )
    lora_r: int = field(default=8, metadata={"help": "LoRA rank."})
    lora_alpha: int = field(default=32, metadata={"help": "LoRA alpha."})
    lora_dropout: float = field(default=0.1, metadata={"help": "LoRA dropout."})
    lora_target_modules: tuple[str, ...] | None = field(
        default=None,
        metadata={"help": "Modules to adapt; None: peft's default for the architecture."},
    )
    learning_rate: float = field(
        default=3e-5, metadata={"help": "Initial AdamW learning rate (linear decay to 0)."}
    )
    weight_decay: float = field(default=1e-3, metadata={"help": "AdamW weight decay."})
    epochs: int = field(default=1, metadata={"help": "Passes over the training pairs."})
    batch_size: int = field(default=2, metadata={"help": "Pairs per micro-batch (per process)."})
    grad_accum: int = field(default=1, metadata={"help": "Micro-batches per optimizer step."})
    eval_batch_size: int = field(default=8, metadata={"help": "Pairs per evaluation batch."})
    max_length: int = field(
        default=512, metadata={"help": "Keep pairs whose two dialogues have <= this many tokens."}
    )
    max_train_pairs: int | None = field(
        default=None, metadata={"help": "Use only the first N training pairs."}
    )
    max_test_pairs: int | None = field(
        default=None, metadata={"help": "Use only the first N test pairs."}
    )
    bucket_batches: int = field(
        default=64, metadata={"help": "Batches per length-sorted chunk (1: no bucketing)."}
    )
    logprob_chunk: int = field(
        default=1024, metadata={"help": "Tokens per chunk of the log-prob computation."}
    )
    pad_to_multiple_of: int = field(
        default=8, metadata={"help": "Pad batch width to a multiple of this."}
    )
    gradient_checkpointing: bool = field(
        default=False, metadata={"help": "Recompute activations in backward."}
    )
    checkpoint_fraction: float = field(
        default=1.0,
        metadata={
            "help": "Share of decoder layers checkpointed when gradient_checkpointing is on."
        },
    )
    bf16: bool | None = field(
        default=None, metadata={"help": "bf16 weights and autocast; None: on CUDA only."}
    )
    device: str = field(default="auto", metadata={"help": "auto, cpu or cuda."})

    def __post_init__(self) -> None:
        check_objective(self.objective)
        if self.dataset not in ("anonymous", "max-info", "average"):
            raise ValueError(
                f"The 'dataset' parameter must be one of ['anonymous', 'max-info', 'average']. Got {self.dataset!r} instead."
            )
        if self.reference not in ("uniform", "base"):
            raise ValueError(
                f"The 'reference' parameter must be one of ['uniform', 'base']. Got {self.reference!r} instead."
            )
        if self.objective == "reward" and self.reference != "uniform":
            raise ValueError(
                "The 'reference' parameter only applies to objective='dpo'; use 'uniform' for 'reward'."
            )
        for name in (
            "lora_r",
            "lora_alpha",
            "epochs",
            "batch_size",
            "grad_accum",
            "eval_batch_size",
            "bucket_batches",
            "logprob_chunk",
            "pad_to_multiple_of",
        ):
            value = getattr(self, name)
            if not isinstance(value, int) or value < 1:
                raise ValueError(
                    f"The '{name}' parameter must be an integer >= 1. Got {value!r} instead."
                )
        if not isinstance(self.max_length, int) or self.max_length < 2:
            raise ValueError(
                f"The 'max_length' parameter must be an integer >= 2. Got {self.max_length!r} instead."
            )
        for name in ("max_train_pairs", "max_test_pairs"):
            value = getattr(self, name)
            if value is not None and (not isinstance(value, int) or value < 1):
                raise ValueError(
                    f"The '{name}' parameter must be None or an integer >= 1. Got {value!r} instead."
                )
        for name in ("beta", "learning_rate"):
            if not float(getattr(self, name)) > 0:
                raise ValueError(
                    f"The '{name}' parameter must be > 0. Got {getattr(self, name)!r} instead."
                )
        if not 0.0 < float(self.checkpoint_fraction) <= 1.0:
            raise ValueError(
                f"The 'checkpoint_fraction' parameter must be in (0, 1]. Got {self.checkpoint_fraction!r} instead."
            )
        if self.margin_scale is not None and not float(self.margin_scale) > 0:
            raise ValueError(
                f"The 'margin_scale' parameter must be None or > 0. Got {self.margin_scale!r} instead."
            )
        if not 0 <= float(self.lora_dropout) < 1 or float(self.weight_decay) < 0:
            raise ValueError(
                f"Need 0 <= lora_dropout < 1 and weight_decay >= 0. Got {self.lora_dropout!r} and {self.weight_decay!r}."
            )

    def resolved_margin_scale(self, n_types: int) -> float:
        """``margin_scale``, or ``|U|`` for max-info and 1 otherwise."""
        if self.margin_scale is not None:
            return float(self.margin_scale)
        return float(n_types) if self.dataset == "max-info" else 1.0

    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d["lora_target_modules"] = (
            list(self.lora_target_modules) if self.lora_target_modules else None
        )
        return d


@dataclass(frozen=True)
class LLMData:
    """Tokenized training pairs (unlabelled) and test pairs labelled by the average reward.

    Attributes
    ----------
    train : TokenizedPairs
        Training pairs, relabelled per seed by :func:`train_labels`.
    test : LabelledPairs
        Test pairs, preferred side first by the average reward; ties dropped.
    test_ties : int
        Test pairs dropped because the average reward does not order them.
    rewards : tuple of LengthReward
        The user types.
    type_weights : numpy.ndarray or None
        Type shares (None: uniform).
    train_read, test_read : int
        Pairs read before the length filter.
    """

    train: TokenizedPairs
    test: LabelledPairs
    test_ties: int
    rewards: tuple[LengthReward, ...]
    type_weights: np.ndarray | None
    train_read: int
    test_read: int

    @property
    def n_types(self) -> int:
        return len(self.rewards)


def prepare_llm_data(
    tokenizer: Any,
    data_dir: str | Path,
    max_length: int = 512,
    subsets: Sequence[str] | None = DEFAULT_SUBSETS,
    max_train_pairs: int | None = None,
    max_test_pairs: int | None = None,
    rewards: Sequence[LengthReward | RewardFn] | None = None,
    type_weights: ArrayLike | None = None,
) -> LLMData:
    """Read, tokenize and length-filter both splits; label the test split by the average reward."""
    types = as_length_rewards(rewards)
    train_text = read_hh(data_dir, "train", subsets)
    test_text = read_hh(data_dir, "test", subsets)
    train = tokenize_pairs(tokenizer, train_text, max_length).head(max_train_pairs)
    test_tok = tokenize_pairs(tokenizer, test_text, max_length).head(max_test_pairs)
    if len(train) == 0:
        raise ValueError(
            f"No training pairs left after the length filter (max_length={max_length}) in {data_dir}."
        )
    la, lb = test_tok.lengths
    ties = average_ties(la, lb, types, type_weights)
    wins = relabel(la, lb, "test", types, type_weights)
    test = orient_pairs(test_tok.first, test_tok.second, wins, keep=~ties)
    if len(test) == 0:
        raise ValueError(
            f"No test pairs ordered by the average reward in {data_dir} (max_length={max_length})."
        )
    weights = None if type_weights is None else np.asarray(type_weights, dtype=np.float64)
    return LLMData(train, test, int(ties.sum()), types, weights, len(train_text), len(test_text))


def train_labels(data: LLMData, dataset: str, seed: int) -> LabelledPairs:
    """Relabel the training pairs for ``dataset`` with ``numpy.random.default_rng(seed)``."""
    check_dataset(dataset)
    la, lb = data.train.lengths
    wins = relabel(
        la, lb, dataset, data.rewards, data.type_weights, rng=np.random.default_rng(seed)
    )
    return orient_pairs(data.train.first, data.train.second, wins)


@dataclass(frozen=True)
class SeedResult:
    """Outcome of one seed.

    Attributes
    ----------
    seed : int
    accuracy : float
        Share of test pairs whose learned (induced) reward orders them as the average reward.
    loss_first, loss_last : float
        Training loss of the first micro-batch and mean over the last (up to) 50.
    optimizer_steps : int
    train_seconds : float
    train_tokens : int
        Real (non-padding) tokens processed in training on this process.
    padded_tokens : int
        Tokens including padding.
    """

    seed: int
    accuracy: float
    loss_first: float
    loss_last: float
    optimizer_steps: int
    train_seconds: float
    train_tokens: int
    padded_tokens: int

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def make_accelerator(device: str = "auto", bf16: bool | None = None) -> tuple[Any, bool]:
    """An ``accelerate.Accelerator`` on the requested device; returns it and whether bf16 is on."""
    dev = resolve_device(device)
    use_bf16 = dev.type == "cuda" if bf16 is None else bool(bf16)
    acc = accelerate.Accelerator(
        cpu=dev.type == "cpu", mixed_precision="bf16" if use_bf16 else "no"
    )
    return acc, use_bf16


def collate_pairs(
    preferred: Sequence[TokenSeq],
    dispreferred: Sequence[TokenSeq],
    pad_id: int,
    device: Any,
    multiple: int = 8,
) -> tuple[Any, Any]:
    """One batch with the preferred sequences in rows ``0..B-1`` and the others in ``B..2B-1``."""
    ids, mask = pad_batch([*preferred, *dispreferred], pad_id, multiple)
    return torch.from_numpy(ids).to(device), torch.from_numpy(mask).to(device)


def _peft_model(scorer: Any) -> Any:
    return scorer.model


def _reference_scores(scorer: Any, ids: Any, mask: Any) -> Any:
    with torch.no_grad(), _peft_model(scorer).disable_adapter():
        return scorer(ids, mask)


def evaluate_scorer(
    scorer: Any,
    pairs: LabelledPairs,
    pad_id: int,
    device: Any,
    batch_size: int = 8,
    reference: str = "uniform",
    autocast: Any = None,
    multiple: int = 8,
) -> float:
    """Share of pairs with ``score(preferred) > score(dispreferred)`` (ties count as wrong).

    With ``reference='base'`` the score is the induced reward ``log pi - log pi_base``.
    """
    if len(pairs) == 0:
        raise ValueError("The 'pairs' parameter of evaluate_scorer must hold at least one pair.")
    lengths = np.maximum(
        np.fromiter(map(len, pairs.preferred), int), np.fromiter(map(len, pairs.dispreferred), int)
    )
    was_training = scorer.training
    scorer.eval()
    correct = 0
    ctx = autocast if autocast is not None else contextlib.nullcontext
    with torch.no_grad():
        for idx in bucketed_batches(lengths, batch_size, shuffle=False):
            ids, mask = collate_pairs(
                [pairs.preferred[i] for i in idx],
                [pairs.dispreferred[i] for i in idx],
                pad_id,
                device,
                multiple,
            )
            with ctx():
                s = scorer(ids, mask)
                if reference == "base":
                    s = s - _reference_scores(scorer, ids, mask)
            b = len(idx)
            correct += int((s[:b] > s[b:]).sum().item())
    scorer.train(was_training)
    return correct / len(pairs)


@dataclass
class TrainedLLM:
    """A trained scorer (unwrapped from DDP) and its seed result."""

    scorer: Any
    result: SeedResult


def train_llm(
    model_dir: str | Path,
    data: LLMData,
    config: LLMTrainConfig,
    seed: int,
    tokenizer: Any = None,
    adapter_dir: str | Path | None = None,
    accelerator: Any = None,
) -> TrainedLLM:
    """Train one seed and evaluate it on ``data.test``; optionally save the LoRA adapter.

    Randomness: labels and batch order from ``numpy.random.default_rng(seed)``; LoRA and head
    initialisation and dropout from torch's generators seeded with ``seed`` inside
    ``torch.random.fork_rng``, so the caller's global torch random state is left as it was.
    """
    tok = load_tokenizer(model_dir) if tokenizer is None else tokenizer
    acc, use_bf16 = (
        make_accelerator(config.device, config.bf16)
        if accelerator is None
        else (accelerator, accelerator.mixed_precision == "bf16")
    )
    labelled = train_labels(data, config.dataset, seed)
    devices = [acc.device.index or 0] if acc.device.type == "cuda" else []
    with torch.random.fork_rng(devices=devices):
        torch.manual_seed(seed)
        return _train_seed(model_dir, data, config, seed, tok, acc, use_bf16, labelled, adapter_dir)


def _train_seed(
    model_dir: str | Path,
    data: LLMData,
    config: LLMTrainConfig,
    seed: int,
    tok: Any,
    acc: Any,
    use_bf16: bool,
    labelled: Any,
    adapter_dir: str | Path | None,
) -> TrainedLLM:
    """The body of :func:`train_llm`, run with torch's generators already seeded."""
    model = load_model(
        model_dir, config.objective, torch.bfloat16 if use_bf16 else torch.float32, tok.pad_token_id
    )
    if config.gradient_checkpointing:
        enable_gradient_checkpointing(model, config.checkpoint_fraction)
    model = add_lora(
        model,
        config.objective,
        config.lora_r,
        config.lora_alpha,
        config.lora_dropout,
        config.lora_target_modules,
    )
    scorer = acc.prepare(make_scorer(model, config.objective, config.logprob_chunk))
    scorer.train()
    unwrapped = acc.unwrap_model(scorer)

    lengths = np.maximum(
        np.fromiter(map(len, labelled.preferred), int),
        np.fromiter(map(len, labelled.dispreferred), int),
    )
    gen = np.random.default_rng([seed, 1])
    batches: list[np.ndarray] = []
    for _ in range(config.epochs):
        batches.extend(bucketed_batches(lengths, config.batch_size, gen, config.bucket_batches))
    batches = shard_batches(batches, acc.process_index, acc.num_processes)
    k = config.grad_accum
    total_steps = max(-(-len(batches) // k), 1)
    params = [p for p in scorer.parameters() if p.requires_grad]
    opt = torch.optim.AdamW(params, lr=config.learning_rate, weight_decay=config.weight_decay)
    sched = torch.optim.lr_scheduler.LambdaLR(opt, lambda step: max(0.0, 1.0 - step / total_steps))
    margin = config.resolved_margin_scale(data.n_types)
    use_ref = config.objective == "dpo" and config.reference == "base"
    losses: list[Any] = []  # loss tensors: read back once at the end, not one sync per step
    real = padded = steps = 0
    start = time.perf_counter()
    for i, idx in enumerate(batches):
        ids, mask = collate_pairs(
            [labelled.preferred[j] for j in idx],
            [labelled.dispreferred[j] for j in idx],
            tok.pad_token_id,
            acc.device,
            config.pad_to_multiple_of,
        )
        last_of_group = (i + 1) % k == 0 or i + 1 == len(batches)
        b = len(idx)
        sync = contextlib.nullcontext() if last_of_group else acc.no_sync(scorer)
        with sync:
            ref_w = ref_l = None
            if use_ref:
                with acc.autocast():
                    ref = _reference_scores(unwrapped, ids, mask)
                ref_w, ref_l = ref[:b], ref[b:]
            s = scorer(ids, mask)
            loss = preference_loss(s[:b], s[b:], ref_w, ref_l, config.beta, margin)
            acc.backward(loss / k)
        losses.append(loss.detach())
        real += sum(len(labelled.preferred[j]) + len(labelled.dispreferred[j]) for j in idx)
        padded += ids.numel()
        if last_of_group:
            opt.step()
            sched.step()
            opt.zero_grad(set_to_none=True)
            steps += 1
    loss_values = torch.stack(losses).float().cpu().numpy() if losses else np.zeros(0)
    seconds = time.perf_counter() - start
    accuracy = evaluate_scorer(
        unwrapped,
        data.test,
        tok.pad_token_id,
        acc.device,
        config.eval_batch_size,
        config.reference if config.objective == "dpo" else "uniform",
        acc.autocast,
        config.pad_to_multiple_of,
    )
    if adapter_dir is not None and acc.is_main_process:
        save_adapter(unwrapped.model, adapter_dir, config, seed)
    acc.wait_for_everyone()
    acc.free_memory()  # drop accelerate's references so the next seed's model can take its place
    result = SeedResult(
        seed=int(seed),
        accuracy=float(accuracy),
        loss_first=float(loss_values[0]) if loss_values.size else float("nan"),
        loss_last=float(loss_values[-50:].mean()) if loss_values.size else float("nan"),
        optimizer_steps=steps,
        train_seconds=seconds,
        train_tokens=real,
        padded_tokens=padded,
    )
    return TrainedLLM(unwrapped, result)


def save_adapter(
    peft_model: Any, adapter_dir: str | Path, config: LLMTrainConfig, seed: int
) -> Path:
    """Save the LoRA adapter (and a reward model's head) plus the settings needed to evaluate it."""
    path = Path(adapter_dir)
    peft_model.save_pretrained(path)
    meta = {
        "objective": config.objective,
        "reference": config.reference,
        "dataset": config.dataset,
        "seed": int(seed),
        "config": config.to_dict(),
    }
    (path / ADAPTER_META).write_text(json.dumps(meta, indent=2) + "\n", encoding="utf-8")
    return path
