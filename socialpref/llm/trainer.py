"""LoRA DPO and reward-model training with TRL's trainers (paper Section 7.3, Appendix E).

One seed: relabel the training pairs (:mod:`socialpref.llm.preference_data`), hand them to
TRL's ``DPOTrainer`` or ``RewardTrainer`` with a LoRA ``peft_config``, train, save the adapter
and measure the share of test pairs that the learned (induced) reward orders as the average
reward does (:func:`evaluate_scorer`). The trainers bring what transformers' ``Trainer``
brings: logging every ``logging_steps`` (to ``metrics.csv`` always, TensorBoard when
installed), checkpoints every ``save_steps`` in ``<output_dir>/checkpoint-<step>``, resuming
from the last checkpoint, and data-parallel training under ``accelerate launch`` or
``torchrun`` (DDP, DeepSpeed, FSDP through an accelerate config).

How the paper's settings map onto TRL:

- **uniform reference** (the paper): the reference log-probabilities are zeros, given to
  ``DPOTrainer`` as precomputed columns of the data, so no reference forward runs and the
  margin is ``beta * [log pi(y_w) - log pi(y_l)]``. ``reference='base'``: TRL's own
  PEFT reference, the same weights with the adapter disabled.
- **margin scale** ``s`` (``|U|`` for max-info, Prop. 6.1): the loss ``-log sigma(s * h)``.
  For DPO ``h = beta * delta`` so TRL's ``beta`` is set to ``s * beta``; for a reward model the
  reward head's output is multiplied by ``s`` while training (a positive factor: the
  ordering, hence the accuracy, is the same with or without it).
- TRL's DPO tokenizes ``prompt + chosen`` itself and appends the end token; log-probabilities
  are summed over the completion (the prompt is shared, so it cancels in the margin). The
  reward trainer is given the token ids of the whole dialogues as relabelled.
- Dropout stays on (``disable_dropout=False``): the paper's LoRA dropout is 0.1.
"""

from __future__ import annotations

import contextlib
import csv
import json
import random
import time
from collections.abc import Iterator, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import numpy as np

from socialpref._typing import ArrayLike
from socialpref.errors import DataError, ParameterError
from socialpref.llm._deps import installed, missing
from socialpref.llm.batching import TokenSeq, bucketed_batches, pad_batch
from socialpref.llm.config import LLMTrainConfig
from socialpref.llm.hh import DEFAULT_SUBSETS, TextPairs, TokenizedPairs, read_hh, tokenize_pairs
from socialpref.llm.models import add_lora_config, load_model, load_tokenizer, make_scorer
from socialpref.llm.preference_data import PreferencePairs, preference_pairs
from socialpref.llm.relabel import LabelledPairs
from socialpref.llm.rewards import LengthReward, RewardFn, as_length_rewards

try:
    import torch
    import transformers
    import trl
except ImportError as exc:  # pragma: no cover - the llm extra is installed for the tests
    raise missing(exc.name or "torch") from None

ADAPTER_META = "socialpref_llm.json"
METRICS_CSV = "metrics.csv"


@dataclass(frozen=True)
class LLMData:
    """Tokenized training pairs (unlabelled) and test pairs labelled by the average reward.

    Attributes
    ----------
    train_text : TextPairs
        The training split as read.
    train : TokenizedPairs
        Training pairs after the length policy, relabelled per seed.
    test_pairs : PreferencePairs
        Test pairs, preferred side as ``chosen`` by the average reward, after the tie policy;
        ``test_pairs.info`` holds the counts.
    ties : str
        The tie policy (``drop`` or ``authors``).
    rewards : tuple of LengthReward
    type_weights : numpy.ndarray or None
    train_read : int
        Training pairs read before the length policy.
    """

    train_text: TextPairs
    train: TokenizedPairs
    test_pairs: PreferencePairs
    ties: str
    rewards: tuple[LengthReward, ...]
    type_weights: np.ndarray | None
    train_read: int

    @property
    def n_types(self) -> int:
        return len(self.rewards)

    @property
    def test(self) -> LabelledPairs:
        """The test pairs as token ids, preferred side first."""
        return self.test_pairs.labelled()

    def counts(self) -> dict[str, int]:
        """Pair counts after the length and tie policies (for printing and results.json)."""
        info = self.test_pairs.info
        return {
            "train_read": self.train_read,
            "train_pairs": len(self.train),
            "train_truncated": self.train.n_truncated,
            "test_read": info["pairs_read"],
            "test_pairs": len(self.test_pairs),
            "test_truncated": info["pairs_truncated"],
            "test_ties": info["ties_found"],
            "test_ties_dropped": info["ties_dropped"],
        }


def prepare_llm_data(
    tokenizer: Any,
    data_dir: str | Path,
    max_length: int = 512,
    subsets: Sequence[str] | None = DEFAULT_SUBSETS,
    max_train_pairs: int | None = None,
    max_test_pairs: int | None = None,
    rewards: Sequence[LengthReward | RewardFn] | None = None,
    type_weights: ArrayLike | None = None,
    length_policy: str = "drop",
    ties: str = "drop",
) -> LLMData:
    """Read, tokenize and length-filter both splits; label the test split by the average reward."""
    types = as_length_rewards(rewards)
    train_text = read_hh(data_dir, "train", subsets)
    test_text = read_hh(data_dir, "test", subsets)
    train = tokenize_pairs(tokenizer, train_text, max_length, length_policy=length_policy)
    train = train.head(max_train_pairs)
    test_tok = tokenize_pairs(tokenizer, test_text, max_length, length_policy=length_policy)
    test_tok = test_tok.head(max_test_pairs)
    if len(train) == 0:
        raise DataError(
            f"No training pairs left after the length policy (max_length={max_length}, "
            f"{length_policy}) in {data_dir}."
        )
    test = preference_pairs(test_text, test_tok, "test", None, ties, types, type_weights)
    if len(test) == 0:
        raise DataError(
            f"No test pairs ordered by the average reward in {data_dir} (max_length={max_length})."
        )
    weights = None if type_weights is None else np.asarray(type_weights, dtype=np.float64)
    return LLMData(train_text, train, test, ties, types, weights, len(train_text))


def train_pairs(data: LLMData, dataset: str, seed: int) -> PreferencePairs:
    """The training pairs relabelled for ``dataset`` with ``numpy.random.default_rng(seed)``."""
    return preference_pairs(
        data.train_text,
        data.train,
        dataset,
        seed,
        rewards=data.rewards,
        type_weights=data.type_weights,
    )


@dataclass(frozen=True)
class SeedResult:
    """Outcome of one seed.

    Attributes
    ----------
    seed : int
    accuracy : float
        Share of test pairs whose learned (induced) reward orders them as the average reward
        (under the tie policy of the data).
    loss_first, loss_last : float
        Training loss at the first and the last logging step.
    optimizer_steps : int
    train_seconds : float
        Wall time of ``Trainer.train`` in this process (since the resume, when resumed).
    train_tokens : int
        Tokens (padding excluded) TRL counted in training, all processes, since the start or
        the resume.
    output_dir : str
        The seed's folder: adapter, checkpoints, ``metrics.csv``, TensorBoard ``runs/``.
    resumed_from : str or None
        The checkpoint the run resumed from.
    """

    seed: int
    accuracy: float
    loss_first: float
    loss_last: float
    optimizer_steps: int
    train_seconds: float
    train_tokens: int
    output_dir: str
    resumed_from: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


class UniformReferenceDPOTrainer(trl.DPOTrainer):  # type: ignore[misc]
    """TRL's DPO with the paper's uniform reference: reference log-probabilities are zeros.

    Under a uniform reference ``log pi_ref`` is the same for every response, so it cancels in
    the margin. The data carry the reference as precomputed columns ``ref_chosen_logps`` and
    ``ref_rejected_logps`` of zeros (:data:`REF_COLUMNS`), which TRL's collator passes on and
    its loss reads when ``precompute_ref_logps`` is set; no reference forward ever runs, and
    nothing is cached on disk (so every process of a distributed run sees the same data).
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.precompute_ref_logps = True


REF_COLUMNS = ("ref_chosen_logps", "ref_rejected_logps")


def _dpo_dataset(pairs: PreferencePairs, uniform: bool) -> Any:
    data = pairs.to_dataset().select_columns(["prompt", "chosen", "rejected"])
    if uniform:
        zeros = [0.0] * len(pairs)
        for name in REF_COLUMNS:
            data = data.add_column(name, zeros)
    return data


class MetricsCSV(transformers.TrainerCallback):  # type: ignore[misc]
    """Write every logged value to ``<output_dir>/metrics.csv`` as ``step,epoch,name,value`` rows.

    On (re)start the file is rewritten from the trainer state's log history, so a resumed run
    keeps the rows up to its checkpoint and none of the rows the interrupted run logged after it.
    """

    HEADER = ("step", "epoch", "name", "value")

    def __init__(self, path: Path) -> None:
        self.path = Path(path)

    def _rows(self, logs: dict[str, Any], step: int, epoch: float | None) -> list[tuple[Any, ...]]:
        return [
            (step, epoch, k, float(v))
            for k, v in logs.items()
            if isinstance(v, (int, float)) and k not in ("step", "epoch")
        ]

    def on_train_begin(self, args: Any, state: Any, control: Any, **kwargs: Any) -> None:
        if not state.is_world_process_zero:
            return
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with self.path.open("w", newline="", encoding="utf-8") as fh:
            out = csv.writer(fh)
            out.writerow(self.HEADER)
            for entry in state.log_history:
                out.writerows(self._rows(entry, entry.get("step", 0), entry.get("epoch")))

    def on_log(
        self, args: Any, state: Any, control: Any, logs: dict[str, Any] | None = None, **kwargs: Any
    ) -> None:
        if not state.is_world_process_zero or not logs:
            return
        with self.path.open("a", newline="", encoding="utf-8") as fh:
            csv.writer(fh).writerows(self._rows(logs, state.global_step, state.epoch))


def resolve_precision(config: LLMTrainConfig) -> tuple[bool, bool]:
    """``(use_cpu, bf16)`` for the config's device and bf16 settings.

    Raises
    ------
    ParameterError
        ``device='cuda'`` without CUDA.
    """
    cuda = torch.cuda.is_available()
    if config.device == "cuda" and not cuda:
        raise ParameterError(
            "The 'device' parameter is 'cuda' but CUDA is not available; use --device cpu or auto."
        )
    use_cpu = config.device == "cpu" or not cuda
    bf16 = (not use_cpu) if config.bf16 is None else bool(config.bf16)
    return use_cpu, bf16


def trainer_arguments(
    config: LLMTrainConfig, output_dir: str | Path, seed: int, n_types: int, eval_: bool
) -> Any:
    """The TRL config (``DPOConfig`` or ``RewardConfig``) for one seed."""
    use_cpu, bf16 = resolve_precision(config)
    report = config.report_to
    if report == "auto":
        report = "tensorboard" if installed("tensorboard") else "none"
    scale = config.resolved_margin_scale(n_types)
    common: dict[str, Any] = dict(
        output_dir=str(output_dir),
        seed=int(seed),
        data_seed=int(seed),
        learning_rate=config.learning_rate,
        lr_scheduler_type=config.lr_scheduler_type,
        warmup_steps=config.warmup_steps,
        weight_decay=config.weight_decay,
        adam_beta1=config.adam_beta1,
        adam_beta2=config.adam_beta2,
        adam_epsilon=config.adam_epsilon,
        max_grad_norm=config.max_grad_norm,
        optim="adamw_torch",
        num_train_epochs=config.num_train_epochs,
        per_device_train_batch_size=config.per_device_train_batch_size,
        per_device_eval_batch_size=config.per_device_eval_batch_size,
        gradient_accumulation_steps=config.gradient_accumulation_steps,
        activation_checkpointing=config.gradient_checkpointing,
        bf16=bf16,
        use_cpu=use_cpu,
        logging_steps=config.logging_steps,
        logging_first_step=True,
        save_strategy="steps",
        save_steps=config.save_steps,
        save_total_limit=config.save_total_limit,
        eval_strategy="steps" if eval_ else "no",
        eval_steps=config.eval_steps,
        report_to=report,
        disable_dropout=False,
        disable_tqdm=True,
        dataloader_drop_last=False,
        ddp_find_unused_parameters=False,  # every trainable (LoRA, head) parameter is used
    )
    if config.objective == "reward":
        return trl.RewardConfig(**common, max_length=None)
    return trl.DPOConfig(
        **common,
        beta=config.beta * scale,
        max_length=config.max_length + 1,  # room for the end token TRL appends
        loss_type=["sigmoid"],
    )


def make_trainer(
    model_dir: str | Path,
    pairs: PreferencePairs,
    config: LLMTrainConfig,
    output_dir: str | Path,
    seed: int,
    tokenizer: Any = None,
    n_types: int = 3,
    eval_pairs: PreferencePairs | None = None,
) -> Any:
    """A TRL trainer for one seed: ``DPOTrainer`` (uniform or base reference) or ``RewardTrainer``.

    The model is loaded and given fresh LoRA adapters with torch's generator seeded by
    ``seed`` (a reward model's new head too).
    """
    tok = load_tokenizer(model_dir) if tokenizer is None else tokenizer
    use_cpu, bf16 = resolve_precision(config)
    args = trainer_arguments(config, output_dir, seed, n_types, eval_pairs is not None)
    transformers.set_seed(int(seed))
    dtype = torch.bfloat16 if bf16 and not use_cpu else torch.float32
    model = load_model(model_dir, config.objective, dtype, tok.pad_token_id)
    peft_config = add_lora_config(
        config.objective,
        config.lora_r,
        config.lora_alpha,
        config.lora_dropout,
        config.target_modules(),
    )
    callbacks = [MetricsCSV(Path(output_dir) / METRICS_CSV)]
    trainer = _build(model, args, pairs, config, n_types, tok, peft_config, callbacks, eval_pairs)
    trainer.remove_callback(transformers.PrinterCallback)  # logs go to metrics.csv, not stdout
    return trainer


def _build(
    model: Any,
    args: Any,
    pairs: PreferencePairs,
    config: LLMTrainConfig,
    n_types: int,
    tok: Any,
    peft_config: Any,
    callbacks: list[Any],
    eval_pairs: PreferencePairs | None,
) -> Any:
    if config.objective == "reward":
        scale = config.resolved_margin_scale(n_types)
        trainer = trl.RewardTrainer(
            model=model,
            args=args,
            train_dataset=pairs.token_dataset(),
            eval_dataset=None if eval_pairs is None else eval_pairs.token_dataset(),
            processing_class=tok,
            peft_config=peft_config,
            callbacks=callbacks,
        )
        if scale != 1.0:
            _scale_reward_head(trainer.model, scale)
        return trainer
    uniform = config.reference == "uniform"
    cls = UniformReferenceDPOTrainer if uniform else trl.DPOTrainer
    return cls(
        model=model,
        args=args,
        train_dataset=_dpo_dataset(pairs, uniform),
        eval_dataset=None if eval_pairs is None else _dpo_dataset(eval_pairs, uniform),
        processing_class=tok,
        peft_config=peft_config,
        callbacks=callbacks,
    )


def _scale_reward_head(peft_model: Any, scale: float) -> None:
    """Multiply the reward head's output by ``scale`` during training (Prop. 6.1's |U|)."""
    head = peft_model.get_base_model().score
    head.register_forward_hook(lambda _m, _i, out: out * scale)


@contextlib.contextmanager
def preserved_random_state() -> Iterator[None]:
    """Restore Python's, numpy's and torch's global generators afterwards.

    transformers' ``Trainer`` seeds all three globally (``set_seed``); the caller's state is
    put back when the run ends.
    """
    py, npy = random.getstate(), np.random.get_state()  # noqa: NPY002
    cpu = torch.random.get_rng_state()
    cuda = torch.cuda.get_rng_state_all() if torch.cuda.is_available() else None
    try:
        yield
    finally:
        random.setstate(py)
        np.random.set_state(npy)  # noqa: NPY002
        torch.random.set_rng_state(cpu)
        if cuda is not None:
            torch.cuda.set_rng_state_all(cuda)


def last_checkpoint(output_dir: str | Path) -> str | None:
    """The newest ``checkpoint-<step>`` folder in ``output_dir`` (None if there is none)."""
    path = Path(output_dir)
    if not path.is_dir():
        return None
    return transformers.trainer_utils.get_last_checkpoint(str(path))


@dataclass
class TrainedLLM:
    """A trained PEFT model and its seed result."""

    model: Any
    result: SeedResult


def train_llm(
    model_dir: str | Path,
    data: LLMData,
    config: LLMTrainConfig,
    seed: int,
    output_dir: str | Path,
    tokenizer: Any = None,
    resume: bool = False,
    callbacks: Sequence[Any] = (),
) -> TrainedLLM:
    """Train one seed with TRL, save its adapter in ``output_dir`` and evaluate it on ``data.test``.

    Randomness: labels from ``numpy.random.default_rng(seed)``; LoRA (and head) initialisation,
    dropout and the batch order from ``seed`` through transformers' ``set_seed`` (the
    caller's global generators are restored afterwards). ``resume=True`` continues from the
    newest ``checkpoint-<step>`` in ``output_dir`` when there is one.
    """
    tok = load_tokenizer(model_dir) if tokenizer is None else tokenizer
    pairs = train_pairs(data, config.dataset, seed)
    checkpoint = last_checkpoint(output_dir) if resume else None
    with preserved_random_state():
        trainer = make_trainer(
            model_dir, pairs, config, output_dir, seed, tok, data.n_types, _eval_pairs(data, config)
        )
        for cb in callbacks:
            trainer.add_callback(cb)
        start = time.perf_counter()
        trainer.train(resume_from_checkpoint=checkpoint)
        seconds = time.perf_counter() - start
        trainer.save_model(str(output_dir))
        acc = trainer.accelerator
        model = acc.unwrap_model(trainer.model)
        accuracy = evaluate_scorer(
            make_scorer(model, config.objective),
            data.test,
            tok.pad_token_id,
            acc.device,
            config.per_device_eval_batch_size,
            config.reference if config.objective == "dpo" else "uniform",
            acc.autocast,
            ties=data.ties,
        )
        if acc.is_main_process:
            save_adapter_meta(output_dir, config, seed, data.n_types)
        acc.wait_for_everyone()
    losses = [e["loss"] for e in trainer.state.log_history if "loss" in e]
    result = SeedResult(
        seed=int(seed),
        accuracy=float(accuracy),
        loss_first=float(losses[0]) if losses else float("nan"),
        loss_last=float(losses[-1]) if losses else float("nan"),
        optimizer_steps=int(trainer.state.global_step),
        train_seconds=seconds,
        train_tokens=int(getattr(trainer, "_total_train_tokens", 0)),
        output_dir=str(output_dir),
        resumed_from=checkpoint,
    )
    return TrainedLLM(model, result)


def _eval_pairs(data: LLMData, config: LLMTrainConfig) -> PreferencePairs | None:
    """The test pairs as TRL evaluation data, when periodic evaluation is on."""
    return None if config.eval_steps is None else data.test_pairs


def save_adapter_meta(
    output_dir: str | Path, config: LLMTrainConfig, seed: int, n_types: int
) -> Path:
    """Write the settings needed to evaluate the saved adapter beside it."""
    path = Path(output_dir) / ADAPTER_META
    meta = {
        "objective": config.objective,
        "reference": config.reference,
        "dataset": config.dataset,
        "seed": int(seed),
        "margin_scale": config.resolved_margin_scale(n_types),
        "config": config.to_dict(),
    }
    path.write_text(json.dumps(meta, indent=2) + "\n", encoding="utf-8")
    return path


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


def _reference_scores(scorer: Any, ids: Any, mask: Any) -> Any:
    with torch.no_grad(), scorer.model.disable_adapter():
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
    ties: str = "drop",
) -> float:
    """Share of pairs whose score orders them as labelled.

    ``ties='drop'`` (the paper's text): correct when ``score(preferred) > score(dispreferred)``,
    a model tie counts as wrong. ``ties='authors'``: correct when ``>=`` (a tie counts as
    correct, as in the authors' code). With ``reference='base'`` the score is the induced
    reward ``log pi - log pi_base``.
    """
    if len(pairs) == 0:
        raise ParameterError(
            "The 'pairs' parameter of evaluate_scorer must hold at least one pair."
        )
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
            won = s[:b] >= s[b:] if ties == "authors" else s[:b] > s[b:]
            correct += int(won.sum().item())
    scorer.train(was_training)
    return correct / len(pairs)
