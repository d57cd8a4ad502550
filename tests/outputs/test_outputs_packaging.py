"""The built wheel on its own: the demo wave ships as package data, so ``socialpref demo`` runs
after a plain ``pip install`` into a fresh virtual environment (no system site packages, no
checkout on the path), and so does ``python -m socialpref``.

Slow (a fresh environment installs numpy, scipy, cvxpy, pandas and matplotlib from the package
index or pip's cache, about a minute): ``make test-all`` runs it.
"""

from __future__ import annotations

import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]


def _run(argv: list[str], cwd: Path, timeout: float = 900, *, stderr: bool = False) -> str:
    """Run ``argv``; its standard output (``stderr``: its standard error)."""
    proc = subprocess.run(argv, capture_output=True, text=True, cwd=cwd, timeout=timeout)
    assert proc.returncode == 0, f"{' '.join(argv)}\n{proc.stdout[-3000:]}\n{proc.stderr[-3000:]}"
    return proc.stderr if stderr else proc.stdout


@pytest.mark.slow
def test_the_wheel_runs_the_demo_in_a_fresh_environment(tmp_path: Path) -> None:
    wheels = tmp_path / "wheels"
    pip = [sys.executable, "-m", "pip"]
    _run(
        [*pip, "wheel", str(REPO), "--no-deps", "--no-build-isolation", "-w", str(wheels)], tmp_path
    )
    (wheel,) = wheels.glob("socialpref-*.whl")
    names = zipfile.ZipFile(wheel).namelist()
    assert "socialpref/data/ATP W900.sav" in names and "socialpref/__main__.py" in names
    assert not any(n.startswith(("data/", "tests/", "reports/")) for n in names)

    env = tmp_path / "env"
    _run([sys.executable, "-m", "venv", str(env)], tmp_path)
    assert "include-system-site-packages = false" in (env / "pyvenv.cfg").read_text()
    lock = REPO / "requirements" / "dev.lock"
    _run([str(env / "bin" / "pip"), "install", "--quiet", "-c", str(lock), str(wheel)], tmp_path)

    work = tmp_path / "elsewhere"
    work.mkdir()
    where = _run([str(env / "bin" / "python"), "-c", "import socialpref; print(socialpref.__file__)"], work)  # fmt: skip
    assert Path(where.strip()).is_relative_to(env)  # the installed package, not the checkout
    said = _run([str(env / "bin" / "socialpref"), "demo", "--out", "demo"], work, stderr=True)
    assert "Report written to demo/report.md" in said
    md = (work / "demo" / "report.md").read_text()
    assert "| socialpref/data/ATP W900.sav |" in md and "SYNTHETIC" in md
    assert any((work / "demo" / "figures").glob("*.png"))
    version = _run([str(env / "bin" / "python"), "-m", "socialpref", "--version"], work)
    assert version.startswith("socialpref ")
