"""The bench's specs: the example spec pointed at the bench export, and variants of it.

In:  the example spec (``specs/legacy_crm/legacy_crm.yaml``), read with ferry's own reader.
Out: a spec file per variant, written into the export's folder (its paths are relative to it).

- ``full``: the example as it is (phones with fallback regions, e-mails, dates, NIP, dedup on
  two keys and fuzzy rules, references, deals from XML).
- ``no_phone``: phone and e-mail normalization become trim / trim+lower.
- ``no_dedup``: no dedup rules, natural keys or matching.
- ``same_cleaning``: what the hand-written DuckDB reference (``reference_duckdb.sql``) does, and
  nothing else: companies, contacts and activities; e-mail trimmed and lower-cased, phone digits
  only, one date over three formats, contacts deduplicated on e-mail (the first row survives);
  every other column as it comes, named as the reference names it, no references.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from compiler.load import load

ROOT = Path(__file__).resolve().parents[1]
EXAMPLE = ROOT / "specs" / "legacy_crm" / "legacy_crm.yaml"

#: Variant name -> what the bench prints for it.
LABELS = {
    "full": "ferry run (the example spec)",
    "no_phone": "without phone/email normalization",
    "no_dedup": "without dedup rules and matching",
    "same_cleaning": "ferry, the hand-written script's cleaning",
}

#: The columns the same-cleaning variant keeps as they come, per entity (the id column is the source's id).
_RAW = {
    "company": ("nazwa", "nip", "miasto", "kraj", "telefon", "firma_nadrzedna", "data_utworzenia", "status"),
    "activity": ("type", "deal_id", "contact_id", "occurred_at", "duration_min", "notes", "meta"),
    "contact": ("first_name", "last_name", "company_id", "reports_to", "city", "notes"),
}
#: The id column of each entity's source, as the reference's tables name it.
ID_COLUMNS = {"company": "firma_id", "contact": "contact_id", "activity": "activity_id"}


def _same_cleaning(spec: dict[str, Any]) -> dict[str, Any]:
    """The example reduced to the hand-written reference's work (see the module docstring)."""
    spec["sources"] = {name: spec["sources"][name] for name in ("companies", "contacts", "activities")}
    entities = {
        entity: {"source": spec["entities"][entity]["source"], "fields": {c: c for c in columns}}
        for entity, columns in _RAW.items()
    }
    entities["contact"]["fields"].update({
        "email": {"from": "email", "transforms": ["trim", "lower"]},
        "phone": {"from": "phone", "transforms": ["digits"]},
        "created_on": {"from": "created_at", "type": "date",
                       "transforms": [{"date": ["%Y-%m-%d", "%d.%m.%Y", "%m/%d/%Y"]}]},
    })
    entities["contact"]["dedup"] = {"keys": [["email"]]}
    spec["entities"] = entities
    spec["target"] = {key: value for key, value in spec["target"].items() if key in ("kind", "path", "postgres")}
    return spec


def _drop_feature(spec: dict[str, Any], variant: str) -> dict[str, Any]:
    """``no_dedup`` / ``no_phone``: the example with one feature taken out."""
    for entity in spec["entities"].values():
        if variant == "no_dedup":
            for key in ("key", "dedup", "match"):
                entity.pop(key, None)
        if variant == "no_phone":
            for field in entity["fields"].values():
                if not isinstance(field, dict):
                    continue
                names = [t if isinstance(t, str) else next(iter(t)) for t in field.get("transforms", ())]
                if "phone" in names:
                    field["transforms"] = ["trim"]
                elif "email" in names:
                    field["transforms"] = ["trim", "lower"]
    return spec


def bench_spec(folder: Path, name: str, variant: str = "full") -> Path:
    """The example spec (or ``variant`` of it) under ``name``, written to ``folder``/``name``.yaml."""
    spec = load(EXAMPLE).data  # ferry's own reader: keys such as `on` stay text
    spec["name"] = name
    spec.setdefault("target", {})["postgres"] = {"schema": "bench_ferry", "dsn_env": "FERRY_BENCH_PG_DSN"}
    if variant == "same_cleaning":
        spec = _same_cleaning(spec)
    elif variant != "full":
        spec = _drop_feature(spec, variant)
    path = folder / f"{name}.yaml"
    path.write_text(yaml.safe_dump(spec, allow_unicode=True, sort_keys=False), encoding="utf-8")
    return path
