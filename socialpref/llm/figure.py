"""Figure of LLM experiment accuracies across seeds, in the style of the paper's Fig. 5.

Renders results only (no computation beyond the summary statistics shown): one column per
experiment, every seed as a dot, the mean as a bar with whiskers from the first to the third
quartile across seeds. Experiments take the series colours of every socialpref figure
(:mod:`socialpref.report.palette`); the title is wrapped to the figure's width and the layout
engine keeps every label inside it.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from socialpref.errors import ParameterError


def experiment_label(result: Mapping[str, Any]) -> str:
    """``"DPO / anonymous"``-style label of a result dictionary (``LLMExperimentResult.to_dict()``)."""
    objective = {"dpo": "DPO", "reward": "Reward model"}.get(
        str(result["objective"]), str(result["objective"])
    )
    ref = result.get("reference", "uniform")
    suffix = " (base ref.)" if objective == "DPO" and ref == "base" else ""
    return f"{objective}{suffix}\n{result['dataset']}"


def plot_accuracies(results: Sequence[Mapping[str, Any]], title: str | None = None) -> Any:
    """A matplotlib Figure of test accuracy (in %) per experiment; mean with quartile whiskers.

    Parameters
    ----------
    results : sequence of mappings
        Each with keys ``objective``, ``dataset`` and ``seeds`` (a list of ``{seed, accuracy}``).
    title : str, optional
    """
    from matplotlib.figure import Figure

    from socialpref.report.layout import wrap_to
    from socialpref.report.palette import series_colour

    if not results:
        raise ParameterError(
            "The 'results' parameter of plot_accuracies must hold at least one result."
        )
    width = max(4.0, 1.8 + 1.6 * len(results))
    fig = Figure(figsize=(width, 3.8), layout="constrained")
    ax = fig.add_subplot(1, 1, 1)
    for k, res in enumerate(results):
        acc = 100.0 * np.asarray([s["accuracy"] for s in res["seeds"]], dtype=np.float64)
        q25, q75 = np.percentile(acc, [25, 75])
        mean = float(acc.mean())
        ax.bar(k, mean, width=0.6, color=series_colour(k), alpha=0.55)
        ax.errorbar(
            k,
            mean,
            yerr=[[mean - q25], [q75 - mean]],
            fmt="none",
            ecolor="black",
            capsize=6,
            lw=1.2,
        )
        offsets = np.linspace(-0.15, 0.15, acc.size) if acc.size > 1 else np.zeros(1)
        ax.scatter(k + offsets, acc, s=14, color="black", zorder=3)
        ax.annotate(
            f"{mean:.1f}",
            (k, q75),
            textcoords="offset points",
            xytext=(0, 6),
            ha="center",
            fontsize=8,
        )
    ax.set_xticks(range(len(results)))
    ax.set_xticklabels([experiment_label(r) for r in results], fontsize=8)
    ax.set_ylabel("agreement with average reward (%)")
    ax.set_ylim(0, 105)
    ax.axhline(50, color="grey", lw=0.8, ls="--")
    text = title or "Test pairs ordered as the average reward orders them"
    ax.set_title(wrap_to(text, width - 0.9, 9.0), fontsize=9)
    return fig
