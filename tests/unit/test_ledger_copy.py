"""The written ledger of a replacing run (``compiler.delta._write_ledger``): copied whole, without a filter or a
sort, only when the entity table holds nothing but this run's records; else filtered by the run's ids. Either way
the ledger holds exactly this run's records, in the entity table's order, each with the hash of its values."""

from __future__ import annotations

import duckdb
import pytest
from sqlglot import exp

from compiler import delta
from compiler.sqlgen import delta as sql
from compiler.sqlgen import names

SPEC, RUN, COLUMNS = "waves", "2026-01-01T00:00:00+00:00", ("name", "city")


def _target(extra: bool) -> duckdb.DuckDBPyConnection:
    """An entity table, its crosswalk (this spec's loaded rows, one linked) and an empty ledger; ``extra``: the
    table also holds a record of another spec's."""
    con = duckdb.connect()
    con.execute("CREATE SCHEMA _ferry")
    con.execute("CREATE TABLE thing (id UUID, name VARCHAR, city VARCHAR)")
    con.execute("CREATE TABLE _ferry.thing_crosswalk (source VARCHAR, source_key VARCHAR, id UUID, status VARCHAR, "
                "linked BOOLEAN, spec VARCHAR)")
    con.execute("CREATE TABLE _ferry.thing_written (_ferry_spec VARCHAR, _ferry_run VARCHAR, _ferry_hash UBIGINT, "
                "id UUID, name VARCHAR, city VARCHAR)")
    ids = [f"00000000-0000-4000-8000-{n:012d}" for n in (5, 3, 9, 1)]  # not in id order: the table's order counts
    for n, i in enumerate(ids):
        con.execute("INSERT INTO thing VALUES (?, ?, ?)", [i, f"n{n}", None if n == 2 else f"c{n}"])
        con.execute("INSERT INTO _ferry.thing_crosswalk VALUES ('s', ?, ?, 'loaded', false, ?)", [str(n), i, SPEC])
    con.execute("INSERT INTO _ferry.thing_crosswalk VALUES ('s', '7', ?, 'merged', false, ?)", [ids[0], SPEC])
    if extra:
        other = "00000000-0000-4000-8000-000000000002"
        con.execute("INSERT INTO thing VALUES (?, 'theirs', 'x')", [other])
        con.execute("INSERT INTO _ferry.thing_crosswalk VALUES ('s', '1', ?, 'loaded', false, 'other')", [other])
    return con


@pytest.mark.parametrize("extra", [False, True], ids=["only this run's records", "another spec's record too"])
def test_the_ledger_holds_this_runs_records_in_table_order(extra):
    con = _target(extra)
    table, ids = names.table("thing"), sql.computed_ids(SPEC, names.crosswalk_table("thing"))
    whole = delta._only_these(con, table, ids)
    assert whole is not extra
    con.execute(sql.ledger_insert(SPEC, RUN, names.written_table("thing"), table, COLUMNS, ids, None, None,
                                  whole=whole).sql(dialect="duckdb"))
    mine = "" if not extra else " WHERE name <> 'theirs'"
    expected = con.execute(f"SELECT id, name, city, hash(name, city) FROM thing{mine}").fetchall()
    assert con.execute("SELECT id, name, city, _ferry_hash FROM _ferry.thing_written").fetchall() == expected
    assert {r[0] for r in con.execute("SELECT DISTINCT _ferry_spec FROM _ferry.thing_written").fetchall()} == {SPEC}


def test_only_a_whole_copy_drops_the_filter_and_the_sort():
    table, ids = names.table("thing"), sql.computed_ids(SPEC, names.crosswalk_table("thing"))
    written = names.written_table("thing")
    copied = sql.ledger_insert(SPEC, RUN, written, table, COLUMNS, ids, None, None, whole=True).expression
    filtered = sql.ledger_insert(SPEC, RUN, written, table, COLUMNS, ids, None, None).expression
    assert copied.args.get("where") is None and copied.args.get("order") is None
    assert filtered.args.get("where") is not None and filtered.args.get("order") is not None
    held = exp.select(names.col(names.ID)).from_(table.copy())
    assert sql.ledger_insert(SPEC, RUN, written, table, COLUMNS, ids, held, None, whole=True).expression.args.get(
        "where") is not None  # held ids keep their rows: never a whole copy
