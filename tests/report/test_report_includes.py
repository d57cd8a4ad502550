"""--include sections: shapes recognised, numbers shown as given, figures plotted or copied."""

from __future__ import annotations

import json
import re

import numpy as np
import pytest

from socialpref import average_reward, nbc
from socialpref.report.figures import new_figure, save_png
from socialpref.report.includes import detect_kind, load_include, render_includes

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
REWARDS = [[0.0, 1.0, 4.0], [4.0, 1.0, 0.0], [0.0, 1.0, 0.0]]  # paper Section 4.3, mediocrity
WEIGHTS = [1 / 3, 1 / 3, 1 / 3]


def _counterexample():
    return {
        "name": "mediocrity",
        "claim": "NBC(short) = NBC(long) < NBC(med) while pi* prefers short = long",
        "rewards": REWARDS,
        "type_weights": WEIGHTS,
        "options": ["short", "med", "long"],
        "types": ["A", "B", "C"],
        "sampling": None,
        "model": "bt",
        "nbc": nbc(REWARDS, WEIGHTS).tolist(),
        "average_reward": average_reward(REWARDS, WEIGHTS).tolist(),
        "holds": True,
    }


def _synthetic():
    delta = list(range(-3, 4))
    opt = np.exp(-np.abs(np.abs(delta) - 2.0))
    opt = (opt / opt.sum()).tolist()
    runs = [
        {
            "method": m,
            "alpha": a,
            "seed": s,
            "policy_profile": opt,
            "kl_to_optimal": 0.1 * (s + 1),
            "spearman_nbc": 0.9,
            "spearman_average": 0.5,
        }
        for m, a in (("dpo", None), ("corrected", 1.0))
        for s in (0, 1)
    ]
    return {"delta": delta, "optimal_profile": opt, "nbc_profile": [0.5] * 7, "runs": runs}


def _llm(objective, dataset, accs):
    return {
        "objective": objective,
        "dataset": dataset,
        "train_pairs": 100,
        "test_pairs": 20,
        "seeds": [{"seed": s, "accuracy": a} for s, a in enumerate(accs)],
    }


def _write(path, payload):
    path.write_text(json.dumps(payload))
    return path


def _images(markdown):
    return re.findall(r"!\[[^\]]*\]\(([^)]+)\)", markdown)


def test_kinds_are_detected():
    assert detect_kind(_counterexample()) == "counterexample"
    assert detect_kind(_synthetic()) == "synthetic"
    assert detect_kind(_llm("dpo", "anonymous", [0.6])) == "llm"
    assert detect_kind({"questions": []}) is None
    assert detect_kind([1, 2]) is None


def test_unknown_or_broken_files_are_clear_errors(tmp_path):
    with pytest.raises(ValueError, match="not a result file socialpref knows"):
        load_include(_write(tmp_path / "x.json", {"foo": 1}))
    (tmp_path / "bad.json").write_text("{not json")
    with pytest.raises(ValueError, match="not JSON"):
        load_include(tmp_path / "bad.json")
    with pytest.raises(FileNotFoundError):
        load_include(tmp_path / "missing.json")


def test_sections_show_the_numbers_and_plot_figures(tmp_path):
    results = [
        load_include(_write(tmp_path / "ce.json", _counterexample())),
        load_include(_write(tmp_path / "syn.json", _synthetic())),
        load_include(_write(tmp_path / "llm1.json", _llm("dpo", "anonymous", [0.6561, 0.6755]))),
        load_include(
            _write(tmp_path / "llm2.json", _llm("dpo", "max-info", [66.63, 69.55]))
        ),  # percent
    ]
    out = tmp_path / "report"
    (out / "figures").mkdir(parents=True)
    md = render_includes(results, out / "figures", "figures")
    assert "### Counterexample: mediocrity" in md and "**Holds:** yes" in md
    score = nbc(REWARDS, WEIGHTS)
    assert f"| {score[1]:.5f} |" in md  # NBC of "med" as given
    assert "| dpo | - | 0, 1 | 0.1500 |" in md  # mean KL over seeds
    assert "| corrected | 1 | 0, 1 |" in md
    assert "65.61%" in md and "66.63%" in md and "68.09%" in md  # mean of the percent file
    links = _images(md)
    assert len(links) == 4
    for link in links:
        assert not link.startswith("/")
        assert (out / link).read_bytes()[:8] == PNG_SIGNATURE


def test_referenced_figures_are_copied(tmp_path):
    run = tmp_path / "run"
    run.mkdir()
    save_png(new_figure(2, 2), run / "fig4a.png")
    payload = {**_synthetic(), "figures": {"Fig. 4(a)": "fig4a.png", "missing": "nope.png"}}
    res = load_include(_write(run / "results.json", payload))
    fig_dir = tmp_path / "figures"
    fig_dir.mkdir()
    md = render_includes([res], fig_dir, "figures")
    links = _images(md)
    assert links == ["figures/include-1-synthetic-fig4a.png"]
    assert (tmp_path / links[0]).read_bytes() == (run / "fig4a.png").read_bytes()


def test_real_counterexample_file_with_scenarios(tmp_path):
    from typer.testing import CliRunner

    from socialpref_cli.main import app

    path = tmp_path / "ce.json"
    result = CliRunner().invoke(
        app, ["counterexamples", "show", "sampling-sensitivity", "--json", str(path)]
    )
    assert result.exit_code == 0, result.output
    res = load_include(path)
    assert res.kind == "counterexample"
    fig_dir = tmp_path / "figures"
    fig_dir.mkdir()
    md = render_includes([res], fig_dir, "figures")
    payload = json.loads(path.read_text())
    for sc in payload["scenarios"]:  # one table per scenario, NBC as in the file (5 decimals)
        assert f"**{sc['label']}**" in md
        assert all(f"| {v:.5f} |" in md for v in sc["nbc"])
    links = _images(md)
    assert "figures/include-1-counterexample-ranks.png" in links  # NBC across scenarios
    for link in links:
        assert (tmp_path / link).read_bytes()[:8] == PNG_SIGNATURE
