"""The document the section builders make: names said once, the pooled rows in bold (markup,
not escaped asterisks), figures described with their titles; both renderers agree."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

from socialpref.app import AnalysisOptions
from socialpref.report import build_survey_report
from socialpref.report.document import Image, Paragraph, Quote, Table, plain
from socialpref.report.html import render_html
from socialpref.report.markdown import render_blocks
from socialpref.report.survey import build_document

SHARES = {"Rep": [0.02, 0.04, 0.25, 0.63, 0.06], "Dem": [0.21, 0.30, 0.23, 0.13, 0.13]}
OPTIONS = ["Very likely", "Somewhat likely", "Not too likely", "Not at all likely", "Not buying"]


def _crosstab(path: Path, question: str, text: str) -> Path:
    rows = [["question", "group", "option", "count", "question_text"]]
    for group, shares in SHARES.items():
        for opt, s in zip(OPTIONS, shares, strict=True):
            rows.append([question, group, opt, f"{2000 * s:.0f}", text])
    with path.open("w", newline="", encoding="utf-8") as f:
        csv.writer(f).writerows(rows)
    return path


@pytest.fixture(scope="module")
def blocks(tmp_path_factory: pytest.TempPathFactory):
    tmp = tmp_path_factory.mktemp("sections")
    sources = [
        _crosstab(tmp / "a.csv", "BIDENADM_W83", "BIDENADM_W83. Do you approve of the job?"),
        _crosstab(tmp / "b.csv", "EVCAR2_W128", "EVCAR2: How likely are you to buy an EV?"),
    ]
    return build_document(build_survey_report(sources, AnalysisOptions(bootstrap=0)))


def test_the_question_name_is_said_once(blocks) -> None:
    quotes = [b.text for b in blocks if isinstance(b, Quote)]
    assert quotes == ["Do you approve of the job?", "How likely are you to buy an EV?"]
    titles = [b.spec.kwargs["title"] for b in blocks if isinstance(b, Image) and b.spec and "title" in b.spec.kwargs]  # fmt: skip
    assert titles and all(t.count("BIDENADM_W83") + t.count("EVCAR2") == 1 for t in titles)
    assert "BIDENADM_W83: Do you approve of the job?" in titles


def test_pooled_rows_are_bold_in_both_renderers(blocks) -> None:
    md = render_blocks(blocks)
    assert "| **all (pooled)** |" in md and "\\*" not in md.split("## Provenance")[0]
    tables = [b for b in blocks if isinstance(b, Table)]
    pooled = [row[0] for t in tables for row in t.rows if plain(row[0].text) == "all (pooled)"]
    assert len(pooled) == 3  # the summary, the sweep and the targets' counts
    pngs = {b.name: b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01"
            for b in blocks if isinstance(b, Image)}  # fmt: skip
    page = render_html(blocks, pngs)
    assert page.count("<strong>all (pooled)</strong>") == 3


def test_markdown_escapes_text_but_not_markup() -> None:
    doc = [Paragraph("a *b* <c> | d ", "\\", ("e",))]
    assert render_blocks(doc) == "a \\*b\\* \\<c\\> \\| d \\\\e\n"
