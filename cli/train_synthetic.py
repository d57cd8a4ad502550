"""`socialpref train synthetic`: Section 7.2's experiment (torch extra), results.json and Fig. 3-4."""

from __future__ import annotations

import hashlib
import io
import json
from pathlib import Path
from typing import Any

import typer

from socialpref.errors import MissingExtraError
from socialpref.train.config import TrainConfig
from socialpref_cli.common import (
    FORCE_OPTION,
    console,
    fail,
    json_bytes,
    parse_seeds,
    progress_bar,
    run_library,
    status,
    warn,
)
from socialpref_cli.config_options import CliField, config_options


def read_reference(text: str) -> tuple[Any, dict[str, str] | None]:
    """``--reference``: None for 'uniform', else the n x n table from a .npy or .json file (a
    JSON array of rows) and ``{"file", "sha256"}`` of the file. Raises a one-line CLI error."""
    if text.strip().lower() == "uniform":
        return None, None
    path = Path(text)
    if path.suffix.lower() not in (".npy", ".json"):
        raise fail(f"--reference must be 'uniform' or a .npy or .json file. Got {text!r}.")
    try:
        raw = path.read_bytes()
        if path.suffix.lower() == ".npy":
            import numpy as np

            table: Any = np.load(io.BytesIO(raw), allow_pickle=False)
        else:
            table = json.loads(raw.decode("utf-8"))
    except (OSError, ValueError, UnicodeDecodeError) as exc:
        raise fail(f"--reference: cannot read {text!r}: {exc}") from None
    return table, {"file": path.name, "sha256": hashlib.sha256(raw).hexdigest()}


def format_seeds(seeds: tuple[int, ...]) -> str:
    """The inverse of :func:`parse_seeds`: runs of consecutive seeds as ranges ('0-4,7')."""
    parts: list[str] = []
    for s in seeds:
        if parts and "-" not in parts[-1].split(",")[-1] and int(parts[-1]) == s - 1:
            parts[-1] = f"{parts[-1]}-{s}"
        elif parts and "-" in parts[-1] and int(parts[-1].split("-")[1]) == s - 1:
            parts[-1] = f"{parts[-1].split('-')[0]}-{s}"
        else:
            parts.append(str(s))
    return ",".join(parts)


#: The kind of folder ``train synthetic --out`` writes (its marker says so).
KIND = "train-synthetic"

# The options of TrainConfig's fields: these flags differ from --field-name, and two fields are
# written differently at the command line (seeds as ranges, the reference as a file).
FLAGS = {
    "methods": ("--method", "-m"),
    "alphas": ("--alpha", "-a"),
    "n_pairs": ("--pairs",),
    "warmup_steps": ("--warmup",),
    "pairs_from_reference": ("--pairs-from-reference/--uniform-pairs",),
}
FIELDS = {
    "seeds": CliField(
        str,
        parse=lambda text: tuple(parse_seeds(text)),
        show=format_seeds,
        help_suffix="Written '0-4', '0,3,7' or '2'.",
    ),
    "reference": CliField(
        str,
        show=lambda table: "uniform",
        help_suffix="At the command line: 'uniform' or a .npy/.json file holding the table.",
    ),
}


@config_options(TrainConfig, FLAGS, FIELDS)
def synthetic(
    config_fields: dict[str, Any],
    device: str = typer.Option("auto", "--device", help="auto (CUDA if present), cpu or cuda."),
    threads: int = typer.Option(
        1, "--threads", min=1, help="torch CPU threads (1 is fastest for these tiny ops)."
    ),
    out: Path = typer.Option(
        Path("reports/train-synthetic"),
        "--out",
        help="Output folder: results.json and the figures, written together.",
    ),
    figures: bool = typer.Option(
        True, "--figures/--no-figures", help="Write fig3_rewards.png and fig4_policies.png."
    ),
    force: bool = FORCE_OPTION,
) -> None:
    """Train policies on the paper's synthetic environment (Section 7.2): DPO, corrected DPO, consistent losses."""
    from socialpref.outputs import prepare_folder, write_folder_atomically

    ref_table, ref_file = read_reference(config_fields["reference"])
    reference = config_fields["reference"]
    inputs = [] if ref_file is None else [reference]
    run_library(prepare_folder, out, force, inputs=inputs, kind=KIND, notify=warn)
    try:
        import torch

        from socialpref.train import run_synthetic
        from socialpref.train.figures import PNG_METADATA, figure_policies, figure_rewards
    except MissingExtraError as exc:
        raise fail(str(exc)) from None
    except ImportError:
        raise fail(str(MissingExtraError("torch", "train", "Policy training"))) from None
    from rich.progress import BarColumn, TextColumn, TimeElapsedColumn, TimeRemainingColumn

    torch.set_num_threads(threads)
    config = run_library(TrainConfig, **{**config_fields, "reference": ref_table})
    bar = progress_bar(
        TextColumn("training"),
        BarColumn(),
        TextColumn("{task.completed}/{task.total} steps"),
        TimeElapsedColumn(),
        TimeRemainingColumn(),
    )
    with bar:
        task = bar.add_task("train", total=None)
        results = run_library(
            run_synthetic, None, config, device, lambda d, t: bar.update(task, completed=d, total=t)
        )
    payload = results.to_dict()
    if ref_file is not None:  # the file's name and SHA-256 beside the table's own hash
        payload["config"]["reference"] = {**ref_file, **payload["config"]["reference"]}

    def fill(folder: Path) -> None:
        (folder / "results.json").write_bytes(json_bytes(payload))
        if figures:
            for name, make in (
                ("fig3_rewards.png", figure_rewards),
                ("fig4_policies.png", figure_policies),
            ):
                make(payload).savefig(folder / name, format="png", metadata=PNG_METADATA)

    with status("socialpref train synthetic") as step:
        step("results and figures")
        run_library(
            write_folder_atomically, out, fill, force=force, kind=KIND, inputs=inputs, notify=warn
        )
    for row in payload["summary"]:
        alpha_text = "" if row["alpha"] is None else f" alpha={row['alpha']:g}"
        console.print(
            f"{row['method']}{alpha_text}: KL(pi*||pi)={row['kl_to_optimal']:.4f} "
            f"spearman_nbc={row['spearman_nbc']:.3f} spearman_avg={row['spearman_average']:.3f} "
            f"peak_delta={row['peak_delta']} mass0={row['mass_at_0']:.4f} mass10={row['mass_at_pm10']:.4f}",
            highlight=False,
            soft_wrap=True,
        )
    console.print(
        f"{len(payload['runs'])} runs on {payload['device']} in {payload['training_s']:.1f} s "
        f"(sampling {payload['sampling_s']:.2f} s); wrote {out / 'results.json'}",
        highlight=False,
        soft_wrap=True,
    )


def register(train_app: typer.Typer) -> None:
    """Add ``synthetic`` to the `train` group."""
    train_app.command("synthetic")(synthetic)
