"""The command line in the shell: '-' for standard output, --format, no wrapping or colour in a
pipe, file modes from the umask, progress on stderr only, python -m socialpref, completion."""

from __future__ import annotations

import csv
import io
import json
import os
import pty
import select
import stat
import subprocess
import sys
from collections.abc import Iterator, Sequence
from pathlib import Path

import pytest
from typer.testing import CliRunner

from socialpref.counterexamples import SUMMARIES
from socialpref_cli.main import app

runner = CliRunner()
CT = "question,group,option,count\nQ,Rep,A,10\nQ,Rep,B,5\nQ,Rep,C,1\nQ,Dem,A,3\nQ,Dem,B,9\nQ,Dem,C,6\n"
#: The CLI as its own process, with a real standard output.
CODE = "from socialpref_cli.main import app; app(prog_name='socialpref')"


@pytest.fixture(scope="module")
def wave(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A small synthetic wave in the ATP format (400 respondents, the demo's questions)."""
    from data.wavegen import demo_wave, write_wave

    return write_wave(
        demo_wave(seed=5, n_respondents=400), tmp_path_factory.mktemp("w") / "ATP W5.sav"
    )


@pytest.fixture
def ct(tmp_path: Path) -> Path:
    (tmp_path / "x.csv").write_text(CT)
    return tmp_path / "x.csv"


def shell(
    argv: Sequence[str], cwd: Path | None = None, **env: str
) -> subprocess.CompletedProcess[bytes]:
    """``socialpref ARGV`` with its standard output and error in pipes."""
    environ = {k: v for k, v in os.environ.items() if k not in ("COLUMNS", "FORCE_COLOR")}
    return subprocess.run(
        [sys.executable, "-c", CODE, *argv],
        capture_output=True,
        cwd=cwd,
        env={**environ, **env},
        timeout=300,
    )


def invoke(*argv: str) -> tuple[int, str, str]:
    result = runner.invoke(app, list(argv))
    return result.exit_code, result.stdout, result.stderr


# --------------------------------------------------------------------- '-' and --format


def test_sensitivity_json_into_a_pipe(wave: Path) -> None:
    """``socialpref sensitivity W.sav --json - | jq ...``: stdout is the JSON and nothing else."""
    proc = shell(["sensitivity", str(wave), "--bootstrap", "0", "--json", "-"])
    assert proc.returncode == 0, proc.stderr
    payload = json.loads(proc.stdout)
    assert payload["summary"]["questions"] > 0
    assert {q["source"] for q in payload["questions"]} == {"ATP W5.sav"}
    assert not Path("-").exists()


def test_a_file_named_dash_is_never_written(ct: Path, tmp_path: Path) -> None:
    code, out, _ = invoke(
        "surveys", "analyze", str(ct), "--csv", "-", "--json", str(tmp_path / "a.json")
    )
    assert code == 0
    rows = list(csv.DictReader(io.StringIO(out)))
    assert [r["option"] for r in rows] == ["A", "B", "C"]
    assert json.loads((tmp_path / "a.json").read_text())["questions"][0]["question"] == "Q"
    assert not (tmp_path / "-").exists() and not Path("-").exists()


def test_plot_to_stdout_is_a_png(ct: Path) -> None:
    proc = shell(
        ["sensitivity", str(ct), "--min-options", "2", "--min-per-option", "1", "--plot", "-"]
    )
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.startswith(b"\x89PNG\r\n\x1a\n")


def test_counterexample_json_to_stdout() -> None:
    code, out, _ = invoke("counterexamples", "show", "mediocrity", "--json", "-")
    assert code == 0
    assert json.loads(out)["name"] == "mediocrity"


FORMATTED = {
    "surveys list": (["surveys", "list", "{wave}"], "columns"),
    "surveys analyze": (["surveys", "analyze", "{wave}", "--bootstrap", "0"], "questions"),
    "surveys show": (["surveys", "show", "{wave}", "EVCAR2_W900", "--bootstrap", "0"], "rewards"),
    "sensitivity": (["sensitivity", "{wave}", "--bootstrap", "0"], "summary"),
    "counterexamples list": (["counterexamples", "list"], None),
    "counterexamples show": (["counterexamples", "show", "mediocrity"], "claim"),
}


@pytest.mark.parametrize("name", FORMATTED)
@pytest.mark.parametrize("fmt", ["json", "csv", "table"])
def test_format(name: str, fmt: str, wave: Path) -> None:
    argv, key = FORMATTED[name]
    code, out, err = invoke(*(a.format(wave=wave) for a in argv), "--format", fmt)
    assert code == 0, err
    if fmt == "json":
        payload = json.loads(out)
        assert key in payload if key else isinstance(payload, list) and payload
    elif fmt == "csv":
        rows = list(csv.DictReader(io.StringIO(out)))
        assert rows and all(len(r) == len(rows[0]) for r in rows)
        assert None not in rows[0]  # no row longer than the header
    else:
        assert "│" in out or "┃" in out or "─" in out  # a rich table
        with pytest.raises(json.JSONDecodeError):
            json.loads(out)


def test_analyze_csv_has_one_row_per_option(wave: Path) -> None:
    code, out, _ = invoke("surveys", "analyze", str(wave), "--bootstrap", "0", "--format", "csv", "-q", "EVCAR2_W900")  # fmt: skip
    assert code == 0
    rows = list(csv.DictReader(io.StringIO(out)))
    assert {r["question"] for r in rows} == {"EVCAR2_W900"} and len(rows) >= 3
    assert all(float(r["nbc"]) >= 0 for r in rows)


# --------------------------------------------------------------------- pipes: no wrap, no colour


@pytest.mark.parametrize("columns", [None, "80"])
def test_tables_in_a_pipe_are_not_wrapped_or_coloured(columns: str | None) -> None:
    env = {} if columns is None else {"COLUMNS": columns}
    proc = shell(["counterexamples", "list"], **env)
    assert proc.returncode == 0, proc.stderr
    text = proc.stdout.decode()
    assert "\x1b[" not in text
    lines = text.splitlines()
    for name, claim in SUMMARIES.items():
        (line,) = [ln for ln in lines if f" {name} " in ln]
        assert claim in line, (name, line)  # the whole claim on the row, never folded
    assert max(len(ln) for ln in lines) > 80


def test_texts_in_a_pipe_are_whole(wave: Path) -> None:
    proc = shell(["surveys", "list", str(wave)], COLUMNS="60")
    assert proc.returncode == 0, proc.stderr
    text = proc.stdout.decode()
    assert "…" not in text  # cut only on a terminal
    wording = "how likely are you to seriously consider purchasing an electric vehicle?"
    assert wording in text


def test_error_lines_in_a_pipe_are_one_line(tmp_path: Path) -> None:
    proc = shell(
        ["surveys", "list", str(tmp_path / ("a-very-long-name-" * 8 + ".sav"))], COLUMNS="40"
    )
    assert proc.returncode == 1
    assert len(proc.stderr.decode().strip().splitlines()) == 1


# --------------------------------------------------------------------- file modes


@pytest.fixture(params=[0o022, 0o027], ids=["umask-022", "umask-027"])
def umask(request: pytest.FixtureRequest) -> Iterator[int]:
    old = os.umask(request.param)
    yield int(request.param)
    os.umask(old)


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_outputs_get_the_umask_modes(umask: int, ct: Path, tmp_path: Path) -> None:
    a, b, p = tmp_path / "a.json", tmp_path / "b.csv", tmp_path / "p.png"
    assert invoke("surveys", "analyze", str(ct), "--json", str(a), "--csv", str(b))[0] == 0
    code, _, err = invoke("sensitivity", str(ct), "--min-options", "2", "--min-per-option", "1", "--plot", str(p))  # fmt: skip
    assert code == 0, err
    assert invoke("report", str(ct), "--out", str(tmp_path / "rep"))[0] == 0
    for f in (a, b, p):
        assert _mode(f) == 0o666 & ~umask, f
    rep = tmp_path / "rep"
    assert _mode(rep) == 0o777 & ~umask
    for f in rep.rglob("*"):
        assert _mode(f) == (0o777 if f.is_dir() else 0o666) & ~umask, f


@pytest.mark.slow
def test_training_outputs_get_the_umask_modes(umask: int, tmp_path: Path) -> None:
    pytest.importorskip("torch")
    out = tmp_path / "run"
    code, _, err = invoke("train", "synthetic", "--pairs", "64", "--steps", "2", "--batch-size", "8", "--out", str(out))  # fmt: skip
    assert code == 0, err
    assert _mode(out) == 0o777 & ~umask
    assert sorted(p.name for p in out.iterdir()) == [".socialpref-report", "fig3_rewards.png", "fig4_policies.png", "results.json"]  # fmt: skip
    for f in out.iterdir():
        assert _mode(f) == 0o666 & ~umask, f


# --------------------------------------------------------------------- progress: stderr only


def _with_terminal_stderr(argv: Sequence[str], cwd: Path) -> tuple[int, bytes, str]:
    """Run ``socialpref ARGV`` with stderr on a terminal (a pty) and stdout in a pipe."""
    master, slave = pty.openpty()
    env = {k: v for k, v in os.environ.items() if k not in ("COLUMNS", "NO_COLOR")}
    proc = subprocess.Popen(
        [sys.executable, "-c", CODE, *argv], stdout=subprocess.PIPE, stderr=slave, cwd=cwd, env=env
    )
    os.close(slave)
    assert proc.stdout is not None
    chunks: list[bytes] = []
    out = b""
    streams: list[int] = [master, proc.stdout.fileno()]
    while streams:  # read both until each is closed
        ready, _, _ = select.select(streams, [], [], 5.0)
        for fd in ready:
            try:
                data = os.read(fd, 65536)
            except OSError:  # the terminal closed with the process
                data = b""
            if not data:
                streams.remove(fd)
            elif fd == master:
                chunks.append(data)
            else:
                out += data
    proc.wait(timeout=300)
    os.close(master)
    return proc.returncode, out, b"".join(chunks).decode(errors="replace")


def test_progress_goes_to_a_terminal_stderr_never_to_stdout(wave: Path, tmp_path: Path) -> None:
    code, out, err = _with_terminal_stderr(
        ["sensitivity", str(wave), "--bootstrap", "20", "--json", "-"], tmp_path
    )
    assert code == 0, err
    assert json.loads(out)["summary"]["questions"] > 0  # stdout: the JSON only
    assert "reading ATP W5.sav" in err or "min-TV" in err  # the spinner or the bar
    code, out, err = _with_terminal_stderr(
        ["--quiet", "sensitivity", str(wave), "--bootstrap", "20", "--json", "-"], tmp_path
    )
    assert code == 0 and json.loads(out)
    assert "reading" not in err and "min-TV" not in err


def test_verbose_says_each_step_on_stderr(ct: Path) -> None:
    proc = shell(["--verbose", "surveys", "analyze", str(ct), "--format", "json"])
    assert proc.returncode == 0
    err = proc.stderr.decode()
    assert "socialpref: reading x.csv (" in err and "socialpref: analysing x.csv (" in err
    assert json.loads(proc.stdout)["questions"]
    quiet = shell(["--quiet", "--verbose", "surveys", "analyze", str(ct), "--format", "json"])
    assert "reading" not in quiet.stderr.decode()


# --------------------------------------------------------------------- entry points


def test_python_dash_m_socialpref() -> None:
    proc = subprocess.run(
        [sys.executable, "-m", "socialpref", "--version"], capture_output=True, text=True
    )
    assert proc.returncode == 0 and proc.stdout.strip().startswith("socialpref ")


def test_shell_completion() -> None:
    # typer detects the calling shell (sh under make) unless told to take the shell named
    script = subprocess.run(
        [sys.executable, "-m", "socialpref", "--show-completion", "bash"],
        capture_output=True,
        text=True,
        env={**os.environ, "_TYPER_COMPLETE_TEST_DISABLE_SHELL_DETECTION": "1"},
    )
    assert script.returncode == 0 and "_SOCIALPREF_COMPLETE=complete_bash" in script.stdout
    env = {
        "_SOCIALPREF_COMPLETE": "complete_bash",
        "COMP_WORDS": "socialpref sur",
        "COMP_CWORD": "1",
    }
    proc = subprocess.run(
        [sys.executable, "-m", "socialpref"],
        capture_output=True,
        text=True,
        env={**os.environ, **env},
    )
    assert proc.stdout.split() == ["surveys"], proc.stderr
    env["COMP_WORDS"], env["COMP_CWORD"] = "socialpref surveys an", "2"
    proc = subprocess.run(
        [sys.executable, "-m", "socialpref"],
        capture_output=True,
        text=True,
        env={**os.environ, **env},
    )
    assert proc.stdout.split() == ["analyze"], proc.stderr
