"""The report as one self-contained HTML page (``report.html``).

:func:`render_html` lays out the same blocks as the markdown (:mod:`socialpref.report.document`)
in a page that needs nothing else: the figures are embedded as ``data:`` URIs, the style and
the script are inline, and a Content-Security-Policy forbids every request, so the page opens
offline, from a mail attachment or a copied folder. An interactive table (the list of every
question) gets a text filter, a switch that keeps the questions with a section, and sortable
columns (click a header; again for the reverse order; empty cells sort last). Every piece of
text is escaped (labels read from survey files may hold ``<``, ``&`` or quotes).
"""

from __future__ import annotations

import base64
import html
import struct
from collections.abc import Iterable, Mapping

from socialpref.report.document import Block, Bullets, Heading, Image, Paragraph, Quote, Table, Text

#: No request of any kind: only the page's own style, script and embedded images.
CSP = (
    "default-src 'none'; img-src data:; style-src 'unsafe-inline'; script-src 'unsafe-inline'; "
    "base-uri 'none'; form-action 'none'"
)

STYLE = """
:root { --ink: #1f2328; --muted: #59636e; --line: #d1d9e0; --head: #f6f8fa; --link: #0969da; }
* { box-sizing: border-box; }
body { margin: 0; color: var(--ink); background: #fff;
  font: 15px/1.5 -apple-system, "Segoe UI", "DejaVu Sans", Helvetica, Arial, sans-serif; }
main { max-width: 1440px; margin: 0 auto; padding: 1.5rem 2rem 4rem; }
h1, h2, h3 { line-height: 1.25; margin: 1.6em 0 0.6em; scroll-margin-top: 0.5rem; }
h1 { font-size: 1.9rem; margin-top: 0.5em; }
h2 { font-size: 1.45rem; border-bottom: 1px solid var(--line); padding-bottom: 0.25em; }
h3 { font-size: 1.15rem; }
a { color: var(--link); }
code { font: 0.88em/1.4 "DejaVu Sans Mono", Menlo, Consolas, monospace;
  background: var(--head); padding: 0.1em 0.3em; border-radius: 4px; overflow-wrap: anywhere; }
blockquote { margin: 0 0 1em; padding: 0 1em; color: var(--muted); border-left: 4px solid var(--line); }
.table-wrap { overflow-x: auto; margin: 0 0 1.2em; max-width: 100%; }
table { border-collapse: collapse; font-size: 0.86rem; }
th, td { border: 1px solid var(--line); padding: 0.3em 0.55em; vertical-align: top; }
th { background: var(--head); text-align: left; }
td.r, th.r { text-align: right; } td.c, th.c { text-align: center; }
td.r { font-variant-numeric: tabular-nums; white-space: nowrap; }
td.l { min-width: 10em; max-width: 30em; }
.table-wrap.scroll { max-height: 85vh; overflow: auto; border: 1px solid var(--line); }
.table-wrap.scroll table { border-collapse: separate; border-spacing: 0; }
.table-wrap.scroll th, .table-wrap.scroll td { border-width: 0 1px 1px 0; }
table.interactive thead th { position: sticky; top: 0; z-index: 1; }
table.interactive th button { all: inherit; cursor: pointer; border: 0; padding: 0; }
table.interactive th[aria-sort="ascending"] button::after { content: " \\25B2"; }
table.interactive th[aria-sort="descending"] button::after { content: " \\25BC"; }
table.interactive tbody tr:hover { background: #fff8c5; }
.controls { display: flex; flex-wrap: wrap; gap: 0.6em 1.2em; align-items: center; margin: 0.4em 0; }
.controls input[type=search] { font: inherit; padding: 0.25em 0.5em; min-width: 22em;
  border: 1px solid var(--line); border-radius: 6px; }
.controls .count { color: var(--muted); }
figure { margin: 0 0 1.2em; }
figure img { max-width: 100%; height: auto; border: 1px solid var(--line); }
"""

SCRIPT = """
(function () {
  "use strict";
  function value(cell) {
    return cell.hasAttribute("data-sort") ? cell.getAttribute("data-sort") : cell.textContent.trim();
  }
  function number(text) {
    if (text === "" || text === "-" || text === "n/a") { return null; }
    var x = Number(text.replace(/%$/, ""));
    return isFinite(x) ? x : NaN;
  }
  function compare(a, b) {
    var x = number(a), y = number(b);
    if (!isNaN(x) && !isNaN(y) && x !== null && y !== null) { return x - y; }
    return a.localeCompare(b, undefined, { numeric: true, sensitivity: "base" });
  }
  function setUp(table) {
    var body = table.tBodies[0];
    var rows = Array.prototype.slice.call(body.rows);
    rows.forEach(function (row, k) { row.setAttribute("data-index", String(k)); });
    var headers = Array.prototype.slice.call(table.tHead.rows[0].cells);
    headers.forEach(function (th, col) {
      th.querySelector("button").addEventListener("click", function () {
        var descending = th.getAttribute("aria-sort") === "ascending";
        headers.forEach(function (h) { h.setAttribute("aria-sort", "none"); });
        th.setAttribute("aria-sort", descending ? "descending" : "ascending");
        var sign = descending ? -1 : 1;
        var sorted = Array.prototype.slice.call(body.rows).sort(function (r, s) {
          var a = value(r.cells[col]), b = value(s.cells[col]);
          var ma = number(a) === null, mb = number(b) === null;
          var order = ma || mb ? (ma ? 1 : 0) - (mb ? 1 : 0) : sign * compare(a, b);
          return order || Number(r.getAttribute("data-index")) - Number(s.getAttribute("data-index"));
        });
        sorted.forEach(function (row) { body.appendChild(row); });
      });
    });
    var input = document.getElementById(table.id + "-filter");
    var linked = document.getElementById(table.id + "-linked");
    var count = document.getElementById(table.id + "-count");
    function filter() {
      var terms = input.value.toLowerCase().split(/\\s+/).filter(Boolean);
      var shown = 0;
      rows.forEach(function (row) {
        var text = row.textContent.toLowerCase();
        var ok = terms.every(function (t) { return text.indexOf(t) >= 0; });
        if (linked.checked && !row.getAttribute("data-target")) { ok = false; }
        row.hidden = !ok;
        shown += ok ? 1 : 0;
      });
      count.textContent = shown + " of " + rows.length + " shown";
    }
    input.addEventListener("input", filter);
    linked.addEventListener("change", filter);
    filter();
  }
  Array.prototype.forEach.call(document.querySelectorAll("table.interactive"), setUp);
})();
"""


def _e(text: object) -> str:
    return html.escape(str(text), quote=True)


def inline(text: Text) -> str:
    """Inline content as HTML: every string escaped, spans as tags."""
    out = []
    for part in text:
        if isinstance(part, str):
            out.append(_e(part))
        elif part.style == "link":
            out.append(f'<a href="{_e(part.href)}">{_e(part.text)}</a>')
        else:
            tag = {"strong": "strong", "em": "em", "code": "code"}[part.style]
            out.append(f"<{tag}>{_e(part.text)}</{tag}>")
    return "".join(out)


def png_size(data: bytes) -> tuple[int, int]:
    """Width and height of a PNG (from its header)."""
    if data[:8] != b"\x89PNG\r\n\x1a\n" or data[12:16] != b"IHDR":
        from socialpref.errors import DataError

        raise DataError("Not a PNG file (the report embeds PNG figures only).")
    width, height = struct.unpack(">II", data[16:24])
    return int(width), int(height)


def _table(t: Table) -> str:
    ident = f' id="{_e(t.id)}"' if t.id else ""
    classes = ' class="interactive"' if t.interactive else ""
    head = []
    for column in t.columns:
        title = _e(column.title)
        if t.interactive:
            title = f'<button type="button">{title}</button>'
        sort = ' aria-sort="none"' if t.interactive else ""
        head.append(f'<th class="{column.align}" scope="col"{sort}>{title}</th>')
    body = []
    for k, row in enumerate(t.rows):
        target = t.row_anchors[k] if k < len(t.row_anchors) else ""
        attrs = f' data-target="{_e(target)}"' if target else ""
        cells = []
        for c, col in zip(row, t.columns, strict=True):
            sort = ""
            if c.has_sort:
                sort = f' data-sort="{"" if c.sort is None else _e(c.sort)}"'
            cells.append(f'<td class="{col.align}"{sort}>{inline(c.text)}</td>')
        body.append(f"<tr{attrs}>{''.join(cells)}</tr>")
    table = (
        f"<table{ident}{classes}><thead><tr>{''.join(head)}</tr></thead>"
        f"<tbody>\n{chr(10).join(body)}\n</tbody></table>"
    )
    scroll = " scroll" if t.interactive else ""
    out = f'<div class="table-wrap{scroll}">{table}</div>'
    if t.interactive and t.id:
        controls = (
            f'<div class="controls"><input type="search" id="{_e(t.id)}-filter" '
            f'placeholder="Filter rows: every word must match" '
            f'aria-label="Filter the rows of the table"> '
            f'<label><input type="checkbox" id="{_e(t.id)}-linked"> only rows with a section</label> '
            f'<span class="count" id="{_e(t.id)}-count" aria-live="polite"></span></div>'
        )
        out = controls + out
    return out


def render_html(
    blocks: Iterable[Block], pngs: Mapping[str, bytes], *, title: str = "socialpref report"
) -> str:
    """One HTML page of ``blocks``, the figures embedded from ``pngs`` (bytes by file name).

    Heading ids are the anchors the markdown links use (GitHub's); a repeated id gets ``-1``,
    ``-2``, ... as on GitHub.

    Raises
    ------
    KeyError
        An image of ``blocks`` has no PNG in ``pngs`` (a bug of the caller).
    """
    used: dict[str, int] = {}
    parts: list[str] = []
    for b in blocks:
        if isinstance(b, Heading):
            ident = b.anchor
            if ident in used:
                used[ident] += 1
                ident = f"{ident}-{used[ident]}"
            else:
                used[ident] = 0
            parts.append(f'<h{b.level} id="{_e(ident)}">{_e(b.text)}</h{b.level}>')
        elif isinstance(b, Paragraph):
            parts.append(f"<p>{inline(b.text)}</p>")
        elif isinstance(b, Quote):
            parts.append(f"<blockquote><p>{_e(b.text)}</p></blockquote>")
        elif isinstance(b, Bullets):
            items = "".join(f"<li>{inline(item)}</li>" for item in b.items)
            parts.append(f"<ul>{items}</ul>")
        elif isinstance(b, Table):
            parts.append(_table(b))
        elif isinstance(b, Image):
            data = pngs[b.name]
            width, height = png_size(data)
            src = "data:image/png;base64," + base64.b64encode(data).decode("ascii")
            parts.append(
                f'<figure><img src="{src}" alt="{_e(b.alt)}" title="{_e(b.name)}" '
                f'width="{width}" height="{height}"></figure>'
            )
        else:  # pragma: no cover - every block type is handled above
            raise TypeError(f"Not a block of socialpref.report.document: {b!r}")
    body = "\n".join(parts)
    return (
        "<!DOCTYPE html>\n"
        '<html lang="en">\n<head>\n<meta charset="utf-8">\n'
        f'<meta http-equiv="Content-Security-Policy" content="{_e(CSP)}">\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        '<meta name="generator" content="socialpref">\n'
        '<link rel="icon" href="data:,">\n'
        f"<title>{_e(title)}</title>\n<style>{STYLE}</style>\n</head>\n"
        f"<body>\n<main>\n{body}\n</main>\n<script>{SCRIPT}</script>\n</body>\n</html>\n"
    )


__all__ = ["CSP", "inline", "png_size", "render_html"]
