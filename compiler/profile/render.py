"""A profile as the terminal shows it, as Markdown for a pull request, and as JSON.

In:  ``model.Profile``.
Out: ``to_renderables`` (rich tables), ``to_markdown`` (text), ``to_data`` / ``to_json``
(schema: compiler/schema/profile-v1.json). Numbers are formatted here only; every renderer,
the HTML page too (``profile.html``), shows the same lines (``shape_text``, ``source_title``).
"""

from __future__ import annotations

import json
from typing import Any, Iterator

from compiler.profile.model import Column, Profile, Reference, SourceProfile

SCHEMA_VERSION = 1
_SHAPES_SHOWN = 4
_TOP_SHOWN = 3
_VALUE_WIDTH = 24
APPROXIMATE = "~ distinct: estimated (HyperLogLog, within about 2%); exact for every possible id or key"


def pct(share: float) -> str:
    """'61%', '0.4%', '<0.1%': small shares keep a digit so that a rare shape is not shown as 0%."""
    if share <= 0:
        return "0%"
    if share < 0.001:
        return "<0.1%"
    return f"{share:.0%}" if share >= 0.095 else f"{share:.1%}"


def short(value: str, width: int = _VALUE_WIDTH) -> str:
    text = value.replace("\r", "\\r").replace("\n", "\\n")
    return text if len(text) <= width else text[: width - 1] + "…"


def source_title(s: SourceProfile) -> str:
    f = s.format
    how = [f.format]
    if f.encoding:
        how.append(f.encoding)
    if f.delimiter:
        how.append("tab-separated" if f.delimiter == "\t" else f"delimiter '{f.delimiter}'")
    if f.sheet:
        how.append(f"sheet '{f.sheet}', header row {f.header_row}")
    if f.record:
        how.append(f"record {f.record}")
    sampled = "" if s.sampled == s.rows else f"; shapes and checks from a sample of {s.sampled:,} rows"
    return f"{f.path}: {', '.join(how)}, {s.rows:,} rows{sampled}"


def shape_text(c: Column) -> str:
    """'phone: 61% +48 9-digit, 22% national 9-digit (PL), ...'; then the checks."""
    if not c.shapes:
        return "empty"
    shown = ", ".join(f"{pct(s.share)} {s.label}" for s in c.shapes[:_SHAPES_SHOWN])
    more = f", +{len(c.shapes) - _SHAPES_SHOWN} more" if len(c.shapes) > _SHAPES_SHOWN else ""
    checks = "; ".join(f"{name}: {pct(share)} accepted" if not name.startswith("NIP") else f"{name}: {pct(share)}"
                       for name, share in c.checks)
    return f"{c.kind}: {shown}{more}" + (f"; {checks}" if checks else "")


def top_text(c: Column) -> str:
    if not c.top or c.top[0].count == 1:
        return "all distinct" if c.non_empty and c.distinct == c.non_empty else ""
    return ", ".join(f"{short(t.value)} ({t.count:,})" for t in c.top[:_TOP_SHOWN])


def reference_text(r: Reference) -> str:
    return (f"{r.source}.{r.column} -> {r.target}.{r.target_column}: {pct(r.share)} of {r.found + r.missing:,} "
            f"distinct values found" + (f", {r.missing:,} missing" if r.missing else ""))


def _share(part: int, whole: int) -> str:
    return pct(part / whole) if whole else "-"


def distinct_text(c: Column) -> str:
    """The distinct share; '~' marks HyperLogLog's estimate (``Column.distinct_approximate``)."""
    share = _share(c.distinct, c.non_empty)
    return f"~{share}" if c.distinct_approximate and c.non_empty else share


def _rows(s: SourceProfile) -> Iterator[tuple[str, str, str, str, str]]:
    for c in s.columns:
        yield c.name, _share(c.non_empty, s.rows), distinct_text(c), shape_text(c), top_text(c)


def _key_lines(s: SourceProfile) -> list[str]:
    lines = [f"candidate ids: {', '.join(s.ids) if s.ids else 'none (no column is filled and distinct in 99% of rows)'}"]
    for d in s.duplicates:
        lines.append(f"duplicates in {d.column} ({d.how}): {d.rows:,} rows repeat {d.values:,} values"
                     + (f", e.g. {short(d.example)}" if d.example else ""))
    if any(c.distinct_approximate for c in s.columns):
        lines.append(APPROXIMATE)
    return lines


def to_renderables(profile: Profile) -> Iterator[Any]:
    from rich.table import Table
    from rich.text import Text

    for s in profile.sources:
        table = Table(title=Text(source_title(s)), title_justify="left", expand=False)
        for header in ("column", "filled", "distinct", "shapes", "top values"):
            table.add_column(header, overflow="fold")
        for row in _rows(s):
            table.add_row(*(Text(cell) for cell in row))
        yield Text("\n".join(f"  {e}" for e in s.format.evidence), style="dim")
        yield table
        yield Text("\n".join(_key_lines(s)) + "\n")
    if profile.references:
        yield Text("references between files:\n" + "\n".join(f"  {reference_text(r)}" for r in profile.references))
    yield Text(f"profiled {len(profile.sources)} files in {profile.seconds:.1f}s", style="dim")


def _md(cell: str) -> str:
    return cell.replace("\\", "\\\\").replace("|", "\\|").replace("`", "\\`").replace("\n", " ")


def to_markdown(profile: Profile) -> str:
    out = ["# Export profile", ""]
    for s in profile.sources:
        out += [f"## `{_md(s.format.name)}`: {_md(source_title(s))}", ""]
        out += [f"- {_md(e)}" for e in s.format.evidence] + [""]
        out += ["| column | filled | distinct | shapes | top values |", "|---|---:|---:|---|---|"]
        out += ["| " + " | ".join(_md(cell) for cell in row) + " |" for row in _rows(s)]
        out += [""] + [f"- {_md(line)}" for line in _key_lines(s)] + [""]
    if profile.references:
        out += ["## References between files", ""] + [f"- {_md(reference_text(r))}" for r in profile.references] + [""]
    return "\n".join(out)


def to_data(profile: Profile) -> dict[str, Any]:
    return {
        "version": SCHEMA_VERSION,
        "sources": [{
            "name": s.format.name, "path": s.format.path, "format": s.format.format, "encoding": s.format.encoding,
            "delimiter": s.format.delimiter, "sheet": s.format.sheet, "header_row": s.format.header_row,
            "record": s.format.record, "evidence": list(s.format.evidence), "rows": s.rows, "sampled": s.sampled,
            "columns": [{
                "name": c.name, "kind": c.kind, "non_empty": c.non_empty, "distinct": c.distinct,
                "distinct_approximate": c.distinct_approximate,
                "min_length": c.min_length, "max_length": c.max_length,
                "top": [{"value": t.value, "count": t.count} for t in c.top],
                "shapes": [{"kind": x.kind, "label": x.label, "share": round(x.share, 6), "count": x.count,
                            "detail": x.detail, "example": x.example} for x in c.shapes],
                "checks": [{"name": name, "share": round(share, 6)} for name, share in c.checks],
            } for c in s.columns],
            "candidate_ids": list(s.ids),
            "duplicates": [{"column": d.column, "how": d.how, "rows": d.rows, "values": d.values, "example": d.example}
                           for d in s.duplicates],
        } for s in profile.sources],
        "references": [{"source": r.source, "column": r.column, "target": r.target, "target_column": r.target_column,
                        "found": r.found, "missing": r.missing, "share": round(r.share, 6)} for r in profile.references],
        "seconds": round(profile.seconds, 3),
    }


def to_json(profile: Profile) -> str:
    return json.dumps(to_data(profile), ensure_ascii=False, indent=2) + "\n"
