"""Fig. 3 and Fig. 4 of the paper from a ``results.json`` dictionary (matplotlib, Agg).

The functions render numbers already computed by :func:`socialpref.train.experiment.run_synthetic`
(its ``to_dict()``); they compute nothing but means over seeds. Save with
``fig.savefig(path, metadata=PNG_METADATA)`` for byte-stable PNGs. Figures are built without
pyplot (no global figure registry to fill), with the layout engine keeping every label inside
them; colours follow their role as in every socialpref figure
(:mod:`socialpref.report.palette`): the types keep the type colours, the average reward, NBC
and pi* have their own, the methods take the series colours.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from matplotlib.figure import Figure

from socialpref.report.palette import AVERAGE, NBC, OPTIMAL, series_colour, type_colour

PNG_METADATA: dict[str, Any] = {"Software": None}


def _mean_profile(runs: list[dict[str, Any]]) -> tuple[Any, Any]:
    profs = np.array([r["policy_profile"] for r in runs], dtype=np.float64)
    mean = profs.mean(axis=0)
    se = (
        profs.std(axis=0, ddof=1) / np.sqrt(len(profs))
        if len(profs) > 1
        else np.array(runs[0]["policy_profile_se"])
    )
    return mean, se


def _select(results: dict[str, Any], method: str) -> dict[float | None, list[dict[str, Any]]]:
    out: dict[float | None, list[dict[str, Any]]] = {}
    for r in results["runs"]:
        if r["method"] == method:
            out.setdefault(r["alpha"], []).append(r)
    return out


def figure_rewards(results: dict[str, Any]) -> Figure:
    """Fig. 3: each type's reward over ``delta = y - x`` and their average."""
    delta = np.asarray(results["delta"])
    shifts = results["environment"]["shifts"]
    fig = Figure(figsize=(5.0, 3.2), dpi=120, layout="constrained")
    ax = fig.add_subplot()
    for k, prof in enumerate(results["reward_profiles"]):
        ax.plot(
            delta,
            prof,
            color=type_colour(k),
            lw=1.6,
            label=f"type u = {shifts[k]:+d}".replace("+0", "0"),
        )
    ax.plot(
        delta, results["average_profile"], color=AVERAGE, lw=2.2, ls="--", label="average reward"
    )
    ax.set_xlabel(r"$\delta = y - x$")
    ax.set_ylabel("reward")
    ax.set_title("Rewards per type (Fig. 3)")
    ax.legend(frameon=False, fontsize=8)
    return fig


def _band(ax: Any, delta: Any, mean: Any, se: Any, color: str, label: str, ls: str = "-") -> None:
    ax.plot(delta, mean, color=color, lw=1.6, ls=ls, label=label)
    ax.fill_between(delta, mean - se, mean + se, color=color, alpha=0.2, lw=0)


def figure_policies(results: dict[str, Any]) -> Figure:
    """Fig. 4: (a) DPO vs pi* and NBC, (b) corrected DPO for each alpha, (c) the consistent
    loss vs pi*. Learned profiles are means over seeds with standard-error bands; NBC is
    normalised per prompt to sum to one. Panels whose method is absent say so."""
    delta = np.asarray(results["delta"])
    opt = np.asarray(results["optimal_profile"])
    nbc = np.asarray(results["nbc_profile"])
    fig = Figure(figsize=(13.5, 3.8), dpi=120, layout="constrained")
    axes = fig.subplots(1, 3, sharey=True)
    ax = axes[0]
    ax.plot(delta, opt, color=OPTIMAL, lw=2.0, label=r"$\pi^*$")
    ax.plot(delta, nbc, color=NBC, lw=1.6, ls=":", label="NBC (normalised)")
    dpo = _select(results, "dpo")
    if None in dpo:
        _band(ax, delta, *_mean_profile(dpo[None]), series_colour(0), "DPO")
    ax.set_title("(a) DPO vs optimal policy and NBC")
    ax = axes[1]
    ax.plot(delta, opt, color=OPTIMAL, lw=2.0, label=r"$\pi^*$")
    if None in dpo:
        _band(ax, delta, *_mean_profile(dpo[None]), series_colour(0), r"DPO ($\alpha = 0$)")
    corrected = _select(results, "corrected")
    limits = {row["alpha"]: row["profile"] for row in results.get("corrected_limit_profiles", [])}
    for k, a in enumerate(sorted(a for a in corrected if a is not None)):
        color = series_colour(k + 1)
        _band(ax, delta, *_mean_profile(corrected[a]), color, rf"corrected, $\alpha = {a:g}$")
        if a in limits:
            ax.plot(delta, limits[a], color=color, lw=1.0, ls=":")
    ax.set_title("(b) first-order corrected DPO\n(dotted: infinite data)")
    ax = axes[2]
    ax.plot(delta, opt, color=OPTIMAL, lw=2.0, label=r"$\pi^*$")
    for method, label, color, ls in (
        ("consistent", "consistent (Prop. 6.1)", series_colour(4), "-"),
        ("consistent-b3", "Prop. B.3 loss", series_colour(5), "--"),
        ("reward-average", "per-type rewards, averaged, then DPO", series_colour(6), ":"),
    ):
        runs = _select(results, method)
        if None in runs:
            _band(ax, delta, *_mean_profile(runs[None]), color, label, ls)
    ax.set_title("(c) full annotator information\nvs optimal policy")
    for ax in axes:
        ax.set_xlabel(r"$\delta = y - x$")
        ax.legend(frameon=False, fontsize=7)
    axes[0].set_ylabel(r"$\pi(\delta)$")
    return fig
