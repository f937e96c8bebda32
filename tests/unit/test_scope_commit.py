"""The narrowed deletes of a scoped delta (``sqlgen.scope_commit``), run on a small DuckDB: the kept rows'
records and crosswalk rows stay, the others of the spec go, other specs' stay, and a kept row without an id or
old id (NULL) does not make ``NOT IN`` spare every record."""

from __future__ import annotations

import duckdb
import pytest

from compiler.load import parse
from compiler.sqlgen import load, names
from compiler.sqlgen import scope_commit as sql
from compiler.validate import to_spec
from tests.helpers import EXAMPLE

ID = "00000000-0000-0000-0000-00000000000{}"


@pytest.fixture(scope="module")
def owner():
    spec = to_spec(parse(str(EXAMPLE), EXAMPLE.read_text("utf-8")))
    return spec, spec.entity("owner")


def _target(spec, entity) -> duckdb.DuckDBPyConnection:
    con = duckdb.connect()
    con.execute("CREATE SCHEMA _ferry")
    table, x, w = (names.table_name(t) for t in (names.entity_table(spec.target, entity), names.crosswalk_table(
        entity), names.written_table(entity)))
    con.execute(f"CREATE TABLE {table} (id UUID)")
    con.execute(f"CREATE TABLE {x} (source VARCHAR, source_key VARCHAR, id UUID, status VARCHAR, linked BOOLEAN, "
                "spec VARCHAR)")
    con.execute(f"CREATE TABLE {w} (_ferry_spec VARCHAR, id UUID)")
    for i in range(1, 6):  # records 1-4 the spec's, 5 another spec's
        mine = "legacy_crm" if i < 5 else "other"
        con.execute(f"INSERT INTO {table} VALUES (?)", [ID.format(i)])
        con.execute(f"INSERT INTO {x} VALUES ('owners', ?, ?, 'loaded', false, ?)", [str(i), ID.format(i), mine])
        con.execute(f"INSERT INTO {w} VALUES (?, ?)", [mine, ID.format(i)])
    # rows 1 and 2 kept out of the scope; a kept row without an id or old id must not spare the rest
    con.execute(f"CREATE TABLE keep AS SELECT * FROM (VALUES ('1', CAST('{ID.format(1)}' AS UUID)), "
                f"('2', CAST('{ID.format(2)}' AS UUID)), (NULL, NULL)) v({names.KEY}, id)")
    return con


def test_the_narrowed_deletes_leave_only_the_kept_rows_of_the_spec(owner):
    spec, entity = owner
    con = _target(spec, entity)
    keep = names.table("keep")
    con.execute(sql.narrow_forget(load.forget(spec, entity), keep).sql(dialect="duckdb"))
    con.execute(sql.narrow_crosswalk(load.forget_crosswalk(spec, entity), "owners", keep).sql(dialect="duckdb"))
    table, x = names.table_name(names.entity_table(spec.target, entity)), names.table_name(names.crosswalk_table(entity))
    assert [str(i) for (i,) in con.execute(f"SELECT id FROM {table} ORDER BY id").fetchall()] == \
        [ID.format(1), ID.format(2), ID.format(5)]
    assert con.execute(f"SELECT source_key FROM {x} ORDER BY source_key").fetchall() == [("1",), ("2",), ("5",)]
    # the snapshot: the spec's records the narrowed delete removes (3 and 4), taken before it
    con2 = _target(spec, entity)
    assert sorted(str(i) for (i,) in con2.execute(sql.owned_records(spec, entity, keep).sql(dialect="duckdb")).fetchall()) \
        == [ID.format(3), ID.format(4)]
