"""The whole pipeline on a tiny Llama: relabel, train DPO and reward models a few steps, evaluate."""

from __future__ import annotations

import math
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

torch = pytest.importorskip("torch")

from socialpref.llm.experiment import evaluate_adapter, run_llm_experiment  # noqa: E402
from socialpref.llm.models import load_tokenizer, quiet_transformers  # noqa: E402
from socialpref.llm.trainer import (  # noqa: E402
    LLMData,
    LLMTrainConfig,
    prepare_llm_data,
    train_labels,
    train_llm,
)

quiet_transformers()
BASE = LLMTrainConfig(
    batch_size=4, max_train_pairs=24, max_test_pairs=24, learning_rate=1e-3, device="cpu"
)


@pytest.fixture(scope="module")
def data(tiny_llama: Path, corpus_dir: Path) -> LLMData:
    return prepare_llm_data(
        load_tokenizer(tiny_llama), corpus_dir, max_train_pairs=24, max_test_pairs=24
    )


def _base_weights(model: torch.nn.Module) -> dict[str, torch.Tensor]:
    return {
        n: p.detach().clone()
        for n, p in model.named_parameters()
        if "lora_" not in n and "modules_to_save" not in n
    }


def test_prepared_data_is_labelled_by_the_average_reward(data: LLMData) -> None:
    assert len(data.train) == 24 and data.train_read == 320 and data.test_read == 80
    assert len(data.test) + data.test_ties <= 24
    assert data.n_types == 3
    labelled = train_labels(data, "max-info", seed=0)
    assert len(labelled) == 24
    again = train_labels(data, "max-info", 0)
    assert all(a is b for a, b in zip(again.preferred, labelled.preferred, strict=True))


@pytest.mark.parametrize(
    ("objective", "dataset", "reference"),
    [
        ("dpo", "anonymous", "uniform"),
        ("dpo", "max-info", "base"),
        ("reward", "max-info", "uniform"),
    ],
)
def test_training_changes_lora_only_and_evaluates(
    tiny_llama: Path, data: LLMData, objective: str, dataset: str, reference: str
) -> None:
    config = replace(BASE, objective=objective, dataset=dataset, reference=reference)
    from socialpref.llm.models import load_model

    before = _base_weights(load_model(tiny_llama, objective, torch.float32))
    run = train_llm(tiny_llama, data, config, seed=0)
    peft_model = run.scorer.model
    lora = {n: p for n, p in peft_model.named_parameters() if "lora_B" in n}
    assert lora and any(
        float(p.detach().abs().max()) > 0 for p in lora.values()
    )  # B starts at 0: it moved
    after = {
        n.replace("base_model.model.", "").replace(".base_layer", ""): p
        for n, p in peft_model.named_parameters()
    }
    for name, weight in before.items():
        if name.startswith("score."):
            continue  # the reward head is new and trained in full (modules_to_save)
        torch.testing.assert_close(after[name], weight, atol=0, rtol=0)
    assert not any(
        p.requires_grad
        for n, p in peft_model.named_parameters()
        if "lora_" not in n and "score" not in n
    )
    r = run.result
    assert 0.0 <= r.accuracy <= 1.0 and r.optimizer_steps == 6 and r.train_tokens <= r.padded_tokens
    if reference == "base":
        assert r.loss_first == pytest.approx(math.log(2), abs=1e-6)  # policy = reference at step 0


def test_seeds_reproduce(tiny_llama: Path, data: LLMData) -> None:
    config = replace(BASE, objective="reward")
    a = train_llm(tiny_llama, data, config, seed=3).result
    b = train_llm(tiny_llama, data, config, seed=3).result
    c = train_llm(tiny_llama, data, config, seed=4).result
    assert (a.accuracy, a.loss_first, a.loss_last) == (b.accuracy, b.loss_first, b.loss_last)
    assert (a.loss_first, a.loss_last) != (c.loss_first, c.loss_last)


def test_experiment_result_and_saved_adapter(
    tiny_llama: Path, corpus_dir: Path, tmp_path: Path
) -> None:
    config = replace(BASE, dataset="max-info", grad_accum=2)
    seen: list[int] = []
    res = run_llm_experiment(
        tiny_llama,
        corpus_dir,
        config,
        seeds=[0, 1],
        adapter_root=tmp_path,
        progress=lambda s: seen.append(s.seed),
    )
    d = res.to_dict()
    assert seen == [0, 1] and [s["seed"] for s in d["seeds"]] == [0, 1]
    assert {"objective", "dataset", "train_pairs", "test_pairs", "seeds", "settings"} <= set(d)
    assert d["margin_scale"] == 3.0 and d["seeds"][0]["optimizer_steps"] == 3
    assert d["summary"]["q25"] <= d["summary"]["mean"] <= d["summary"]["q75"] or len(res.seeds) < 3
    ev = evaluate_adapter(
        tiny_llama, tmp_path / "seed-0", corpus_dir, max_test_pairs=24, device="cpu"
    )
    assert ev.objective == "dpo" and ev.accuracy == pytest.approx(res.seeds[0].accuracy, abs=1e-12)
    assert np.isfinite(res.accuracies).all()


def test_config_validation() -> None:
    with pytest.raises(ValueError, match="'objective'"):
        LLMTrainConfig(objective="ppo")
    with pytest.raises(ValueError, match="'dataset'"):
        LLMTrainConfig(dataset="test")
    with pytest.raises(ValueError, match="'reference'"):
        LLMTrainConfig(objective="reward", reference="base")
    with pytest.raises(ValueError, match="'batch_size'"):
        LLMTrainConfig(batch_size=0)
    with pytest.raises(ValueError, match="'learning_rate'"):
        LLMTrainConfig(learning_rate=-1.0)
    assert LLMTrainConfig(dataset="max-info").resolved_margin_scale(3) == 3.0
    assert LLMTrainConfig(dataset="anonymous").resolved_margin_scale(3) == 1.0
    assert LLMTrainConfig(margin_scale=2.0).resolved_margin_scale(3) == 2.0


def test_cuda_asked_for_and_absent(tiny_llama: Path, data: LLMData) -> None:
    if torch.cuda.is_available():
        pytest.skip("CUDA present")
    with pytest.raises(ValueError, match="CUDA"):
        train_llm(tiny_llama, data, replace(BASE, device="cuda"), seed=0)
