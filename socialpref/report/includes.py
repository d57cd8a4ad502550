"""Sections for result files of the other commands (``socialpref report --include FILE``).

The kind of a result file is recognised by its keys:

- ``counterexample``: ``socialpref counterexamples show|search --json`` (``name``, ``claim``,
  ``rewards``, ``type_weights``, ``nbc``, ``average_reward``, ``holds``, ...);
- ``synthetic``: ``socialpref train synthetic --out DIR`` -> ``DIR/results.json`` (``delta``,
  ``optimal_profile``, ``nbc_profile``, ``runs``);
- ``llm``: ``socialpref train llm --out DIR`` -> ``DIR/results.json`` (``objective``,
  ``dataset``, ``train_pairs``, ``test_pairs``, ``seeds``).

Figures a result file references (a ``figures`` entry: a list of paths or a mapping of captions
to paths, relative to the file) are copied next to the report when they exist; otherwise the
section plots its numbers. Nothing is recomputed: the sections show the numbers of the files.
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import numpy as np

from socialpref.errors import DataError
from socialpref.report import figures as F
from socialpref.report.document import (
    Block,
    FigureSpec,
    Heading,
    Image,
    Paragraph,
    Table,
    code,
    images,
    make_table,
    strong,
)
from socialpref.report.include_checks import check_include
from socialpref.report.markdown import number, percent, render_blocks, slug

IncludeKind = Literal["counterexample", "synthetic", "llm"]

#: Keys that identify each kind of result file.
SIGNATURES: dict[str, frozenset[str]] = {
    "counterexample": frozenset(
        {"name", "claim", "rewards", "type_weights", "nbc", "average_reward"}
    ),
    "synthetic": frozenset({"delta", "optimal_profile", "nbc_profile", "runs"}),
    "llm": frozenset({"objective", "dataset", "seeds"}),
}


#: Captions of the figures that ``socialpref train synthetic`` writes beside its results.
CAPTIONS: dict[str, str] = {
    "fig3_rewards": "Rewards of the user types over delta (paper Fig. 3)",
    "fig4_policies": "Learned policies against pi* and NBC (paper Fig. 4)",
}


@dataclass(frozen=True, eq=False)
class IncludedResult:
    """A result file to show in a report.

    Attributes
    ----------
    kind : {"counterexample", "synthetic", "llm"}
    path : Path
        The file read.
    name : str
        How the report names it (the path as given).
    payload : dict
        The parsed JSON.
    """

    kind: IncludeKind
    path: Path
    name: str
    payload: Mapping[str, Any]


def detect_kind(payload: Any) -> IncludeKind | None:
    """The kind of a parsed result file, or None when its keys match no known shape."""
    if not isinstance(payload, Mapping):
        return None
    keys = set(payload)
    for kind, needed in SIGNATURES.items():
        if needed <= keys:
            return kind  # type: ignore[return-value]
    return None


def load_include(path: str | Path, name: str | None = None) -> IncludedResult:
    """Read a result JSON file and recognise its kind.

    Raises
    ------
    FileNotFoundError
        The file does not exist.
    DataError
        The file is not JSON, its keys match none of :data:`SIGNATURES`, or a field has the
        wrong type (:func:`socialpref.report.include_checks.check_include`).
    """
    p = Path(path)
    if not p.is_file():
        raise FileNotFoundError(f"The --include file {str(p)!r} does not exist.")
    try:
        payload = json.loads(p.read_text(encoding="utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise DataError(f"The --include file {str(p)!r} is not JSON ({exc}).") from None
    kind = detect_kind(payload)
    if kind is None:
        shapes = "; ".join(f"{k}: {', '.join(sorted(v))}" for k, v in SIGNATURES.items())
        found = sorted(payload)[:12] if isinstance(payload, Mapping) else type(payload).__name__
        raise DataError(
            f"The --include file {str(p)!r} is not a result file socialpref knows (keys {found}); "
            f"expected the keys of one of: {shapes}."
        )
    check_include(payload, kind, str(p))
    return IncludedResult(
        kind=kind, path=p, name=str(path) if name is None else name, payload=payload
    )


# ----------------------------------------------------------------------------- helpers


def _floats(values: Any, what: str, source: str) -> np.ndarray:
    try:
        arr = np.asarray(values, dtype=np.float64)
    except (TypeError, ValueError):
        raise DataError(
            f"{source}: '{what}' must be numbers. Got {values!r:.80} instead."
        ) from None
    return arr


def _copy_figures(result: IncludedResult, prefix: str) -> list[Image]:
    """The figures of a result to copy next to the report (their PNG files exist).

    The figures are those of its ``figures`` entry (list of paths, or caption -> path,
    relative to the file); without one, for training results (``synthetic``, ``llm``), the
    PNGs that the command wrote beside its ``results.json`` (sorted by name).
    """
    figs = result.payload.get("figures")
    if isinstance(figs, Mapping):
        items = [(str(k), str(v)) for k, v in figs.items()]
    elif isinstance(figs, Sequence) and not isinstance(figs, str):
        items = [(Path(str(v)).stem, str(v)) for v in figs]
    elif result.kind in ("synthetic", "llm"):
        items = [
            (CAPTIONS.get(p.stem, p.stem.replace("_", " ")), p.name)
            for p in sorted(result.path.parent.glob("*.png"))
        ]
    else:
        return []
    out: list[Image] = []
    for caption, rel in items:
        src = Path(rel) if Path(rel).is_absolute() else result.path.parent / rel
        if src.is_file() and src.suffix.lower() == ".png":
            out.append(Image(f"{prefix}-{slug(src.stem)}.png", caption, source=src))
    return out


def _spec(name: str, *args: Any, **kwargs: Any) -> FigureSpec:
    return FigureSpec(f"socialpref.report.figures:{name}", args, kwargs)


# ----------------------------------------------------------------------------- sections


def _scenario_table(
    sc: Mapping[str, Any], src: str
) -> tuple[list[str], list[str], np.ndarray, Table]:
    """Table of one population (rewards per type, average reward, NBC, sampling)."""
    rewards = _floats(sc["rewards"], "rewards", src)
    if rewards.ndim != 2:
        raise DataError(
            f"{src}: 'rewards' must be a types x options matrix. Got shape {rewards.shape}."
        )
    n_types, n_options = rewards.shape
    options = [str(o) for o in sc.get("options") or [f"y{i + 1}" for i in range(n_options)]]
    types = [str(t) for t in sc.get("types") or [f"u{u + 1}" for u in range(n_types)]]
    weights = _floats(sc["type_weights"], "type_weights", src).reshape(-1)
    avg = _floats(sc["average_reward"], "average_reward", src).reshape(-1)
    score = _floats(sc["nbc"], "nbc", src).reshape(-1)
    sampling = sc.get("sampling")
    headers = ["Option"]
    headers += [f"r({t}), p = {number(w, 3)}" for t, w in zip(types, weights, strict=False)]
    headers += ["Average reward", "NBC"]
    samp = None if sampling is None else _floats(sampling, "sampling", src).reshape(-1)
    if samp is not None:
        headers.append("Sampling D")
    rows = []
    for i in range(n_options):
        row = [f"{F.letter(i)}: {options[i]}", *[number(rewards[u, i], 5) for u in range(n_types)]]
        row += [number(avg[i], 5), number(score[i], 5)]
        if samp is not None:
            row.append(number(samp[i], 5))
        rows.append(row)
    text = make_table(headers, rows, align="l" + "r" * (len(headers) - 1))
    return options, types, rewards, text


def _counterexample(result: IncludedResult, prefix: str) -> list[Block]:
    p = result.payload
    src = result.name
    holds = p.get("holds")
    lines: list[Block] = [
        Heading(3, f"Counterexample: {p['name']}"),
        Paragraph(
            "From ",
            code(result.name),
            f"; paper: {p['reference']}" if p.get("reference") else "",
            ". ",
            strong("Claim:"),
            f" {p['claim']}",
        ),
        Paragraph(
            strong("Holds:"),
            f" {'yes' if holds else 'no' if holds is not None else '-'}; "
            f"preference model: {p.get('model') or 'default'}.",
        ),
    ]
    if p.get("message"):
        lines.append(Paragraph(str(p["message"])))
    cert = p.get("certificate")
    if isinstance(cert, Mapping):
        scalars = [(k, v) for k, v in cert.items() if isinstance(v, (int, float, str, bool))]
        if scalars:
            rows = [[k, number(v, 5) if not isinstance(v, str) else v] for k, v in scalars]
            lines.append(make_table(["Certificate", "Value"], rows, align="lr"))
    checks = p.get("checks")
    if isinstance(checks, Mapping) and checks:
        rows = [[k, "yes" if v else "no"] for k, v in checks.items()]
        lines.append(make_table(["Check", "Holds"], rows))
    scenarios = p.get("scenarios")
    if not isinstance(scenarios, Sequence) or isinstance(scenarios, str) or not scenarios:
        scenarios = [p]
    tables = []
    for sc in scenarios:
        options, types, rewards, text = _scenario_table(sc, src)
        if len(scenarios) > 1:
            model = sc.get("model")
            extra = f" (model: {model})" if model and model != p.get("model") else ""
            lines.append(Paragraph(strong(sc.get("label", "")), extra))
        lines.append(text)
        tables.append((options, types, rewards, sc))
    figs = _copy_figures(result, prefix)
    if not figs:
        title = f"Counterexample {p['name']}"
        options, types, rewards, first = tables[0]
        figs = [
            Image(
                f"{prefix}-rewards.png",
                "Rewards by type",
                _spec("plot_reward_bars", rewards, options, types, title=title),
            )
        ]
        same_options = all(t[0] == options for t in tables)
        if len(tables) > 1 and same_options:
            columns: dict[str, Any] = {
                "Average reward": _floats(first["average_reward"], "average_reward", src)
            }
            for k, (_, _, _, sc) in enumerate(tables):
                columns[f"NBC, {sc.get('label') or k + 1}"] = _floats(sc["nbc"], "nbc", src)
            figs.append(
                Image(
                    f"{prefix}-ranks.png",
                    "Rankings by scenario",
                    _spec("plot_rank_chart", columns, options, title=title),
                )
            )
        else:
            for k, (opts, _, _, sc) in enumerate(tables):
                name = f"{prefix}-aggregates{'' if len(tables) == 1 else f'-{k + 1}'}.png"
                label = f"{title}: {sc['label']}" if sc.get("label") and len(tables) > 1 else title
                spec = _spec(
                    "plot_aggregates",
                    _floats(sc["average_reward"], "average_reward", src),
                    _floats(sc["nbc"], "nbc", src),
                    opts,
                    title=label,
                    nbc_label="NBC",
                )
                figs.append(Image(name, "Average reward vs NBC", spec))
    return lines + figs


def _run_key(run: Mapping[str, Any]) -> tuple[str, str]:
    alpha = run.get("alpha")
    return str(run.get("method", "?")), "-" if alpha is None else number(alpha, 3).rstrip(
        "0"
    ).rstrip(".")


def _mean(values: Sequence[Any]) -> float | None:
    xs = [
        float(v) for v in values if v is not None and not (isinstance(v, float) and math.isnan(v))
    ]
    return float(np.mean(xs)) if xs else None


def _synthetic(result: IncludedResult, prefix: str) -> list[Block]:
    p = result.payload
    src = result.name
    runs = p["runs"]
    if not isinstance(runs, Sequence):
        raise DataError(f"{src}: 'runs' must be a list of runs.")
    groups: dict[tuple[str, str], list[Mapping[str, Any]]] = {}
    for run in runs:
        groups.setdefault(_run_key(run), []).append(run)
    lines: list[Block] = [
        Heading(3, "Synthetic experiment (paper Section 7.2)"),
        Paragraph(
            "From ",
            code(result.name),
            f": {len(runs)} runs" + (f" on {p['device']}" if p.get("device") else ""),
            "; means over seeds.",
        ),
    ]
    headers = ["Method", "alpha", "Seeds", "KL(pi* ‖ pi)", "Spearman with NBC"]
    headers += ["Spearman with average reward"]
    summary = p.get("summary")
    if isinstance(summary, Sequence) and summary and all(isinstance(r, Mapping) for r in summary):
        # the command's own per-(method, alpha) summary
        headers += ["Peak delta", "Mass at 0", "Mass at +-10"]
        rows = []
        for r in summary:
            method, alpha = _run_key(r)
            seeds = ", ".join(str(m.get("seed", "?")) for m in groups.get((method, alpha), []))
            rows.append(
                [
                    method,
                    alpha,
                    seeds or r.get("n_seeds", "-"),
                    number(r.get("kl_to_optimal")),
                    number(r.get("spearman_nbc")),
                    number(r.get("spearman_average")),
                    r.get("peak_delta", "-"),
                    number(r.get("mass_at_0")),
                    number(r.get("mass_at_pm10")),
                ]
            )
    else:
        rows = [
            [
                method,
                alpha,
                ", ".join(str(m.get("seed", "?")) for m in members),
                number(_mean([m.get("kl_to_optimal") for m in members])),
                number(_mean([m.get("spearman_nbc") for m in members])),
                number(_mean([m.get("spearman_average") for m in members])),
            ]
            for (method, alpha), members in groups.items()
        ]
    lines.append(make_table(headers, rows, align="ll" + "r" * (len(headers) - 2)))
    figs = _copy_figures(result, prefix)
    if not figs:
        delta = _floats(p["delta"], "delta", src).reshape(-1)
        curves: dict[str, np.ndarray] = {
            "pi* (optimal)": _floats(p["optimal_profile"], "optimal_profile", src)
        }
        nbc_profile = _floats(p["nbc_profile"], "nbc_profile", src).reshape(-1)
        if nbc_profile.sum() > 0:
            curves["NBC (normalised to sum 1)"] = nbc_profile / nbc_profile.sum()
        for (method, alpha), members in groups.items():
            profiles = [m["policy_profile"] for m in members if m.get("policy_profile") is not None]
            if profiles:
                label = method if alpha == "-" else f"{method}, alpha = {alpha}"
                arr = _floats(profiles, "policy_profile", src).reshape(len(profiles), -1)
                curves[label] = arr.mean(axis=0)
        spec = _spec(
            "plot_profiles",
            delta,
            curves,
            xlabel="delta = y - x",
            ylabel="probability",
            title="Policies over delta (paper Fig. 4)",
        )
        figs = [Image(f"{prefix}-profiles.png", "Policies over delta", spec)]
    return lines + figs


def _accuracies(result: IncludedResult) -> list[tuple[Any, float]]:
    seeds = result.payload["seeds"]
    if not isinstance(seeds, Sequence):
        raise DataError(f"{result.name}: 'seeds' must be a list of {{seed, accuracy}}.")
    out = []
    for s in seeds:
        acc = float(s["accuracy"])
        out.append((s.get("seed", "?"), acc / 100 if acc > 1 else acc))
    return out


def _llm(results: Sequence[IncludedResult], prefix: str) -> list[Block]:
    lines: list[Block] = [
        Heading(3, "LLM experiments (paper Section 7.3)"),
        Paragraph(
            "Share of test pairs that the learned (or induced) reward orders as the average "
            "reward does."
        ),
    ]
    rows = []
    groups: dict[str, list[float]] = {}
    for res in results:
        p = res.payload
        accs = _accuracies(res)
        values = [a for _, a in accs]
        label = f"{p['objective']} / {p['dataset']}"
        groups.setdefault(label, []).extend(values)
        rows.append(
            [
                str(p["objective"]),
                str(p["dataset"]),
                str(p.get("train_pairs", "-")),
                str(p.get("test_pairs", "-")),
                ", ".join(f"{s}: {percent(a, 2)}" for s, a in accs),
                percent(float(np.mean(values)) if values else None, 2),
                code(res.name),
            ]
        )
    lines.append(
        make_table(
            [
                "Objective",
                "Dataset",
                "Train pairs",
                "Test pairs",
                "Accuracy by seed",
                "Mean",
                "File",
            ],
            rows,
            align="llrrlrl",
        )
    )
    copied: list[Image] = []
    for k, res in enumerate(results):
        copied += _copy_figures(res, f"{prefix}-{k + 1}")
    figs: list[Image] = []
    if len(groups) > 1 or not copied:  # one chart across objectives and datasets (Fig. 5)
        spec = _spec(
            "plot_seed_bars",
            groups,
            ylabel="agreement with average reward",
            title="Accuracy over seeds (paper Fig. 5)",
        )
        figs = [Image(f"{prefix}-accuracy.png", "Accuracy over seeds", spec)]
    return lines + figs + copied


def include_blocks(results: Sequence[IncludedResult]) -> list[Block]:
    """The sections of the included results, as blocks (figures described, not drawn).

    Counterexamples and synthetic runs get one section each (in the given order), all LLM
    results share one table and one figure.
    """
    blocks: list[Block] = []
    builders: dict[str, Callable[[IncludedResult, str], list[Block]]] = {
        "counterexample": _counterexample,
        "synthetic": _synthetic,
    }
    for k, res in enumerate(results):
        if res.kind in builders:
            blocks += builders[res.kind](res, f"include-{k + 1}-{res.kind}")
    llm = [r for r in results if r.kind == "llm"]
    if llm:
        blocks += _llm(llm, "include-llm")
    return blocks


def render_includes(
    results: Sequence[IncludedResult], fig_dir: Path, fig_rel: str = "figures"
) -> str:
    """Markdown of :func:`include_blocks`; the figures are drawn (or copied) into ``fig_dir``."""
    from socialpref.report.render import render_figures

    blocks = include_blocks(results)
    render_figures(list(images(blocks)), fig_dir)
    return render_blocks(blocks, fig_rel)


__all__ = [
    "SIGNATURES",
    "IncludedResult",
    "detect_kind",
    "include_blocks",
    "load_include",
    "render_includes",
]
