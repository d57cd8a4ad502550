"""The CDF figure of minimal TVs (Fig. 2): deterministic, atomic, fixed size."""

from __future__ import annotations

import struct
from pathlib import Path

import numpy as np
import pytest

from socialpref.report.figures import DPI
from socialpref.report.figures_sensitivity import CDF_SIZE, plot_min_tv_cdf, save_min_tv_cdf


def png_size(path: Path) -> tuple[int, int]:
    data = path.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    return struct.unpack(">II", data[16:24])


def test_deterministic_fixed_size_png(tmp_path: Path) -> None:
    rng = np.random.default_rng(0)
    values = [*rng.beta(2, 6, 50).tolist(), None, float("nan")]
    a = save_min_tv_cdf(values, tmp_path / "a.png")
    b = save_min_tv_cdf(values, tmp_path / "sub" / "b.png")
    assert a.read_bytes() == b.read_bytes()
    assert png_size(a) == (round(CDF_SIZE[0] * DPI), round(CDF_SIZE[1] * DPI))
    assert b"Software" not in a.read_bytes()
    assert sorted(p.name for p in tmp_path.rglob("*") if p.is_file()) == ["a.png", "b.png"]


def test_figure_content() -> None:
    fig = plot_min_tv_cdf([0.1, 0.3, 0.2, None], base_label="D0")
    ax = fig.axes[0]
    assert ax.get_xlabel() == "minimum TV distance from D0"
    assert "fraction" in ax.get_ylabel()
    texts = [t.get_text() for t in ax.texts]
    assert "median 0.20" in texts and "3 flippable of 4 questions" in texts
    _, y = ax.lines[0].get_data()
    assert list(np.asarray(y))[-1] == 1.0


def test_no_flippable_question_and_bad_values(tmp_path: Path) -> None:
    assert save_min_tv_cdf([None, None], tmp_path / "empty.png").exists()
    with pytest.raises(ValueError, match="'min_tvs'"):
        plot_min_tv_cdf([0.2, 1.5])
    with pytest.raises(ValueError, match="'min_tvs'"):
        plot_min_tv_cdf(["a"])  # type: ignore[list-item]
    # a failed write leaves nothing behind
    target = tmp_path / "bad.png"
    with pytest.raises(ValueError):
        save_min_tv_cdf([2.0], target)
    assert not target.exists()
