"""`socialpref llm ...`: relabelled HH-RLHF data sets, LoRA DPO / reward models through TRL, evaluation.

torch, transformers, peft and trl are imported inside the command bodies, so
``socialpref --help`` works without the ``llm`` extra. The training settings are options
generated from :class:`socialpref.llm.config.LLMTrainConfig` (one source for names, defaults
and help texts).
"""

from __future__ import annotations

import io
import shutil
from pathlib import Path
from typing import Any

import typer

from socialpref.errors import MissingExtraError, OutputError
from socialpref.llm.config import LLMTrainConfig
from socialpref.llm.hh import LENGTH_POLICIES
from socialpref.llm.relabel import DATASETS, TIES
from socialpref_cli.common import (
    FORCE_OPTION,
    check_outputs,
    console,
    emit,
    fail,
    json_bytes,
    parse_seeds,
    progress_bar,
    run_library,
    status,
    warn,
)
from socialpref_cli.config_options import config_options

llm_app = typer.Typer(
    help="LLM experiments on HH-RLHF-style data: relabel, train (TRL), evaluate. Needs the 'llm' extra.",
    no_args_is_help=True,
)

SUBSETS_HELP = "Comma-separated subfolders of --data."
DATA_HELP = (
    "HH-RLHF-style data: folder with <subset>/{train,test}.jsonl.gz, or a folder/file of jsonl."
)


def _say(*parts: str) -> None:
    """One result line on stdout, never wrapped or cut (scripts parse it)."""
    console.print(*parts, soft_wrap=True, highlight=False)


def _subsets(text: str) -> list[str]:
    return [s.strip() for s in text.split(",") if s.strip()]


def _import(*modules: str) -> list[Any]:
    """Import ``socialpref.llm`` modules that need the extra; a missing package is one CLI line."""
    import importlib

    try:
        loaded = [importlib.import_module(f"socialpref.llm.{m}") for m in modules]
        from socialpref.llm.models import quiet_transformers
    except MissingExtraError as exc:
        raise fail(str(exc)) from None
    quiet_transformers()
    return loaded


@llm_app.command("relabel")
def relabel(
    data: Path = typer.Option(..., help=DATA_HELP),
    tokenizer: Path = typer.Option(
        ..., help="Local model folder whose tokenizer counts the tokens (the rewards read lengths)."
    ),
    dataset: str = typer.Option(..., help=f"Labelling scheme, one of: {', '.join(DATASETS)}."),
    out: Path = typer.Option(
        ..., help="New folder for the data set (datasets on disk + pairs.jsonl)."
    ),
    seed: int = typer.Option(0, help="Seed of the labels (same seed, same data)."),
    split: str | None = typer.Option(
        None, help="train or test; default test for --dataset test, else train."
    ),
    max_length: int = typer.Option(512, help="Token limit of a whole dialogue."),
    length_policy: str = typer.Option(
        "drop", help=f"Pairs over --max-length: {' or '.join(LENGTH_POLICIES)}."
    ),
    ties: str = typer.Option(
        "drop", help=f"Average-reward ties, --dataset test only: {' or '.join(TIES)}."
    ),
    subsets: str = typer.Option("helpful-base,harmless-base", help=SUBSETS_HELP),
    force: bool = FORCE_OPTION,
) -> None:
    """Write relabelled pairs in TRL's preference format: a `datasets` folder and pairs.jsonl."""
    from socialpref.outputs import prepare_folder, write_folder_atomically

    inputs = [data, tokenizer]
    run_library(prepare_folder, out, force, inputs=inputs, kind="llm-relabel", notify=warn)
    preference_data, models = _import("preference_data", "models")
    with status("socialpref llm relabel") as step:
        step("loading the tokenizer")
        tok = run_library(models.load_tokenizer, tokenizer)
        step("reading, relabelling and tokenizing the pairs")
        pairs = run_library(
            preference_data.build_preference_dataset, data, tok, dataset, seed, split, max_length,
            length_policy, ties, _subsets(subsets),
        )  # fmt: skip
        step(f"writing {out}")
        run_library(
            write_folder_atomically, out, lambda tmp: preference_data.write_preference_dataset(pairs, tmp),
            force=force, kind="llm-relabel", inputs=inputs, notify=warn,
        )  # fmt: skip
    i = pairs.info
    ties_note = (
        f", average-reward ties: {i['ties_found']} ({'dropped' if i['ties_dropped'] else 'kept'})"
        if dataset == "test"
        else ""
    )
    _say(
        f"{dataset} / {i['split']}: {i['pairs']} pairs of {i['pairs_read']} read "
        f"({i['pairs_dropped_length']} dropped, {i['pairs_truncated']} truncated at {max_length} tokens"
        f"{ties_note}); wrote {out}"
    )


def _prepare_output_dir(output_dir: Path, resume: bool, force: bool, inputs: list[Path]) -> None:
    """Check and create the training folder (main process); marker first, so resume can trust it.

    The folder follows the rules of :func:`socialpref.outputs.check_target` (a folder with
    files socialpref did not write, or that holds an input, is never replaced); it is not
    written atomically, since a run keeps checkpoints there as it goes (see ``--resume``).
    """
    from socialpref.outputs import MARKER, check_file_target, is_report_folder, prepare_folder

    check_file_target(output_dir / "results.json", "--output-dir")
    if resume:
        if not is_report_folder(output_dir):
            raise OutputError(
                f"Nothing to resume in {output_dir}: it is not a folder written by `socialpref llm train`."
            )
        return
    path = prepare_folder(output_dir, force, inputs=inputs, kind="llm-train", notify=warn)
    if path.exists():
        if any(path.glob("seed-*")) and not force:
            raise OutputError(
                f"The output folder {str(path)!r} holds a previous run; pass --resume to continue "
                "it or --force to start over."
            )
        shutil.rmtree(path)
    path.mkdir(parents=True)
    (path / MARKER).write_text(
        '{"kind": "llm-train", "written_by": "socialpref"}\n', encoding="utf-8"
    )


class _Progress:
    """A rich progress bar on stderr over the optimizer steps of each seed (hidden off a
    terminal and with --quiet)."""

    def __init__(self) -> None:
        from rich.progress import BarColumn, MofNCompleteColumn, TimeElapsedColumn

        self.bar = progress_bar(
            "[progress.description]{task.description}",
            BarColumn(),
            MofNCompleteColumn(),
            TimeElapsedColumn(),
        )

    def callback(self, seed: int) -> Any:
        import transformers

        bar = self.bar

        class Steps(transformers.TrainerCallback):  # type: ignore[misc]
            def on_train_begin(self, args: Any, state: Any, control: Any, **kw: Any) -> None:
                self.task = bar.add_task(f"seed {seed}", total=state.max_steps)
                bar.update(self.task, completed=state.global_step)

            def on_step_end(self, args: Any, state: Any, control: Any, **kw: Any) -> None:
                bar.update(self.task, completed=state.global_step)

        return Steps()


@config_options(LLMTrainConfig, panel="Training")
def train(
    config_fields: dict[str, Any],
    model: Path = typer.Option(
        ..., help="Local Hugging Face model folder (weights, config, tokenizer)."
    ),
    data: Path = typer.Option(..., help=DATA_HELP),
    seeds: str = typer.Option("0-4", help="Seeds, e.g. 0-4 or 0,2,5."),
    subsets: str = typer.Option("helpful-base,harmless-base", help=SUBSETS_HELP),
    output_dir: Path = typer.Option(
        Path("runs/llm"),
        help="Run folder: seed-<k>/ (adapter, checkpoint-<step>/, metrics.csv, runs/), results.json, accuracy.png.",
    ),
    resume: bool = typer.Option(
        False, help="Continue every seed from its newest checkpoint in --output-dir."
    ),
    force: bool = typer.Option(
        False,
        help="Start over in an --output-dir that holds a previous run, or that another socialpref "
        "command wrote. A folder with files socialpref did not write is never replaced.",
    ),
) -> None:
    """Train LoRA DPO policies or reward models with TRL on relabelled pairs, one run per seed."""
    config = run_library(LLMTrainConfig, **config_fields)
    seed_list = parse_seeds(seeds)
    experiment, figure = _import("experiment", "figure")
    import accelerate

    from socialpref.llm.models import check_model_dir
    from socialpref.llm.trainer import resolve_precision

    run_library(check_model_dir, model)
    run_library(resolve_precision, config)
    state = accelerate.PartialState()  # one per process under torchrun / accelerate launch
    if state.is_main_process:
        run_library(_prepare_output_dir, output_dir, resume, force, [model, data])
    state.wait_for_everyone()
    progress = _Progress()

    def report(seed: Any) -> None:
        if state.is_main_process:
            _say(
                f"seed {seed.seed}: accuracy {100 * seed.accuracy:.2f}% ({seed.optimizer_steps} steps, "
                f"{seed.train_seconds:.1f} s){' resumed from ' + seed.resumed_from if seed.resumed_from else ''}"
            )

    try:
        with progress.bar:
            result = run_library(
                experiment.run_llm_experiment, model, data, config, output_dir, seed_list,
                subsets=_subsets(subsets), resume=resume, progress=report,
                callbacks_for=progress.callback,
            )  # fmt: skip
    except typer.Exit:
        if not resume and state.is_main_process and not any(output_dir.glob("seed-*/checkpoint-*")):
            shutil.rmtree(output_dir, ignore_errors=True)  # failed before any checkpoint
        raise
    except KeyboardInterrupt:
        raise fail(
            f"Interrupted; the checkpoints in {output_dir} are kept: continue with the same "
            "command and --resume.",
            code=130,
        ) from None
    if not state.is_main_process:
        return
    payload = result.to_dict()

    def accuracy_png() -> bytes:
        buf = io.BytesIO()
        figure.plot_accuracies([payload]).savefig(
            buf, format="png", dpi=120, metadata={"Software": None}
        )
        return buf.getvalue()

    emit(
        [
            (output_dir / "results.json", lambda: json_bytes(payload)),
            (output_dir / "accuracy.png", accuracy_png),
        ]
    )
    s, c = payload["summary"], result.counts
    _say(
        f"{config.objective} / {config.dataset}: mean accuracy {100 * s['mean']:.2f}% (quartiles "
        f"{100 * s['q25']:.2f}-{100 * s['q75']:.2f}) on {c['test_pairs']} test pairs "
        f"({c['test_ties']} ties, {config.ties}) after {c['train_pairs']} training pairs "
        f"of {c['train_read']} ({c['train_truncated']} truncated); wrote {output_dir / 'results.json'}"
    )


def evaluate(
    model: Path = typer.Option(
        ..., help="Local Hugging Face model folder the adapter was trained on."
    ),
    adapter: Path = typer.Option(
        ..., help="Adapter folder: <output-dir>/seed-<k> or a checkpoint."
    ),
    data: Path = typer.Option(..., help=f"{DATA_HELP} Its test split is used."),
    subsets: str = typer.Option("helpful-base,harmless-base", help=SUBSETS_HELP),
    max_length: int = typer.Option(512, help="Token limit of a whole dialogue."),
    length_policy: str = typer.Option(
        "drop", help=f"Pairs over --max-length: {' or '.join(LENGTH_POLICIES)}."
    ),
    ties: str = typer.Option("drop", help=f"Average-reward ties: {' or '.join(TIES)}."),
    max_test_pairs: int | None = typer.Option(None, help="Use only the first N test pairs."),
    batch_size: int = typer.Option(8, help="Pairs per evaluation batch."),
    device: str = typer.Option("auto", help="auto, cpu or cuda."),
    out: Path | None = typer.Option(
        None, help="Also write the result as JSON to this file ('-': standard output)."
    ),
) -> None:
    """Accuracy of a saved adapter: share of test pairs ordered as the average reward orders them."""
    check_outputs(("--out", out))
    (experiment,) = _import("experiment")
    with status("socialpref llm eval") as step:
        step(f"loading {adapter} and scoring the test pairs")
        result = run_library(
            experiment.evaluate_adapter, model, adapter, data, max_length=max_length, subsets=_subsets(subsets),
            max_test_pairs=max_test_pairs, batch_size=batch_size, device=device, ties=ties,
            length_policy=length_policy,
        )  # fmt: skip
    if emit([(out, lambda: json_bytes(result))]):
        return
    _say(
        f"{result.objective} adapter {adapter}: accuracy {100 * result.accuracy:.2f}% on "
        f"{result.test_pairs} test pairs ({result.test_ties} average-reward ties, {ties})"
    )


llm_app.command("train")(train)
llm_app.command("eval")(evaluate)


def register(app: typer.Typer) -> None:
    """Add the ``llm`` group to the root app."""
    app.add_typer(llm_app, name="llm")
