"""Do the references and ferry produce the same records? The bench's check before any ratio.

    python bench/compare.py same REFERENCE.duckdb FERRY.duckdb
    python bench/compare.py pandas PANDAS.duckdb FERRY.duckdb DATA_DIR

In:  a reference's DuckDB file (tables keyed by the source's id column) and a ferry target
     (tables keyed by UUID, mapped back to source ids through ``_ferry.<entity>_crosswalk``).
Out: a JSON-ready report with ``ok``; each check lists what differs, with a few examples.

``same`` (the hand-written DuckDB script against ferry's same-cleaning run): per table, the
record counts and the sets of source ids must be equal, and every shared column must hold the
same value on a seeded sample of ids (``SAMPLE`` per table; the sample is the ids with the
smallest hash of id and seed, so it is the same in every run).

``pandas`` (the pandas script against ferry's full run): for each rule both implement (phones,
e-mails, dates, NIP, status), the source ids whose value the rule refused must be the same; so
the counts of valid phones and e-mails (the non-blank values in the files, less those refused)
agree exactly. Then the columns both compute the same way
are compared on a seeded sample of the ids both loaded. The loaded counts are reported, not
checked: ferry also merges on fuzzy name rules, transitively, with other survivors, and rejects
unresolved references, which the pandas script does not.
"""

from __future__ import annotations

import csv
import json
import sys
from pathlib import Path

import duckdb

SAMPLE = 1000
SEED = 2026
EXAMPLES = 5

#: Entity -> the reference's id column (same cleaning).
SAME_TABLES = {"company": "firma_id", "contact": "contact_id", "activity": "activity_id"}
#: Entity -> (the pandas script's id column, the columns it computes as ferry does).
PANDAS_TABLES = {
    "company": ("firma_id", ("name", "nip", "city", "country", "phone", "created_on", "status")),
    "contact": ("contact_id", ("first_name", "last_name", "full_name", "email", "phone", "city", "created_on")),
}
#: The rules both the pandas script and ferry's full run apply to contacts and companies.
PANDAS_RULES = ("invalid_email", "invalid_phone", "ambiguous_phone", "invalid_date", "invalid_nip",
                "unmapped_value")


def _ferry_rows(entity: str) -> str:
    """Ferry's loaded records of ``entity`` with their source id as ``key`` (the UUID left out)."""
    return (f"SELECT w.source_key AS key, t.* EXCLUDE (id) FROM ferry.main.{entity} t "
            f"JOIN ferry._ferry.{entity}_crosswalk w ON w.id = t.id AND w.status = 'loaded'")


def _ref_rows(entity: str, id_column: str) -> str:
    return f"SELECT {id_column}::VARCHAR AS key, * EXCLUDE ({id_column}) FROM ref.main.{entity}"


def _columns(con: duckdb.DuckDBPyConnection, catalog: str, table: str) -> list[str]:
    return [r[0] for r in con.execute(
        "SELECT column_name FROM information_schema.columns WHERE table_catalog = ? AND table_schema = 'main' "
        "AND table_name = ? ORDER BY ordinal_position", [catalog, table]).fetchall()]


def _connect(reference: Path, ferry: Path) -> duckdb.DuckDBPyConnection:
    con = duckdb.connect()
    con.execute("ATTACH ? AS ref (READ_ONLY)", [str(reference)])
    con.execute("ATTACH ? AS ferry (READ_ONLY)", [str(ferry)])
    return con


def _sampled_differences(con, entity: str, columns: list[str], keys_sql: str) -> dict:
    """Columns whose values differ between ``r`` and ``f`` on the seeded sample of ``keys_sql``."""
    con.execute(f"CREATE OR REPLACE TEMP TABLE sample AS SELECT key FROM ({keys_sql}) "
                f"ORDER BY hash(key || '{SEED}') LIMIT {SAMPLE}")
    differing: dict[str, dict] = {}
    for column in columns:
        where = f'r."{column}"::VARCHAR IS DISTINCT FROM f."{column}"::VARCHAR'
        rows = con.execute(f'SELECT s.key, r."{column}"::VARCHAR, f."{column}"::VARCHAR FROM sample s '
                           f"JOIN r_{entity} r USING (key) JOIN f_{entity} f USING (key) WHERE {where} "
                           f"ORDER BY s.key").fetchall()
        if rows:
            differing[column] = {"count": len(rows), "examples": [list(r) for r in rows[:EXAMPLES]]}
    sampled = con.execute("SELECT count(*) FROM sample").fetchone()[0]
    return {"sampled": sampled, "columns": columns, "differing": differing}


def _only(con, entity: str, left: str, right: str) -> dict:
    rows = con.execute(f"SELECT key FROM {left}_{entity} ANTI JOIN {right}_{entity} USING (key) ORDER BY key").fetchall()
    return {"count": len(rows), "examples": [r[0] for r in rows[:EXAMPLES]]}


def same_cleaning(reference: Path, ferry: Path) -> dict:
    """The hand-written script's tables against ferry's same-cleaning run (see the module docstring)."""
    report: dict = {"ok": True, "tables": {}}
    with _connect(reference, ferry) as con:
        for entity, id_column in SAME_TABLES.items():
            con.execute(f"CREATE TEMP TABLE r_{entity} AS {_ref_rows(entity, id_column)}")
            con.execute(f"CREATE TEMP TABLE f_{entity} AS {_ferry_rows(entity)}")
            shared = [c for c in _columns(con, "ferry", entity) if c != "id" and c in _columns(con, "ref", entity)]
            counts = {side: con.execute(f"SELECT count(*) FROM {side}_{entity}").fetchone()[0] for side in "rf"}
            table = {"reference": counts["r"], "ferry": counts["f"],
                     "only_reference": _only(con, entity, "r", "f"), "only_ferry": _only(con, entity, "f", "r"),
                     **_sampled_differences(con, entity, shared, f"SELECT key FROM r_{entity}")}
            table["ok"] = (counts["r"] == counts["f"] and not table["only_reference"]["count"]
                           and not table["only_ferry"]["count"] and not table["differing"]
                           and len(shared) == len(_columns(con, "ref", entity)) - 1)
            report["tables"][entity] = table
            report["ok"] &= table["ok"]
    return report


def _ferry_findings() -> str:
    """Every value ferry's run refused: reject reasons and values emptied by ``on_error: null``."""
    return ("SELECT entity, source_key, r.rule AS rule FROM "
            "(SELECT entity, source_key, unnest(reasons) AS r FROM ferry._ferry.rejects) "
            "UNION ALL SELECT entity, source_key, rule FROM ferry._ferry.emptied_values")


#: (entity, field) -> (file, delimiter, id column, column, the rules that refuse it) for the valid counts.
_VALUES = {
    ("contact", "phone"): ("contacts.csv", ",", "contact_id", "phone", ("invalid_phone", "ambiguous_phone")),
    ("contact", "email"): ("contacts.csv", ",", "contact_id", "email", ("invalid_email",)),
    ("company", "phone"): ("companies.csv", ";", "firma_id", "telefon", ("invalid_phone", "ambiguous_phone")),
}


def _present(data: Path, name: str, delimiter: str, id_column: str, column: str) -> int:
    """The rows of a source file with an id and a non-blank ``column`` (csv module: cp1250 included)."""
    encoding = "cp1250" if name == "companies.csv" else "utf-8-sig"
    with open(data / name, encoding=encoding, newline="") as fh:
        return sum(1 for row in csv.DictReader(fh, delimiter=delimiter)
                   if row[id_column] and row[column] and row[column].strip())


def _valid_counts(con: duckdb.DuckDBPyConnection, data: Path) -> dict[str, dict]:
    """Per (entity, field): the rows with an id and a non-blank value in the file, and how many of
    them each side found valid (those not refused)."""
    out = {}
    for (entity, field), (name, delimiter, id_column, column, rules) in _VALUES.items():
        present = _present(data, name, delimiter, id_column, column)
        refused = {side: con.execute(f"SELECT count(DISTINCT key) FROM {table} WHERE entity = ? AND rule IN "
                                     f"({', '.join('?' * len(rules))})", [entity, *rules]).fetchone()[0]
                   for side, table in (("pandas", "pf"), ("ferry", "ff"))}
        out[f"{entity}.{field}"] = {"present": present, **{side: present - n for side, n in refused.items()}}
    return out


def pandas_script(reference: Path, ferry: Path, data: Path) -> dict:
    """The pandas script's findings and records against ferry's full run (see the module docstring)."""
    report: dict = {"ok": True, "rules": {}, "tables": {}}
    with _connect(reference, ferry) as con:
        con.execute(f"CREATE TEMP TABLE ff AS SELECT DISTINCT entity, source_key AS key, rule FROM ({_ferry_findings()}) "
                    f"WHERE source_key IS NOT NULL")
        con.execute("CREATE TEMP TABLE pf AS SELECT DISTINCT entity, source_key AS key, rule FROM ref.main.findings")
        for entity in PANDAS_TABLES:
            for rule in PANDAS_RULES:
                args = [entity, rule]
                counts = [con.execute(f"SELECT count(*) FROM {t} WHERE entity = ? AND rule = ?", args).fetchone()[0]
                          for t in ("pf", "ff")]
                if not any(counts):
                    continue
                only = {side: con.execute(
                    f"SELECT key FROM {a} WHERE entity = ? AND rule = ? EXCEPT "
                    f"SELECT key FROM {b} WHERE entity = ? AND rule = ? ORDER BY key", args * 2).fetchall()
                    for side, a, b in (("only_pandas", "pf", "ff"), ("only_ferry", "ff", "pf"))}
                entry = {"pandas": counts[0], "ferry": counts[1],
                         **{side: {"count": len(keys), "examples": [k[0] for k in keys[:EXAMPLES]]}
                            for side, keys in only.items()}}
                entry["ok"] = not only["only_pandas"] and not only["only_ferry"]
                report["rules"][f"{entity}.{rule}"] = entry
                report["ok"] &= entry["ok"]
        report["valid"] = _valid_counts(con, data)
        for entity, (id_column, columns) in PANDAS_TABLES.items():
            con.execute(f"CREATE TEMP TABLE r_{entity} AS {_ref_rows(entity, id_column)}")
            con.execute(f"CREATE TEMP TABLE f_{entity} AS {_ferry_rows(entity)}")
            counts = {side: con.execute(f"SELECT count(*) FROM {side}_{entity}").fetchone()[0] for side in "rf"}
            table = {"pandas_loaded": counts["r"], "ferry_loaded": counts["f"],
                     **_sampled_differences(con, entity, list(columns),
                                            f"SELECT key FROM r_{entity} SEMI JOIN f_{entity} USING (key)")}
            table["ok"] = not table["differing"]
            report["tables"][entity] = table
            report["ok"] &= table["ok"]
    return report


def main(argv: list[str]) -> int:
    kind, *paths = argv
    report = (same_cleaning if kind == "same" else pandas_script)(*map(Path, paths))
    print(json.dumps(report, indent=2, ensure_ascii=False))
    return 0 if report["ok"] else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
