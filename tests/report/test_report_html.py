"""report.html: one self-contained page, escaped labels, and a real headless browser.

The page is checked as a file (no request of any kind, every figure embedded, every label
escaped) and in Debian's chromium driven by selenium through chromium-driver: it loads without
console errors, every image decodes, sorting orders the question table, filtering hides rows,
and every in-page link scrolls to a heading that exists. The browser part skips, saying why,
where chromium, its driver or selenium is absent (``.ci/run`` installs the browser).
"""

from __future__ import annotations

import base64
import csv
import io
import re
import shutil
from html.parser import HTMLParser
from pathlib import Path

import numpy as np
import pytest
from matplotlib import image as mpimg

from socialpref.app import AnalysisOptions
from socialpref.report import build_survey_report, write_report
from socialpref.report.html import png_size
from socialpref.report.layout import DPI, MAX_SIZE

#: Labels a survey file may hold, which a page must show as text.
NASTY_OPTION = '<script>alert("x")</script> & co'
NASTY_TYPE = 'Rep <b>"lean"</b>'
NASTY_TEXT = "Is 3 < 4 & is 'this' \"quoted\"?"

#: Chromium's flags for a sandboxed CI machine without a display.
CHROMIUM_FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--window-size=1400,1000",
)

# EV-like pattern: NBC's top differs from the average reward's (the question gets a section)
EV = {
    NASTY_TYPE: [0.02, 0.04, 0.25, 0.63, 0.06],
    "Dem & lean": [0.21, 0.30, 0.23, 0.13, 0.13],
    "Neither": [0.05, 0.12, 0.25, 0.26, 0.32],
}
EV_OPTIONS = ["Very likely", "Somewhat likely", "Not too likely", NASTY_OPTION, "Not buying"]
SIZES = {NASTY_TYPE: 1800, "Dem & lean": 1900, "Neither": 280}


def _crosstab(path: Path, prefix: str, n_extra: int) -> Path:
    """A crosstab with one discordant question and ``n_extra`` concordant ones."""
    rows = [["question", "group", "option", "count", "question_text"]]
    for group, shares in EV.items():
        for opt, s in zip(EV_OPTIONS, shares, strict=True):
            rows.append([f"{prefix}EV", group, opt, f"{s * SIZES[group]:.1f}", NASTY_TEXT])
    for q in range(n_extra):
        for g, group in enumerate(EV):
            for k, opt in enumerate(["More", "Same", "Less"]):
                count = (g + 1) * (600 - 100 * k) + 10 * q  # every group alike: no section
                rows.append([f"{prefix}Q{q + 1}", group, opt, str(count), f"Question {q + 1}?"])
    if prefix == "A_":  # 30 options with very long labels, NBC and the average disagree
        rng = np.random.default_rng(30)
        labels = [f"Answer {k}: " + "a long and winding answer category " * (1 + k % 3)
                  for k in range(30)]  # fmt: skip
        for g, group in enumerate(EV):
            counts = rng.multinomial(2000, rng.dirichlet(np.full(30, 0.6 + g)))
            for opt, count in zip(labels, counts, strict=True):
                rows.append(["A_MANY", group, opt, str(count + 5), "A_MANY. Pick one of many."])
    with path.open("w", newline="", encoding="utf-8") as f:
        csv.writer(f).writerows(rows)
    return path


@pytest.fixture(scope="module")
def page(tmp_path_factory: pytest.TempPathFactory) -> Path:
    tmp = tmp_path_factory.mktemp("html")
    sources = [
        _crosstab(tmp / "wave A.csv", "A_", 6),
        _crosstab(tmp / "wave B.csv", "B_", 3),
    ]
    report = build_survey_report(sources, AnalysisOptions(bootstrap=0))
    md = write_report(report, tmp / "report")
    return md.parent / "report.html"


class _Collect(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.text: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))

    def handle_data(self, data: str) -> None:
        self.text.append(data)


def _parse(path: Path) -> _Collect:
    parser = _Collect()
    parser.feed(path.read_text(encoding="utf-8"))
    return parser


def test_page_is_self_contained_and_escapes_labels(page: Path) -> None:
    html = page.read_text(encoding="utf-8")
    parsed = _parse(page)
    tags = [t for t, _ in parsed.tags]
    assert tags.count("script") == 1  # the page's own script; the label is text
    assert "http://" not in html and "https://" not in html  # nothing to fetch
    (csp,) = [
        a["content"] for t, a in parsed.tags if a.get("http-equiv") == "Content-Security-Policy"
    ]
    assert csp is not None and csp.startswith("default-src 'none'; img-src data:;")
    text = "".join(parsed.text)
    assert NASTY_OPTION in text and NASTY_TYPE in text  # shown as written ...
    assert "&lt;script&gt;" in html and "&lt;b&gt;&quot;lean&quot;&lt;/b&gt;" in html  # ... escaped
    assert not any(t == "b" for t in tags)
    imgs = [a for t, a in parsed.tags if t == "img"]
    figures = sorted(p.name for p in (page.parent / "figures").iterdir())
    assert sorted(a["title"] or "" for a in imgs) == figures  # every figure, embedded
    assert any(name.startswith("wave-a-csv-a-many") for name in figures)  # 30 options
    for a in imgs:
        src = a["src"] or ""
        assert src.startswith("data:image/png;base64,")
        data = base64.b64decode(src.split(",", 1)[1])
        assert data == (page.parent / "figures" / (a["title"] or "")).read_bytes()
        assert png_size(data) == (int(a["width"] or 0), int(a["height"] or 0))
        # within the size cap, nothing clipped: no ink on the image's border
        img = mpimg.imread(io.BytesIO(data), format="png")[..., :3]
        assert img.shape[0] <= MAX_SIZE[1] * DPI and img.shape[1] <= MAX_SIZE[0] * DPI
        border = np.concatenate([img[:2].reshape(-1, 3), img[-2:].reshape(-1, 3),
                                 img[:, :2].reshape(-1, 3), img[:, -2:].reshape(-1, 3)])  # fmt: skip
        assert border.min() > 0.95, a["title"]
    # every in-page link has its heading; the question table links each section
    ids = {a["id"] for _, a in parsed.tags if a.get("id")}
    hrefs = [a["href"] or "" for t, a in parsed.tags if t == "a"]
    assert hrefs and all(h.startswith("#") and h[1:] in ids for h in hrefs)
    assert "#a_ev-wave-acsv" in hrefs and "#b_ev-wave-bcsv" in hrefs


def test_markdown_and_page_show_the_same_document(page: Path) -> None:
    """One set of section builders: the same headings, in the same order, in both files."""
    md = (page.parent / "report.md").read_text(encoding="utf-8")
    md_headings = [
        re.sub(r"\\(.)", r"\1", line.lstrip("#").strip())
        for line in md.splitlines()
        if line.startswith("#")
    ]
    parsed = _parse(page)
    html = page.read_text(encoding="utf-8")
    html_headings = [
        _strip_tags(m) for m in re.findall(r"<h[1-6][^>]*>(.*?)</h[1-6]>", html, flags=re.S)
    ]
    assert md_headings == html_headings
    assert len([t for t, _ in parsed.tags if t == "table"]) == md.count("\n| :---")


def _strip_tags(fragment: str) -> str:
    import html as h

    return h.unescape(re.sub(r"<[^>]+>", "", fragment))


# ------------------------------------------------------------------------------- the browser


@pytest.fixture(scope="module")
def browser(tmp_path_factory: pytest.TempPathFactory):
    chromium, driver_path = shutil.which("chromium"), shutil.which("chromedriver")
    if chromium is None or driver_path is None:
        pytest.skip(
            "the page test needs Debian's chromium and chromium-driver "
            "(apt-get install -y chromium chromium-driver; .ci/run does it)"
        )
    webdriver = pytest.importorskip(
        "selenium.webdriver", reason="the page test needs selenium (the dev extra)"
    )
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = chromium
    for flag in CHROMIUM_FLAGS:
        options.add_argument(flag)
    options.add_argument(f"--user-data-dir={tmp_path_factory.mktemp('chromium-profile')}")
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    driver = webdriver.Chrome(options=options, service=Service(executable_path=driver_path))
    driver.set_page_load_timeout(60)
    try:
        yield driver
    finally:
        driver.quit()


@pytest.fixture(scope="module")
def loaded(browser, page: Path):
    browser.get(page.resolve().as_uri())
    assert browser.execute_script("return document.readyState") == "complete"
    return browser


def _column(driver, title: str) -> list[str]:
    """Cells of the shown rows of the question table in the column ``title``, in order."""
    return driver.execute_script(
        """
        const table = document.getElementById("questions");
        const heads = Array.from(table.tHead.rows[0].cells).map(c => c.textContent.trim());
        const k = heads.indexOf(arguments[0]);
        if (k < 0) { throw new Error("no column " + arguments[0]); }
        return Array.from(table.tBodies[0].rows).filter(r => !r.hidden)
            .map(r => r.cells[k].textContent.trim());
        """,
        title,
    )


def _sort_by(driver, title: str) -> None:
    driver.execute_script(
        """
        const table = document.getElementById("questions");
        const th = Array.from(table.tHead.rows[0].cells)
            .find(c => c.textContent.trim() === arguments[0]);
        th.querySelector("button").click();
        """,
        title,
    )


def test_page_loads_without_console_errors_and_every_image_decodes(loaded, page: Path) -> None:
    errors = [e for e in loaded.get_log("browser") if e["level"] == "SEVERE"]
    assert errors == []
    images = loaded.execute_script(
        "return Array.from(document.images).map(i => [i.complete, i.naturalWidth, i.naturalHeight]);"
    )
    n_figures = len(list((page.parent / "figures").iterdir()))
    assert len(images) == n_figures > 0
    assert all(ok and w > 0 and h > 0 for ok, w, h in images)
    assert loaded.title.startswith("socialpref report")
    # the labels are text on the page, and no script of theirs ran
    body = loaded.execute_script("return document.body.innerText;")
    assert NASTY_OPTION in body and NASTY_TEXT in body


def test_sorting_orders_the_question_table(loaded) -> None:
    _sort_by(loaded, "Options")
    up = [int(x) for x in _column(loaded, "Options")]
    assert up == sorted(up) and up[0] < up[-1]
    _sort_by(loaded, "Options")
    down = [int(x) for x in _column(loaded, "Options")]
    assert down == sorted(up, reverse=True)
    _sort_by(loaded, "Minimal TV")
    tvs = _column(loaded, "Minimal TV")
    numbers = [float(x) for x in tvs if x != "-"]
    assert numbers == sorted(numbers) and len(numbers) >= 2
    assert tvs[: len(numbers)] == [f"{x:.4f}" for x in numbers]  # empty cells sort last
    _sort_by(loaded, "Question")
    names = _column(loaded, "Question")
    assert names == sorted(names, key=str.lower)
    header = loaded.execute_script(
        "return Array.from(document.querySelectorAll('#questions th'))"
        ".map(th => th.getAttribute('aria-sort'));"
    )
    assert header.count("ascending") == 1 and header.count("descending") == 0


def test_filtering_hides_rows(loaded) -> None:
    from selenium.webdriver.common.by import By

    total = len(_column(loaded, "Question"))
    box = loaded.find_element(By.ID, "questions-filter")
    box.clear()
    box.send_keys("B_")
    shown = _column(loaded, "Question")
    assert 0 < len(shown) < total and all("B_" in q for q in shown)
    count = loaded.find_element(By.ID, "questions-count").text
    assert count == f"{len(shown)} of {total} shown"
    box.send_keys(" nothing-has-this")
    assert _column(loaded, "Question") == []
    for _ in range(len(" nothing-has-this") + 2):
        box.send_keys("\b")
    assert len(_column(loaded, "Question")) == total
    loaded.find_element(By.ID, "questions-linked").click()
    linked = _column(loaded, "Question")
    assert sorted(linked) == ["A_EV", "A_MANY", "B_EV"]
    loaded.find_element(By.ID, "questions-linked").click()
    assert len(_column(loaded, "Question")) == total


def test_every_link_scrolls_to_its_heading(loaded) -> None:
    hrefs = loaded.execute_script(
        "return Array.from(document.querySelectorAll('a[href^=\"#\"]')).map(a => a.getAttribute('href'));"
    )
    assert hrefs
    missing = loaded.execute_script(
        "return arguments[0].filter(h => !document.getElementById(h.slice(1)));", hrefs
    )
    assert missing == []
    for name in ("A_EV", "B_EV"):
        loaded.execute_script("window.scrollTo(0, 0);")
        top = loaded.execute_script(
            """
            const a = Array.from(document.querySelectorAll('#questions a'))
                .find(x => x.textContent === arguments[0]);
            a.click();
            const target = document.getElementById(a.getAttribute('href').slice(1));
            return [window.scrollY, target.getBoundingClientRect().top, location.hash, a.getAttribute('href')];
            """,
            name,
        )
        scroll, heading_top, hash_, href = top
        assert hash_ == href and scroll > 0
        assert -2 <= heading_top <= 40  # the heading is at the top of the window
