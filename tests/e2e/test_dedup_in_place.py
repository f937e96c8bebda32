"""Survivors set in place (``sqlgen.dedup.in_place``) give the target the rows copied with them gave.

The dedup fixture without survivorship ``fields`` (so it qualifies), with what else a row can be:
a repeated old id, a row without one, a value that does not cast, a row the filter archives. The
spec is compiled and run twice, in place and with the copy (``in_place`` patched off), and every
table of the two targets must be equal, row for row and in the same order.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import duckdb
import pytest
import yaml

from compiler import api
from compiler.sqlgen import dedup

FIXTURE = Path(__file__).parent / "fixtures" / "dedup"

pytestmark = pytest.mark.slow

EXTRA_ROWS = (
    "2,Anna,Nowak,anna.again@example.pl,,Kraków,2024-07-01,crm,repeats the old id 2\n"
    ",Ewa,Bez,ewa@example.pl,,Kraków,2024-01-01,crm,no old id\n"
    "10,Ewa,Zła,ewa@example.pl,,Kraków,not a date,crm,rejected\n"
    "11,Ola,Stara,anna@example.pl,,Kraków,2024-01-01,old,archived by the filter\n"
    "12,Piotr,Wójcik,piotr@example.pl,,,2020-01-03,crm,\n"
)


def project(root: Path) -> Path:
    shutil.copytree(FIXTURE, root)
    with (root / "data" / "people.csv").open("a", encoding="utf-8") as fh:
        fh.write(EXTRA_ROWS)
    spec = yaml.safe_load((root / "dedup.yaml").read_text("utf-8"))
    person = spec["entities"]["person"]
    del person["dedup"]["fields"]
    person["filter"] = {"keep": "origin <> 'old'", "archive": "archive/people.csv"}
    (root / "dedup.yaml").write_text(yaml.safe_dump(spec, allow_unicode=True, sort_keys=False), encoding="utf-8")
    return root / "dedup.yaml"


def run(spec: Path) -> Path:
    options = api.Options(out=spec.parent / "generated")
    api.compile_spec_files(spec, options)
    return Path(api.run_spec(spec, options).target["path"])


def tables(target: Path) -> dict[str, list[tuple]]:
    con = duckdb.connect(str(target), read_only=True)
    try:
        names = con.execute("SELECT schema_name, table_name FROM duckdb_tables() WHERE table_name <> 'runs' "
                            "ORDER BY 1, 2").fetchall()
        # The written ledgers' run column is the run's start time, as is the run that stored the row hashes.
        def columns(t: str) -> str:
            return "EXCLUDE (_ferry_run)" if t.endswith("_written") else "EXCLUDE (run)" if t == "rowhash_runs" else ""
        return {f"{s}.{t}": con.execute(f'SELECT * {columns(t)} FROM "{s}"."{t}" ORDER BY rowid').fetchall()
                for s, t in names}
    finally:
        con.close()


def test_in_place_and_copied_survivors_load_the_same_tables(tmp_path, monkeypatch):
    in_place = project(tmp_path / "in_place")
    got = run(in_place)
    assert "UPDATE \"_ferry_rows_person\"" in (in_place.parent / "generated" / "dedup" / "020_person.sql").read_text()
    monkeypatch.setattr(dedup, "in_place", lambda entity: False)
    copied = project(tmp_path / "copied")
    expected = run(copied)
    assert "UPDATE \"_ferry_rows_person\"" not in (copied.parent / "generated" / "dedup" / "020_person.sql").read_text()
    a, b = tables(got), tables(expected)
    assert a == b
    statuses = {status for (_, _, _, status, *_) in a["_ferry.person_crosswalk"]}
    assert statuses == {"loaded", "merged"}
    reasons = {r["rule"] for (*_, rs, _) in a["_ferry.rejects"] for r in rs}
    assert {"duplicate_source_id", "missing_source_id", "invalid_date"} <= reasons


def second_export(spec: Path) -> None:
    """The next export: old id 2 (the survivor of Anna's cluster) is gone, and a newer Anna (40) joins 1."""
    people = spec.parent / "data" / "people.csv"
    lines = [line for line in people.read_text("utf-8").splitlines(keepends=True) if not line.startswith("2,")]
    people.write_text("".join(lines) + "40,Anna,Nowak,anna@example.pl,,Kraków,2025-02-01,crm,\n", "utf-8")


def ids(target: Path) -> dict[str, str]:
    con = duckdb.connect(str(target), read_only=True)
    try:
        return {k: str(i) for k, i in con.execute(
            "SELECT source_key, id FROM _ferry.person_crosswalk WHERE status IN ('loaded', 'merged')").fetchall()}
    finally:
        con.close()


def test_ids_an_earlier_run_gave_are_kept_in_place_too(tmp_path, monkeypatch):
    """Stable clusters (``sqlgen.stable``) on rows set in place: the first run's cluster {1, 2, 3} loses
    its survivor 2, so 3 is alone and 1 joins the new 40; of the two, the smaller survivor old id ('3')
    keeps the record's id, so a row outside any cluster takes a kept id too."""
    in_place = project(tmp_path / "in_place")
    first = ids(run(in_place))
    second_export(in_place)
    got = run(in_place)
    monkeypatch.setattr(dedup, "in_place", lambda entity: False)
    copied = project(tmp_path / "copied")
    run(copied)
    second_export(copied)
    expected = run(copied)
    assert tables(got) == tables(expected)
    kept = ids(got)
    assert kept["3"] == first["3"] == first["2"]
    assert kept["40"] == kept["1"] != first["2"]
