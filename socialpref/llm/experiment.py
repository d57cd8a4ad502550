"""Whole LLM experiments (paper Section 7.3, Tables 1-2, Fig. 5) and evaluation of saved adapters.

:func:`run_llm_experiment` prepares the data once and trains one LoRA model per seed with
:func:`socialpref.llm.trainer.train_llm`, each in ``<output_dir>/seed-<k>``;
:func:`evaluate_adapter` reloads a saved adapter and measures its agreement with the average
reward on the test pairs.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import numpy as np

from socialpref._typing import ArrayLike
from socialpref.errors import DataError, ParameterError
from socialpref.llm._deps import missing
from socialpref.llm.config import LLMTrainConfig
from socialpref.llm.hh import DEFAULT_SUBSETS, read_hh, tokenize_pairs
from socialpref.llm.models import load_model, load_tokenizer, make_scorer
from socialpref.llm.preference_data import preference_pairs
from socialpref.llm.rewards import LengthReward, RewardFn
from socialpref.llm.trainer import (
    ADAPTER_META,
    SeedResult,
    evaluate_scorer,
    prepare_llm_data,
    resolve_precision,
    train_llm,
)

try:
    import accelerate
    import peft
    import torch
    import transformers
    import trl
except ImportError as exc:  # pragma: no cover - the llm extra is installed for the tests
    raise missing(exc.name or "torch") from None


@dataclass(frozen=True)
class LLMExperimentResult:
    """All seeds of one (objective, dataset) experiment (paper Tables 1-2, Fig. 5).

    Attributes
    ----------
    config : LLMTrainConfig
    model, data : str
        Paths of the model folder and the data.
    counts : dict
        Pairs read, kept, truncated and tied (see :meth:`LLMData.counts`).
    user_types : tuple of str
    margin_scale : float
    seeds : tuple of SeedResult
    environment : dict
        Device, bf16, number of processes, package versions.
    """

    config: LLMTrainConfig
    model: str
    data: str
    counts: dict[str, int]
    user_types: tuple[str, ...]
    margin_scale: float
    seeds: tuple[SeedResult, ...]
    environment: dict[str, Any]

    @property
    def accuracies(self) -> np.ndarray:
        return np.asarray([s.accuracy for s in self.seeds], dtype=np.float64)

    def summary(self) -> dict[str, float]:
        """Mean, median and quartiles of the accuracy across seeds."""
        a = self.accuracies
        q25, q50, q75 = np.percentile(a, [25, 50, 75])
        return {"mean": float(a.mean()), "median": float(q50), "q25": float(q25), "q75": float(q75)}

    def to_dict(self) -> dict[str, Any]:
        return {
            "objective": self.config.objective,
            "dataset": self.config.dataset,
            "reference": self.config.reference,
            "model": self.model,
            "data": self.data,
            **self.counts,
            "ties": self.config.ties,
            "length_policy": self.config.length_policy,
            "user_types": list(self.user_types),
            "margin_scale": self.margin_scale,
            "seeds": [s.to_dict() for s in self.seeds],
            "summary": self.summary(),
            "settings": self.config.to_dict(),
            "environment": self.environment,
        }


def run_llm_experiment(
    model_dir: str | Path,
    data_dir: str | Path,
    config: LLMTrainConfig,
    output_dir: str | Path,
    seeds: Sequence[int] = (0, 1, 2, 3, 4),
    rewards: Sequence[LengthReward | RewardFn] | None = None,
    type_weights: ArrayLike | None = None,
    subsets: Sequence[str] | None = DEFAULT_SUBSETS,
    resume: bool = False,
    progress: Callable[[SeedResult], None] | None = None,
    callbacks_for: Callable[[int], Any] | None = None,
) -> LLMExperimentResult:
    """Train and evaluate one experiment for every seed, seed ``k`` in ``output_dir/seed-<k>``.

    Parameters
    ----------
    model_dir : path
        Local Hugging Face model folder (config, weights, tokenizer).
    data_dir : path
        HH-RLHF-style data (see :mod:`socialpref.llm.hh`).
    config : LLMTrainConfig
    output_dir : path
        Each seed's adapter, checkpoints, ``metrics.csv`` and TensorBoard ``runs/``.
    seeds : sequence of int
    rewards, type_weights :
        User types (default: the paper's three, uniform).
    subsets : sequence of str
        Subfolders of ``data_dir`` to read (default helpful-base, harmless-base).
    resume : bool
        Continue each seed from its newest checkpoint (a finished seed is not retrained:
        its last checkpoint is its end).
    progress : callable, optional
        Called with each :class:`SeedResult` as it completes.
    callbacks_for : callable, optional
        ``callbacks_for(seed)`` gives a ``transformers.TrainerCallback`` for that seed's
        trainer (for instance a progress bar).
    """
    seeds = [int(s) for s in seeds]
    if not seeds:
        raise ParameterError(
            "The 'seeds' parameter must hold at least one seed. Got an empty sequence."
        )
    tok = load_tokenizer(model_dir)
    data = prepare_llm_data(
        tok,
        data_dir,
        config.max_length,
        subsets,
        config.max_train_pairs,
        config.max_test_pairs,
        rewards,
        type_weights,
        config.length_policy,
        config.ties,
    )
    results = []
    for seed in seeds:
        extra = () if callbacks_for is None else (callbacks_for(seed),)
        run = train_llm(
            model_dir, data, config, seed, Path(output_dir) / f"seed-{seed}", tok, resume, extra
        )
        results.append(run.result)
        del run
        if progress is not None:
            progress(results[-1])
    bf16 = resolve_precision(config)[1]
    state = accelerate.PartialState()
    env = {
        "device": str(state.device),
        "bf16": bf16,
        "num_processes": state.num_processes,
        "torch": torch.__version__,
        "transformers": transformers.__version__,
        "peft": peft.__version__,
        "trl": trl.__version__,
    }
    return LLMExperimentResult(
        config=config,
        model=str(model_dir),
        data=str(data_dir),
        counts=data.counts(),
        user_types=tuple(r.name for r in data.rewards),
        margin_scale=config.resolved_margin_scale(data.n_types),
        seeds=tuple(results),
        environment=env,
    )


@dataclass(frozen=True)
class EvalResult:
    """Accuracy of a saved adapter on the test pairs."""

    objective: str
    reference: str
    accuracy: float
    test_pairs: int
    test_ties: int
    ties: str
    adapter: str

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def evaluate_adapter(
    model_dir: str | Path,
    adapter_dir: str | Path,
    data_dir: str | Path,
    max_length: int = 512,
    subsets: Sequence[str] | None = DEFAULT_SUBSETS,
    max_test_pairs: int | None = None,
    batch_size: int = 8,
    device: str = "auto",
    bf16: bool | None = None,
    rewards: Sequence[LengthReward | RewardFn] | None = None,
    ties: str = "drop",
    length_policy: str = "drop",
) -> EvalResult:
    """Load ``model_dir`` with a LoRA adapter saved by :func:`train_llm` and measure its accuracy."""
    adapter = Path(adapter_dir)
    meta_path = adapter / ADAPTER_META
    if not (adapter / "adapter_config.json").is_file():
        raise FileNotFoundError(f"No LoRA adapter in {adapter} (adapter_config.json missing).")
    if meta_path.is_file():
        meta = json.loads(meta_path.read_text(encoding="utf-8"))
        objective, reference = meta["objective"], meta.get("reference", "uniform")
    else:
        task = json.loads((adapter / "adapter_config.json").read_text(encoding="utf-8")).get(
            "task_type"
        )
        objective, reference = ("reward" if task == "SEQ_CLS" else "dpo"), "uniform"
    tok = load_tokenizer(model_dir)
    text = read_hh(data_dir, "test", subsets)
    tokens = tokenize_pairs(tok, text, max_length, length_policy=length_policy)
    pairs = preference_pairs(text, tokens.head(max_test_pairs), "test", None, ties, rewards)
    if len(pairs) == 0:
        raise DataError(f"No test pairs ordered by the average reward in {data_dir}.")
    cfg = LLMTrainConfig(objective=objective, reference=reference, device=device, bf16=bf16)
    use_cpu, use_bf16 = resolve_precision(cfg)
    dev = torch.device("cpu" if use_cpu else "cuda")
    dtype = torch.bfloat16 if use_bf16 else torch.float32
    model = load_model(model_dir, objective, dtype, tok.pad_token_id)
    model = peft.PeftModel.from_pretrained(model, adapter).to(dev)

    def autocast() -> Any:
        return torch.autocast(dev.type, dtype=torch.bfloat16, enabled=use_bf16)

    acc = evaluate_scorer(
        make_scorer(model, objective),
        pairs.labelled(),
        tok.pad_token_id,
        dev,
        batch_size,
        reference,
        autocast,
        ties=ties,
    )
    return EvalResult(
        objective,
        reference,
        float(acc),
        len(pairs),
        int(pairs.info["ties_found"]),
        ties,
        str(adapter),
    )
