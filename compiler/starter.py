"""`ferry init`: a starter spec written from a profile, every choice commented with its evidence.

In:  ``profile.model.Profile``, the spec's name and the folder it will be written to.
Out: the spec's YAML text (``ferry validate`` accepts it; ``ferry run`` runs it on the files it
came from, and ``ferry plan`` shows what would load and what would be rejected).

One source and one entity per file (named after the file). Per source: the detected read
options and the first candidate id. Per column, by its kind (``profile.refine``):

=========  ===============================================================
text       ``squish`` (up to 80 characters), else as it is (notes keep their lines)
integer    ``type: integer``
decimal    ``type: decimal`` with the dominant separator
date       ``type: date``, the formats found, most frequent first
timestamp  ``type: timestamp``, likewise
phone      ``phone`` with the dominant region and the others as fallbacks
email      ``email``, ``lower``
nip        ``blank_as_null``, ``nip``
boolean    ``type: boolean``, ``boolean``
=========  ===============================================================

A column whose values are found in another file's id becomes a reference; e-mail and NIP
columns that repeat values become dedup keys (a phone too, beside an e-mail). Nothing is
guessed silently: each line says which share of values chose it, so the user edits from a
working start.
"""

from __future__ import annotations

import json
import os
import re
from pathlib import Path

from sqlglot import exp

from compiler.profile.model import Column, Profile, Reference, SourceProfile
from compiler.profile.render import pct

_SQUISH_UP_TO = 80
_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


def _q(text: str) -> str:
    """A YAML scalar: plain when it is an identifier, else a JSON string (valid YAML)."""
    return text if _NAME.match(text) and text.lower() not in ("yes", "no", "on", "off", "true", "false", "null", "y", "n") \
        else json.dumps(text, ensure_ascii=False)


def field_name(column: str, taken: set[str]) -> str:
    """A field name for a column: ``amount.currency`` -> ``amount_currency``, unique in its entity."""
    name = re.sub(r"[^A-Za-z0-9_]+", "_", column).strip("_") or "field"
    name = f"f_{name}" if name[0].isdigit() else name
    base, n = name, 2
    while name in taken:
        name, n = f"{base}_{n}", n + 1
    taken.add(name)
    return name


def _options(s: SourceProfile) -> tuple[str, str]:
    f = s.format
    if f.format == "csv":
        return (f"{{delimiter: {json.dumps(f.delimiter)}, encoding: {f.encoding}}}",
                next((e for e in f.evidence if e.startswith("encoding")), ""))
    if f.format == "xlsx":
        return f"{{sheet: {_q(f.sheet or '')}, header_row: {f.header_row}}}", next(
            (e for e in f.evidence if e.startswith("header row")), "")
    if f.format == "xml":
        return f"{{record: {f.record}}}", next((e for e in f.evidence if e.startswith("record")), "")
    return "", ""


def _id(s: SourceProfile) -> tuple[str, str]:
    if s.ids:
        c = next(c for c in s.columns if c.name == s.ids[0])
        exact = c.non_empty == s.rows and c.distinct == c.non_empty
        why = (f"filled and distinct in all {s.rows:,} rows" if exact else
               f"filled in {pct(c.non_empty / s.rows)} and distinct in {pct(c.distinct / max(c.non_empty, 1))} of rows: "
               "the others reject")
        return s.ids[0], why
    best = max(s.columns, key=lambda c: (c.distinct, c.non_empty))
    return best.name, (f"CHECK: no column is an id ({best.distinct:,} distinct of {s.rows:,} rows); rows repeating "
                       "an id reject")


def _shapes(c: Column, kinds: tuple[str, ...]) -> str:
    shown = ", ".join(f"{pct(s.share)} {s.label}" for s in c.shapes if s.kind in kinds)
    return shown


def _check(c: Column) -> str:
    return "; ".join(f"{pct(share)} accepted by {name}" for name, share in c.checks)


def _region_from(country: Column) -> str:
    """The phone transform's ``region_from``: the column itself when it holds ISO codes, else an SQL
    ``CASE`` from its names to their codes (built by sqlglot: the names are quoted literals)."""
    if all(s.label.strip().upper() == s.detail for s in country.shapes if s.detail):
        return f"{{column: {_q(country.name)}}}"
    case = exp.Case(this=exp.column(country.name, quoted=not _NAME.match(country.name)))
    for s in sorted(country.shapes, key=lambda s: s.label):
        if s.detail:
            case = case.when(exp.Literal.string(s.label), exp.Literal.string(s.detail))
    return f"{{sql: {json.dumps(case.sql(dialect='duckdb'), ensure_ascii=False)}}}"


def _field(c: Column, country: Column | None = None) -> tuple[list[str], str]:
    """The field's YAML body (flow style, one line) and its comment."""
    src = f"from: {_q(c.name)}"
    if c.kind == "date" or c.kind == "timestamp":
        formats = [s.detail for s in c.shapes if s.kind in ("date", "timestamp") and (c.kind == "timestamp" or s.kind == "date")]
        listed = ", ".join(json.dumps(f) for f in formats)
        return ([f"{{{src}, type: {c.kind}, transforms: [{{{c.kind}: [{listed}]}}]}}"],
                f"{_shapes(c, ('date', 'timestamp'))}; {_check(c)}")
    if c.kind == "phone":
        name = c.checks[0][0] if c.checks else "phone region PL"
        region = re.search(r"region (\w+)", name).group(1)
        fallback = re.search(r"fallback (.+)$", name)
        args = f"region: {region}" + (f", fallback: [{fallback.group(1)}]" if fallback else "")
        why = f"{_shapes(c, ('phone',))}; {_check(c)}"
        if country is not None:
            args += f", region_from: {_region_from(country)}"
            why += f"; each row's own country first ({country.name})"
        return [f"{{{src}, transforms: [{{phone: {{{args}}}}}]}}"], why
    if c.kind == "id_number":
        length = re.match(r"\d+", c.checks[0][0]).group(0)
        return ([f"{{{src}, transforms: [digits, blank_as_null], rules: [{{regex: {json.dumps(f'[0-9]{{{length}}}')}}}]}}"],
                f"an id number: {_check(c)}")
    if c.kind == "vat_id":
        return [f"{{{src}, transforms: [blank_as_null, vat_id]}}"], f"{_shapes(c, ('vat_id',))}; {_check(c)}"
    if c.kind == "code":
        return [f"{{{src}, transforms: [trim]}}"], f"kept as text: {c.checks[0][0]}" if c.checks else ""
    if c.kind == "country":
        shown = ", ".join(f"{s.label} {s.detail}" for s in c.shapes[:6])
        return [f"{{{src}, transforms: [squish]}}"], f"countries: {shown}"
    if c.kind == "email":
        return [f"{{{src}, transforms: [email, lower]}}"], _check(c)
    if c.kind == "nip":
        return [f"{{{src}, transforms: [blank_as_null, nip]}}"], f"{_shapes(c, ('nip', 'integer', 'phone'))}; {_check(c)}"
    if c.kind == "decimal":
        sep = re.search(r"'([^']+)'", c.checks[0][0]).group(1) if c.checks else "."
        return ([f"{{{src}, type: decimal, transforms: [{{decimal: {{separator: {json.dumps(sep)}}}}}]}}"],
                f"{_shapes(c, ('decimal', 'integer'))}; {_check(c)}")
    if c.kind == "integer":
        return [f"{{{src}, type: integer}}"], f"{_shapes(c, ('integer',))} integers"
    if c.kind == "boolean":
        values = ", ".join(t.value for t in c.top)
        return [f"{{{src}, type: boolean, transforms: [boolean]}}"], f"values: {values}"
    if c.max_length <= _SQUISH_UP_TO:
        return [f"{{{src}, transforms: [squish]}}"], ""
    return [f"{{{src}}}"], f"text up to {c.max_length} characters, kept as written"


#: Validated national ids a natural key is taken from, in this order: each names one company.
_NATURAL = {"nip": "NIPs (compared as digits)", "id_number": "id numbers (compared as digits)",
            "vat_id": "VAT numbers (upper-case, no separators)"}
#: A natural key repeats few values: at most this share of a column's filled rows are repeats.
_UNIQUE_ISH = 0.1


def _dedup(s: SourceProfile, names: dict[str, str], columns: dict[str, Column]) -> tuple[list[str], list[str]]:
    """(key lines, dedup lines) for the entity: the first validated national id that repeats a few
    values (NIP, then an id number, then a VAT number) as the natural key, e-mail (and phone) as dedup keys."""
    kinds = {c: col.kind for c, col in columns.items()}
    normalized = {d.column: d for d in s.duplicates if d.how != "as written"}
    natural = sorted((c for c, d in normalized.items() if kinds.get(c) in _NATURAL and c in names
                      and d.rows <= _UNIQUE_ISH * columns[c].non_empty),
                     key=lambda c: (list(_NATURAL).index(kinds[c]), list(names).index(c)))
    key = natural[:1]
    emails = [c for c, d in normalized.items() if kinds.get(c) == "email" and c in names]
    phones = [c for c, d in normalized.items() if kinds.get(c) == "phone" and c in names] if emails else []
    key_lines, dedup_lines = [], []
    for c in key:
        d = normalized[c]
        key_lines.append(f"    # {d.rows:,} rows repeat {d.values:,} {_NATURAL[kinds[c]]}: one company each")
    if key:
        key_lines.append(f"    key: [{', '.join(names[c] for c in key)}]")
    if emails:
        for c in emails + phones:
            d = normalized[c]
            dedup_lines.append(f"    # {d.rows:,} rows repeat {d.values:,} values of {c} ({d.how})")
        keys = ", ".join(f"[{names[c]}]" for c in emails + phones)
        dedup_lines.append(f"    dedup: {{keys: [{keys}]}}")
    return key_lines, dedup_lines


def _reference(r: Reference, target_entity: str) -> tuple[str, str]:
    why = f"{pct(r.share)} of {r.found + r.missing:,} values found in {r.target}.{r.target_column}"
    if r.missing:
        why += f"; rows with the {r.missing:,} others reject (on_missing: \"null\" keeps them)"
    return f"{{entity: {target_entity}, from: {_q(r.column)}}}", why


def write_spec(profile: Profile, name: str, spec_dir: Path) -> str:
    ids = {s.format.name: _id(s) for s in profile.sources}
    refs = {(r.source, r.column): r for r in profile.references if r.target in ids and ids[r.target][0] == r.target_column}
    lines = [f"# Starter spec written by `ferry init` from {len(profile.sources)} files. Each choice says what in",
             "# the data chose it: review them, then `ferry validate`, `ferry compile` and `ferry plan`.",
             "version: 1", f"name: {name}", "", "sources:"]
    for s in profile.sources:
        path = Path(os.path.relpath(Path(s.format.path).resolve(), spec_dir.resolve())).as_posix()
        id_column, why = ids[s.format.name]
        options, evidence = _options(s)
        lines += [f"  {s.format.name}:", f"    path: {json.dumps(path, ensure_ascii=False)}",
                  f"    id: {_q(id_column)}  # {why}"]
        if options:
            lines += [f"    # {evidence}"] * bool(evidence) + [f"    options: {options}"]
    lines += ["", "entities:"]
    for s in profile.sources:
        entity = s.format.name
        id_column = ids[entity][0]
        taken: set[str] = set()
        names: dict[str, str] = {}
        fields, references = [], []
        country = next((c for c in s.columns if c.kind == "country"), None)
        for c in s.columns:
            if c.name == id_column:
                continue
            if (entity, c.name) in refs:
                r = refs[(entity, c.name)]
                body, why = _reference(r, r.target)
                references += [f"      # {why}", f"      {field_name(c.name, taken)}: {body}"]
                continue
            if c.kind == "empty":
                fields.append(f"      # {_q(c.name)}: left out, empty in every row")
                continue
            names[c.name] = field_name(c.name, taken)
            (body,), why = _field(c, country)
            if why:
                fields.append(f"      # {why}")
            fields.append(f"      {names[c.name]}: {body}")
        if not names:  # an entity needs a field: the id itself
            names[id_column] = field_name(id_column, taken)
            fields.append(f"      {names[id_column]}: {_q(id_column)}  # the only column besides references")
        key_lines, dedup_lines = _dedup(s, names, {c.name: c for c in s.columns})
        lines += [f"  {entity}:", f"    source: {entity}", *key_lines, *dedup_lines, "    fields:", *fields]
        if references:
            lines += ["    references:", *references]
    lines += ["", "target:", "  kind: duckdb", f"  path: build/{name}.duckdb", ""]
    return "\n".join(lines)
