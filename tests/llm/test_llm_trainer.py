"""Training through TRL on a tiny Llama: DPO (uniform and base reference) and reward models,
logging, checkpoints, resume after an interruption, seeds."""

from __future__ import annotations

import csv
import importlib.util
import math
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

torch = pytest.importorskip("torch")
transformers = pytest.importorskip("transformers")

from socialpref.errors import ParameterError  # noqa: E402
from socialpref.llm.config import LLMTrainConfig  # noqa: E402
from socialpref.llm.experiment import evaluate_adapter, run_llm_experiment  # noqa: E402
from socialpref.llm.models import load_model, load_tokenizer, quiet_transformers  # noqa: E402
from socialpref.llm.trainer import (  # noqa: E402
    METRICS_CSV,
    LLMData,
    last_checkpoint,
    prepare_llm_data,
    train_llm,
    train_pairs,
)

quiet_transformers()
# Adapter weights of a resumed run against an uninterrupted one: the same float32 operations
# in the same order (data order, dropout masks and optimizer state come from the checkpoint),
# so they agree to rounding; 1e-6 leaves room for a different summation order in a kernel.
RESUME_ATOL = 1e-6
BASE = LLMTrainConfig(
    per_device_train_batch_size=4,
    max_train_pairs=24,
    max_test_pairs=24,
    learning_rate=1e-3,
    device="cpu",
    logging_steps=1,
    report_to="none",
)


@pytest.fixture(scope="module")
def data(tiny_llama: Path, corpus_dir: Path) -> LLMData:
    return prepare_llm_data(
        load_tokenizer(tiny_llama), corpus_dir, max_train_pairs=24, max_test_pairs=24
    )


def _adapter(model: torch.nn.Module) -> dict[str, torch.Tensor]:
    return {
        n: p.detach().clone()
        for n, p in model.named_parameters()
        if "lora_" in n or "modules_to_save" in n
    }


def test_prepared_data_and_seeded_labels(data: LLMData) -> None:
    counts = data.counts()
    assert counts["train_pairs"] == 24 and counts["train_read"] == 320
    assert counts["test_read"] == 80 and counts["test_pairs"] + counts["test_ties"] <= 24
    a, b = train_pairs(data, "max-info", 0), train_pairs(data, "max-info", 0)
    assert a.records() == b.records() and len(a) == 24
    assert a.records() != train_pairs(data, "max-info", 1).records()


@pytest.mark.parametrize(
    ("objective", "dataset", "reference"),
    [
        ("dpo", "anonymous", "uniform"),
        pytest.param("dpo", "max-info", "base", marks=pytest.mark.slow),
        pytest.param("reward", "max-info", "uniform", marks=pytest.mark.slow),
    ],
)
def test_training_changes_lora_only_logs_and_checkpoints(
    tiny_llama: Path, data: LLMData, tmp_path: Path, objective: str, dataset: str, reference: str
) -> None:
    config = replace(BASE, objective=objective, dataset=dataset, reference=reference, save_steps=4)
    before = {
        n: p.detach().clone()
        for n, p in load_model(tiny_llama, objective, torch.float32).named_parameters()
    }
    run = train_llm(tiny_llama, data, config, 0, tmp_path / "seed-0")
    lora_b = {n: p for n, p in run.model.named_parameters() if "lora_B" in n}
    assert lora_b and any(
        float(p.detach().abs().max()) > 0 for p in lora_b.values()
    )  # B starts at 0
    for name, p in run.model.named_parameters():
        if "lora_" in name or "modules_to_save" in name or "original_module" in name:
            continue
        key = name.replace("base_model.model.", "").replace(".base_layer", "")
        torch.testing.assert_close(p.detach(), before[key], atol=0, rtol=0)
        assert not p.requires_grad
    r = run.result
    assert 0.0 <= r.accuracy <= 1.0 and r.optimizer_steps == 6 and r.train_tokens > 0
    if reference == "base":
        assert r.loss_first == pytest.approx(math.log(2), abs=1e-6)  # policy = reference
    out = tmp_path / "seed-0"
    assert (out / "adapter_model.safetensors").is_file() and (out / "socialpref_llm.json").is_file()
    assert last_checkpoint(out) == str(out / "checkpoint-6")
    assert (out / "checkpoint-4" / "optimizer.pt").is_file()
    with (out / METRICS_CSV).open() as fh:
        rows = list(csv.DictReader(fh))
    losses = [float(r["value"]) for r in rows if r["name"] == "loss"]
    accuracy_name = "accuracy" if objective == "reward" else "rewards/accuracies"
    assert len(losses) == 6 and losses[0] == pytest.approx(r.loss_first)
    assert len([r for r in rows if r["name"] == accuracy_name]) == 6


@pytest.mark.slow
def test_margin_scale_is_the_loss_multiplier(
    tiny_llama: Path, data: LLMData, tmp_path: Path
) -> None:
    # DPO's -log sigma(s * beta * h): the same run with (beta, s) = (1, 3) and (3, 1).
    a = train_llm(tiny_llama, data, replace(BASE, dataset="max-info"), 0, tmp_path / "a")
    b = train_llm(
        tiny_llama,
        data,
        replace(BASE, dataset="max-info", beta=3.0, margin_scale=1.0),
        0,
        tmp_path / "b",
    )
    for (na, pa), (nb, pb) in zip(
        _adapter(a.model).items(), _adapter(b.model).items(), strict=True
    ):
        assert na == nb
        torch.testing.assert_close(pa, pb, atol=1e-6, rtol=1e-5)


class Interrupt(RuntimeError):
    """Raised by the callback below to stand for a preemption."""


class StopAt(transformers.TrainerCallback):
    def __init__(self, step: int) -> None:
        self.step = step

    def on_step_end(self, args, state, control, **kwargs):  # type: ignore[no-untyped-def]
        if state.global_step == self.step:
            raise Interrupt(f"stopped at step {self.step}")


@pytest.mark.slow
@pytest.mark.parametrize("objective", ["dpo", "reward"])
def test_interrupted_and_resumed_equals_uninterrupted(
    tiny_llama: Path, data: LLMData, tmp_path: Path, objective: str
) -> None:
    config = replace(BASE, objective=objective, save_steps=2)  # dropout 0.1 stays on
    whole = train_llm(tiny_llama, data, config, 5, tmp_path / "whole")
    with pytest.raises(Interrupt):
        train_llm(tiny_llama, data, config, 5, tmp_path / "cut", callbacks=[StopAt(5)])
    assert last_checkpoint(tmp_path / "cut") == str(tmp_path / "cut" / "checkpoint-4")
    resumed = train_llm(tiny_llama, data, config, 5, tmp_path / "cut", resume=True)
    assert resumed.result.resumed_from == str(tmp_path / "cut" / "checkpoint-4")
    assert resumed.result.optimizer_steps == whole.result.optimizer_steps == 6
    wa, wb = _adapter(whole.model), _adapter(resumed.model)
    assert wa.keys() == wb.keys()
    for name in wa:
        torch.testing.assert_close(wb[name], wa[name], atol=RESUME_ATOL, rtol=0)
    assert resumed.result.accuracy == pytest.approx(whole.result.accuracy, abs=1e-12)
    with (tmp_path / "cut" / METRICS_CSV).open() as fh:
        steps = [int(r["step"]) for r in csv.DictReader(fh) if r["name"] == "loss"]
    assert steps == [1, 2, 3, 4, 5, 6]  # the interrupted run's step-5 row is not kept twice


@pytest.mark.slow
def test_seeds_reproduce_and_differ(tiny_llama: Path, data: LLMData, tmp_path: Path) -> None:
    config = replace(BASE, objective="reward")
    state = torch.random.get_rng_state()
    a = train_llm(tiny_llama, data, config, 3, tmp_path / "a").result
    assert torch.equal(torch.random.get_rng_state(), state)  # the caller's generator is restored
    b = train_llm(tiny_llama, data, config, 3, tmp_path / "b").result
    c = train_llm(tiny_llama, data, config, 4, tmp_path / "c").result
    assert (a.accuracy, a.loss_first, a.loss_last) == (b.accuracy, b.loss_first, b.loss_last)
    assert (a.loss_first, a.loss_last) != (c.loss_first, c.loss_last)


@pytest.mark.slow
def test_experiment_result_and_saved_adapter(
    tiny_llama: Path, corpus_dir: Path, tmp_path: Path
) -> None:
    config = replace(BASE, dataset="max-info", gradient_accumulation_steps=2)
    seen: list[int] = []
    res = run_llm_experiment(
        tiny_llama,
        corpus_dir,
        config,
        tmp_path,
        seeds=[0, 1],
        progress=lambda s: seen.append(s.seed),
    )
    d = res.to_dict()
    assert seen == [0, 1] and [s["seed"] for s in d["seeds"]] == [0, 1]
    assert {"objective", "dataset", "train_pairs", "test_pairs", "test_ties", "seeds"} <= set(d)
    assert d["margin_scale"] == 3.0 and d["seeds"][0]["optimizer_steps"] == 3
    assert d["environment"]["num_processes"] == 1 and "trl" in d["environment"]
    ev = evaluate_adapter(
        tiny_llama, tmp_path / "seed-0", corpus_dir, max_test_pairs=24, device="cpu"
    )
    assert ev.objective == "dpo" and ev.accuracy == pytest.approx(res.seeds[0].accuracy, abs=1e-12)
    assert np.isfinite(res.accuracies).all()


@pytest.mark.slow
def test_periodic_evaluation_logs_test_accuracy(
    tiny_llama: Path, data: LLMData, tmp_path: Path
) -> None:
    config = replace(BASE, objective="reward", eval_steps=3, report_to="auto")
    train_llm(tiny_llama, data, config, 0, tmp_path)
    if importlib.util.find_spec("tensorboard") is not None:  # auto: TensorBoard when installed
        assert list(tmp_path.glob("runs/*/events.out.tfevents.*"))
    with (tmp_path / METRICS_CSV).open() as fh:
        evals = [
            (int(r["step"]), float(r["value"]))
            for r in csv.DictReader(fh)
            if r["name"] == "eval_accuracy"
        ]
    assert [s for s, _ in evals] == [3, 6] and all(0 <= v <= 1 for _, v in evals)


def test_config_validation() -> None:
    with pytest.raises(ParameterError, match="'objective'"):
        LLMTrainConfig(objective="ppo")
    with pytest.raises(ParameterError, match="'dataset'"):
        LLMTrainConfig(dataset="test")
    with pytest.raises(ParameterError, match="'reference'"):
        LLMTrainConfig(objective="reward", reference="base")
    with pytest.raises(ParameterError, match="'per_device_train_batch_size'"):
        LLMTrainConfig(per_device_train_batch_size=0)
    with pytest.raises(ParameterError, match="'learning_rate'"):
        LLMTrainConfig(learning_rate=-1.0)
    with pytest.raises(ParameterError, match="'ties'"):
        LLMTrainConfig(ties="keep")
    assert LLMTrainConfig(dataset="max-info").resolved_margin_scale(3) == 3.0
    assert LLMTrainConfig(dataset="anonymous").resolved_margin_scale(3) == 1.0
    assert LLMTrainConfig(margin_scale=2.0).resolved_margin_scale(3) == 2.0
    assert LLMTrainConfig(lora_target_modules="q_proj, v_proj").target_modules() == [
        "q_proj",
        "v_proj",
    ]


def test_cuda_asked_for_and_absent(tiny_llama: Path, data: LLMData, tmp_path: Path) -> None:
    if torch.cuda.is_available():
        pytest.skip("CUDA present")
    with pytest.raises(ParameterError, match="CUDA"):
        train_llm(tiny_llama, data, replace(BASE, device="cuda"), 0, tmp_path)
