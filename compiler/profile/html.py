"""A profile as one self-contained HTML page with charts (inline SVG, no script, nothing fetched).

In:  ``model.Profile``.
Out: the page's text. Per file: the evidence, a chart of how full each column is, a stacked
bar of each column's value shapes, and the duplicate keys as bars; then the references.
Every value from the data is escaped (``html.escape``); the page has no script and no
external resource, so it opens offline and from a pull request's artifacts alike.
"""

from __future__ import annotations

from html import escape

from compiler.profile.model import Column, Profile, SourceProfile
from compiler.profile.render import APPROXIMATE, distinct_text, pct, reference_text, shape_text, short, source_title, top_text

_PALETTE = ("#4e79a7", "#f28e2b", "#59a14f", "#e15759", "#76b7b2", "#edc948", "#b07aa1", "#ff9da7", "#9c755f")
_OTHER = "#bab0ac"
_BAR = 320  # px: the width of a full bar
_ROW = 22
_LABEL = 170

_STYLE = """
body{font:14px/1.4 system-ui,sans-serif;margin:2em;color:#222;max-width:1200px}
h1{font-size:1.5em}h2{font-size:1.2em;margin-top:2em;border-bottom:1px solid #ddd}
table{border-collapse:collapse;margin:.5em 0}td,th{padding:2px 8px;border-bottom:1px solid #eee;text-align:left;
vertical-align:top}ul.evidence{color:#555;font-size:.9em}svg text{font:12px system-ui,sans-serif}
.chart{margin:.5em 0 1em}.legend span{display:inline-block;margin-right:1em}.sw{display:inline-block;width:10px;
height:10px;margin-right:4px}
"""


def _text(x: float, y: float, content: str, anchor: str = "start") -> str:
    return f'<text x="{x:.0f}" y="{y:.0f}" text-anchor="{anchor}">{escape(content)}</text>'


def _rect(x: float, y: float, w: float, h: float, fill: str, title: str) -> str:
    return (f'<rect x="{x:.1f}" y="{y:.0f}" width="{max(w, 0):.1f}" height="{h:.0f}" fill="{fill}">'
            f"<title>{escape(title)}</title></rect>")


def _svg(height: int, body: list[str], label: str) -> str:
    width = _LABEL + _BAR + 90
    return (f'<svg class="chart" role="img" aria-label="{escape(label)}" width="{width}" height="{height}" '
            f'viewBox="0 0 {width} {height}" xmlns="http://www.w3.org/2000/svg">' + "".join(body) + "</svg>")


def filled_chart(s: SourceProfile) -> str:
    """One bar per column: its non-empty share of the rows."""
    body = []
    for i, c in enumerate(s.columns):
        y = i * _ROW
        share = c.non_empty / s.rows if s.rows else 0.0
        body += [_text(_LABEL - 6, y + 15, short(c.name), "end"),
                 _rect(_LABEL, y + 3, _BAR, _ROW - 6, "#eee", f"{c.name}: empty in {pct(1 - share)} of rows"),
                 _rect(_LABEL, y + 3, _BAR * share, _ROW - 6, _PALETTE[0], f"{c.name}: filled in {pct(share)} of rows"),
                 _text(_LABEL + _BAR + 6, y + 15, pct(share))]
    return _svg(max(len(s.columns), 1) * _ROW, body, f"filled share per column of {s.format.name}")


def shapes_chart(s: SourceProfile) -> str:
    """One stacked bar per column: its value shapes, largest first."""
    body = []
    for i, c in enumerate(s.columns):
        y, x = i * _ROW, float(_LABEL)
        body.append(_text(_LABEL - 6, y + 15, short(c.name), "end"))
        for j, shape in enumerate(c.shapes):
            width = _BAR * shape.share
            color = _PALETTE[j] if j < len(_PALETTE) else _OTHER
            body.append(_rect(x, y + 3, width, _ROW - 6, color, f"{c.name}: {pct(shape.share)} {shape.label}"
                              + (f" (e.g. {shape.example})" if shape.example else "")))
            x += width
        body.append(_text(_LABEL + _BAR + 6, y + 15, c.kind))
    return _svg(max(len(s.columns), 1) * _ROW, body, f"value shapes per column of {s.format.name}")


def duplicates_chart(s: SourceProfile) -> str:
    if not s.duplicates:
        return "<p>No column that looks like a key repeats a value.</p>"
    most = max(d.rows for d in s.duplicates)
    body = []
    for i, d in enumerate(s.duplicates):
        y = i * _ROW
        body += [_text(_LABEL - 6, y + 15, short(f"{d.column} ({d.how})", 26), "end"),
                 _rect(_LABEL, y + 3, _BAR * d.rows / most, _ROW - 6, _PALETTE[3],
                       f"{d.column} ({d.how}): {d.rows:,} rows repeat {d.values:,} values"),
                 _text(_LABEL + _BAR * d.rows / most + 6, y + 15, f"{d.rows:,}")]
    return _svg(len(s.duplicates) * _ROW, body, f"duplicate rows per key of {s.format.name}")


def _columns_table(s: SourceProfile) -> str:
    rows = "".join(
        f"<tr><td><code>{escape(c.name)}</code></td><td>{pct(c.non_empty / s.rows) if s.rows else '-'}</td>"
        f"<td>{distinct_text(c)}</td><td>{escape(shape_text(c))}</td>"
        f"<td>{escape(top_text(c))}</td></tr>" for c in s.columns)
    note = f"<p>{escape(APPROXIMATE)}</p>" if any(c.distinct_approximate for c in s.columns) else ""
    return ("<table><thead><tr><th>column</th><th>filled</th><th>distinct</th><th>shapes</th><th>top values</th>"
            f"</tr></thead><tbody>{rows}</tbody></table>{note}")


def _source(s: SourceProfile) -> str:
    evidence = "".join(f"<li>{escape(e)}</li>" for e in s.format.evidence)
    ids = escape(", ".join(s.ids)) if s.ids else "none"
    return (f'<section class="source" id="source-{escape(s.format.name)}"><h2>{escape(source_title(s))}</h2>'
            f'<ul class="evidence">{evidence}</ul>'
            f"<h3>Filled</h3>{filled_chart(s)}<h3>Value shapes</h3>{shapes_chart(s)}"
            f"<h3>Duplicates per key</h3>{duplicates_chart(s)}"
            f"<p>Candidate ids: <code>{ids}</code></p>{_columns_table(s)}</section>")


def to_html(profile: Profile) -> str:
    references = "".join(f"<li>{escape(reference_text(r))}</li>" for r in profile.references)
    sections = "".join(_source(s) for s in profile.sources)
    names = ", ".join(s.format.name for s in profile.sources)
    return ("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
            f"<title>ferry profile: {escape(names)}</title><style>{_STYLE}</style></head><body>"
            f"<h1>Export profile: {len(profile.sources)} files</h1>{sections}"
            f"<h2>References between files</h2><ul class=\"references\">{references or '<li>none found</li>'}</ul>"
            f"<p>Profiled in {profile.seconds:.1f}s.</p></body></html>\n")


__all__ = ["to_html", "filled_chart", "shapes_chart", "duplicates_chart", "Column"]
