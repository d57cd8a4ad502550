"""Whole LLM experiments (paper Section 7.3, Tables 1-2, Fig. 5) and evaluation of saved adapters.

:func:`run_llm_experiment` prepares the data once and trains one LoRA model per seed with
:func:`socialpref.llm.trainer.train_llm`; :func:`evaluate_adapter` reloads a saved adapter and
measures its agreement with the average reward on the test pairs.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import numpy as np

from socialpref._typing import ArrayLike
from socialpref.llm._deps import missing

try:
    import peft
    import torch
    import transformers
except ImportError as exc:  # pragma: no cover - the llm extra is installed for the tests
    raise ImportError(missing(exc.name or "torch")) from None

from socialpref.llm.hh import DEFAULT_SUBSETS, read_hh, tokenize_pairs
from socialpref.llm.models import load_model, load_tokenizer, make_scorer
from socialpref.llm.relabel import average_ties, orient_pairs, relabel
from socialpref.llm.rewards import LengthReward, RewardFn
from socialpref.llm.trainer import (
    ADAPTER_META,
    LLMTrainConfig,
    SeedResult,
    evaluate_scorer,
    make_accelerator,
    prepare_llm_data,
    train_llm,
)
from socialpref.train.device import resolve_device


@dataclass(frozen=True)
class LLMExperimentResult:
    """All seeds of one (objective, dataset) experiment (paper Tables 1-2, Fig. 5).

    Attributes
    ----------
    config : LLMTrainConfig
    model, data : str
        Paths of the model folder and the data.
    train_pairs, test_pairs : int
        Pairs used after the length filter (test: without average-reward ties).
    test_ties : int
    train_read, test_read : int
        Pairs read before filtering.
    user_types : tuple of str
    margin_scale : float
    seeds : tuple of SeedResult
    environment : dict
        Device, bf16, number of processes, package versions.
    """

    config: LLMTrainConfig
    model: str
    data: str
    train_pairs: int
    test_pairs: int
    test_ties: int
    train_read: int
    test_read: int
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
            "train_pairs": self.train_pairs,
            "test_pairs": self.test_pairs,
            "test_ties_dropped": self.test_ties,
            "train_read": self.train_read,
            "test_read": self.test_read,
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
    seeds: Sequence[int] = (0, 1, 2, 3, 4),
    rewards: Sequence[LengthReward | RewardFn] | None = None,
    type_weights: ArrayLike | None = None,
    subsets: Sequence[str] | None = DEFAULT_SUBSETS,
    adapter_root: str | Path | None = None,
    progress: Callable[[SeedResult], None] | None = None,
) -> LLMExperimentResult:
    """Train and evaluate one experiment for every seed.

    Parameters
    ----------
    model_dir : path
        Local Hugging Face model folder (config, weights, tokenizer).
    data_dir : path
        HH-RLHF-style data (see :mod:`socialpref.llm.hh`).
    config : LLMTrainConfig
    seeds : sequence of int
    rewards, type_weights :
        User types (default: the paper's three, uniform).
    subsets : sequence of str
        Subfolders of ``data_dir`` to read (default helpful-base, harmless-base).
    adapter_root : path, optional
        Save each seed's adapter in ``adapter_root/seed-<k>``.
    progress : callable, optional
        Called with each :class:`SeedResult` as it completes.
    """
    seeds = [int(s) for s in seeds]
    if not seeds:
        raise ValueError(
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
    )
    acc, use_bf16 = make_accelerator(config.device, config.bf16)
    results = []
    for seed in seeds:
        adapter = None if adapter_root is None else Path(adapter_root) / f"seed-{seed}"
        run = train_llm(model_dir, data, config, seed, tok, adapter, acc)
        results.append(run.result)
        del run
        if progress is not None:
            progress(results[-1])
    env = {
        "device": str(acc.device),
        "bf16": use_bf16,
        "num_processes": acc.num_processes,
        "torch": torch.__version__,
        "transformers": transformers.__version__,
        "peft": peft.__version__,
    }
    return LLMExperimentResult(
        config=config,
        model=str(model_dir),
        data=str(data_dir),
        train_pairs=len(data.train),
        test_pairs=len(data.test),
        test_ties=data.test_ties,
        train_read=data.train_read,
        test_read=data.test_read,
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
) -> EvalResult:
    """Load ``model_dir`` with the LoRA adapter saved by :func:`train_llm` and measure its accuracy."""
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
    test_text = read_hh(data_dir, "test", subsets)
    test_tok = tokenize_pairs(tok, test_text, max_length).head(max_test_pairs)
    la, lb = test_tok.lengths
    ties = average_ties(la, lb, rewards)
    pairs = orient_pairs(
        test_tok.first, test_tok.second, relabel(la, lb, "test", rewards), keep=~ties
    )
    if len(pairs) == 0:
        raise ValueError(f"No test pairs ordered by the average reward in {data_dir}.")
    dev = resolve_device(device)
    use_bf16 = dev.type == "cuda" if bf16 is None else bool(bf16)
    model = load_model(
        model_dir, objective, torch.bfloat16 if use_bf16 else torch.float32, tok.pad_token_id
    )
    model = peft.PeftModel.from_pretrained(model, adapter).to(dev)
    scorer = make_scorer(model, objective)

    def autocast() -> Any:
        return torch.autocast(dev.type, dtype=torch.bfloat16, enabled=use_bf16)

    acc = evaluate_scorer(scorer, pairs, tok.pad_token_id, dev, batch_size, reference, autocast)
    return EvalResult(objective, reference, float(acc), len(pairs), int(ties.sum()), str(adapter))
