"""`socialpref train llm` and `socialpref train llm-eval`: LoRA DPO / reward models on relabelled HH-RLHF.

torch, transformers and peft are imported inside the command bodies, so ``socialpref --help``
works without the ``llm`` extra.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import typer

from socialpref_cli.common import atomic_path, console, fail, parse_seeds, run_library, write_json

LLM_EXTRA = "install the 'llm' extra: pip install 'socialpref[llm]'"


def _import_llm() -> Any:
    try:
        from socialpref.llm import experiment, figure, trainer
        from socialpref.llm.models import quiet_transformers
    except ImportError as exc:
        msg = str(exc) if "'llm' extra" in str(exc) else f"{exc}; {LLM_EXTRA}"
        raise fail(msg) from None
    quiet_transformers()
    return trainer, experiment, figure


def _subsets(text: str) -> list[str]:
    return [s.strip() for s in text.split(",") if s.strip()]


def register(train_app: typer.Typer) -> None:
    """Add ``llm`` and ``llm-eval`` to the `train` group."""

    @train_app.command("llm")
    def llm(
        model: Path = typer.Option(
            ..., help="Local Hugging Face model folder (weights, config, tokenizer)."
        ),
        data: Path = typer.Option(
            ...,
            help="HH-RLHF-style data: folder with <subset>/{train,test}.jsonl.gz, or a folder/file of jsonl.",
        ),
        objective: str = typer.Option(
            "dpo", help="dpo (policy, induced reward) or reward (reward model)."
        ),
        dataset: str = typer.Option(
            "anonymous", help="Training labels: anonymous, max-info or average."
        ),
        reference: str = typer.Option(
            "uniform", help="DPO reference policy: uniform (paper) or base (frozen base model)."
        ),
        seeds: str = typer.Option("0-4", help="Seeds, e.g. 0-4 or 0,2,5."),
        subsets: str = typer.Option(
            "helpful-base,harmless-base", help="Comma-separated subfolders of --data."
        ),
        max_length: int = typer.Option(
            512, help="Keep pairs with both dialogues <= this many tokens."
        ),
        batch_size: int = typer.Option(2, help="Pairs per micro-batch (per process)."),
        grad_accum: int = typer.Option(1, help="Micro-batches per optimizer step."),
        learning_rate: float = typer.Option(
            3e-5, help="Initial learning rate (linear decay to 0)."
        ),
        beta: float = typer.Option(1.0, help="DPO beta."),
        max_train_pairs: int | None = typer.Option(
            None, help="Use only the first N training pairs."
        ),
        max_test_pairs: int | None = typer.Option(None, help="Use only the first N test pairs."),
        gradient_checkpointing: bool = typer.Option(
            False, help="Recompute activations in backward (less memory)."
        ),
        checkpoint_fraction: float = typer.Option(
            1.0, help="Share of layers checkpointed with --gradient-checkpointing (e.g. 0.5)."
        ),
        device: str = typer.Option("auto", help="auto, cpu or cuda."),
        save_adapters: bool = typer.Option(
            True, help="Save each seed's LoRA adapter under OUT/adapters/seed-<k>."
        ),
        out: Path = typer.Option(
            Path("reports/llm"), help="Output folder: results.json, accuracy.png, adapters/."
        ),
    ) -> None:
        """Train LoRA DPO policies or reward models on relabelled pairs; write results.json and a figure."""
        seed_list = parse_seeds(seeds)
        trainer, experiment, figure = _import_llm()
        config = run_library(
            trainer.LLMTrainConfig, objective=objective, dataset=dataset, reference=reference, beta=beta,
            learning_rate=learning_rate, batch_size=batch_size, grad_accum=grad_accum, max_length=max_length,
            max_train_pairs=max_train_pairs, max_test_pairs=max_test_pairs,
            gradient_checkpointing=gradient_checkpointing, checkpoint_fraction=checkpoint_fraction, device=device,
        )  # fmt: skip

        def report(seed: Any) -> None:
            console.print(
                f"seed {seed.seed}: accuracy {100 * seed.accuracy:.2f}% ({seed.optimizer_steps} steps, {seed.train_seconds:.1f} s)"
            )

        result = run_library(
            experiment.run_llm_experiment, model, data, config, seed_list, subsets=_subsets(subsets),
            adapter_root=out / "adapters" if save_adapters else None, progress=report,
        )  # fmt: skip
        payload = result.to_dict()
        if int(os.environ.get("RANK", "0")) != 0:
            return  # under torchrun / accelerate launch only the main process writes
        write_json(out / "results.json", payload)
        with atomic_path(out / "accuracy.png") as tmp:
            figure.plot_accuracies([payload]).savefig(
                tmp, format="png", dpi=120, metadata={"Software": None}
            )
        s = payload["summary"]
        console.print(
            f"{objective} / {dataset}: mean accuracy {100 * s['mean']:.2f}% (quartiles {100 * s['q25']:.2f}-{100 * s['q75']:.2f}) "
            f"on {payload['test_pairs']} test pairs after {payload['train_pairs']} training pairs; wrote {out / 'results.json'}"
        )

    @train_app.command("llm-eval")
    def llm_eval(
        model: Path = typer.Option(
            ..., help="Local Hugging Face model folder the adapter was trained on."
        ),
        adapter: Path = typer.Option(
            ..., help="LoRA adapter folder written by `socialpref train llm`."
        ),
        data: Path = typer.Option(..., help="HH-RLHF-style data (its test split is used)."),
        subsets: str = typer.Option(
            "helpful-base,harmless-base", help="Comma-separated subfolders of --data."
        ),
        max_length: int = typer.Option(
            512, help="Keep pairs with both dialogues <= this many tokens."
        ),
        max_test_pairs: int | None = typer.Option(None, help="Use only the first N test pairs."),
        batch_size: int = typer.Option(8, help="Pairs per evaluation batch."),
        device: str = typer.Option("auto", help="auto, cpu or cuda."),
        out: Path | None = typer.Option(None, help="Also write the result as JSON to this file."),
    ) -> None:
        """Accuracy of a saved adapter: share of test pairs ordered as the average reward orders them."""
        _, experiment, _ = _import_llm()
        result = run_library(
            experiment.evaluate_adapter, model, adapter, data, max_length=max_length, subsets=_subsets(subsets),
            max_test_pairs=max_test_pairs, batch_size=batch_size, device=device,
        )  # fmt: skip
        if out is not None:
            write_json(out, result.to_dict())
        console.print(
            f"{result.objective} adapter {adapter}: accuracy {100 * result.accuracy:.2f}% on {result.test_pairs} test pairs "
            f"({result.test_ties} ties dropped)"
        )
