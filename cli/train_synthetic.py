"""`socialpref train synthetic`: Section 7.2's experiment (torch extra), results.json and Fig. 3-4."""

from __future__ import annotations

import hashlib
import io
import json
from pathlib import Path
from typing import Any

import typer

from socialpref_cli.common import atomic_path, console, fail, parse_seeds, run_library, write_json

METHODS_HELP = (
    "dpo, ipo, corrected, consistent, consistent-b3, nbc, reward-average (repeat the option)."
)


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


def synthetic(
    method: list[str] = typer.Option(
        ["dpo", "corrected", "consistent", "nbc"], "--method", "-m", help=METHODS_HELP
    ),
    alpha: list[float] = typer.Option(
        [1.0, 2.0, 4.0], "--alpha", "-a", help="Correction strengths of 'corrected' (repeat)."
    ),
    seeds: str = typer.Option("0-4", "--seeds", help="Seeds: '0-4', '0,3,7' or '2'."),
    pairs: int = typer.Option(
        500_000, "--pairs", min=1, help="Preference pairs per data set and seed."
    ),
    steps: int = typer.Option(10_000, "--steps", min=1, help="Adam steps per run."),
    batch_size: int = typer.Option(1024, "--batch-size", min=1, help="Pairs per step and run."),
    policy: str = typer.Option(
        "mlp", "--policy", help="'mlp' (the paper's 2 x 15 tanh) or 'tabular'."
    ),
    joint: str = typer.Option(
        "mixture",
        "--joint",
        help="J of 'corrected': 'mixture' (latent tabular BT rewards) or 'mlp' (general MLP).",
    ),
    warmup: int | None = typer.Option(
        None, "--warmup", min=0, help="DPO steps before the correction (default 80%)."
    ),
    beta: float = typer.Option(1.0, "--beta", help="KL strength beta > 0 (Eq. 9) of every loss."),
    reference: str = typer.Option(
        "uniform",
        "--reference",
        help="pi_ref: 'uniform' or a .npy/.json file holding the n x n table pi_ref(y | x).",
    ),
    pairs_from_reference: bool | None = typer.Option(
        None,
        "--pairs-from-reference/--uniform-pairs",
        help="Draw y1, y2 from pi_ref or uniformly (default: from pi_ref when --reference is a file).",
    ),
    device: str = typer.Option("auto", "--device", help="auto (CUDA if present), cpu or cuda."),
    threads: int = typer.Option(
        1, "--threads", min=1, help="torch CPU threads (1 is fastest for these tiny ops)."
    ),
    out: Path = typer.Option(Path("reports/train-synthetic"), "--out", help="Output folder."),
    figures: bool = typer.Option(
        True, "--figures/--no-figures", help="Write fig3_rewards.png and fig4_policies.png."
    ),
) -> None:
    """Train policies on the paper's synthetic environment (Section 7.2): DPO, corrected DPO, consistent losses."""
    seed_list = parse_seeds(seeds)
    ref_table, ref_file = read_reference(reference)
    try:
        from socialpref.train.device import require_torch

        torch = require_torch()
        from socialpref.train import TrainConfig, run_synthetic
        from socialpref.train.figures import PNG_METADATA, figure_policies, figure_rewards
    except RuntimeError as exc:
        raise fail(str(exc)) from None
    from rich.progress import (
        BarColumn,
        Progress,
        TextColumn,
        TimeElapsedColumn,
        TimeRemainingColumn,
    )

    torch.set_num_threads(threads)
    config = run_library(
        TrainConfig,
        methods=tuple(method),
        alphas=tuple(alpha),
        seeds=tuple(seed_list),
        n_pairs=pairs,
        steps=steps,
        batch_size=batch_size,
        policy=policy,
        joint=joint,
        warmup_steps=warmup,
        beta=beta,
        reference=ref_table,
        pairs_from_reference=pairs_from_reference,
    )
    bar = Progress(
        TextColumn("training"),
        BarColumn(),
        TextColumn("{task.completed}/{task.total} steps"),
        TimeElapsedColumn(),
        TimeRemainingColumn(),
        console=console,
        transient=True,
    )
    with bar:
        task = bar.add_task("train", total=None)
        results = run_library(
            run_synthetic, None, config, device, lambda d, t: bar.update(task, completed=d, total=t)
        )
    payload = results.to_dict()
    if ref_file is not None:  # the file's name and SHA-256 beside the table's own hash
        payload["config"]["reference"] = {**ref_file, **payload["config"]["reference"]}
    pngs = {}
    if figures:  # rendered before anything is written, so a failure leaves nothing half-written
        for name, make in (
            ("fig3_rewards.png", figure_rewards),
            ("fig4_policies.png", figure_policies),
        ):
            buf = io.BytesIO()
            make(payload).savefig(buf, format="png", metadata=PNG_METADATA)
            pngs[name] = buf.getvalue()
    write_json(out / "results.json", payload)
    for name, data in pngs.items():
        with atomic_path(out / name) as tmp:
            tmp.write_bytes(data)
    for row in payload["summary"]:
        alpha_text = "" if row["alpha"] is None else f" alpha={row['alpha']:g}"
        console.print(
            f"{row['method']}{alpha_text}: KL(pi*||pi)={row['kl_to_optimal']:.4f} "
            f"spearman_nbc={row['spearman_nbc']:.3f} spearman_avg={row['spearman_average']:.3f} "
            f"peak_delta={row['peak_delta']} mass0={row['mass_at_0']:.4f} mass10={row['mass_at_pm10']:.4f}"
        )
    console.print(
        f"{len(payload['runs'])} runs on {payload['device']} in {payload['training_s']:.1f} s "
        f"(sampling {payload['sampling_s']:.2f} s); wrote {out / 'results.json'}"
    )


def register(train_app: typer.Typer) -> None:
    """Add ``synthetic`` to the `train` group."""
    train_app.command("synthetic")(synthetic)
