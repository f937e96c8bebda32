"""Stable clusters (``sqlgen.stable``): which earlier record's id each cluster keeps, run as DuckDB SQL on
hand-made working tables and a hand-made crosswalk of the previous run."""

from __future__ import annotations

import duckdb
import pytest

from compiler import api
from compiler.sqlgen import stable
from tests.helpers import EXAMPLE

SPEC = api.load_spec(EXAMPLE)
CONTACT = SPEC.entity("contact")


def kept(rows: list[tuple[int, str, str | None]], previous: list[tuple[str, str, str]],
         written: list[str] | None = None) -> dict[str, str]:
    """``rows``: (row, old id, the survivor's old id when the row is in a cluster of two or more);
    ``previous``: the crosswalk as the last run left it, (old id, record id, status). Survivor old id -> id kept."""
    con = duckdb.connect()
    con.execute("CREATE SCHEMA _ferry")
    con.execute('CREATE TABLE "_ferry_checked_contact" ("_ferry_row" BIGINT, "_ferry_key" VARCHAR, '
                '"_ferry_reasons" VARCHAR, "_ferry_archived" BOOLEAN)')
    con.execute('CREATE TABLE "_ferry_clusters_contact" ("_ferry_row" BIGINT, "cluster" BIGINT, "rank" BIGINT, '
                '"_ferry_survivor_key" VARCHAR)')
    con.execute("CREATE TABLE _ferry.contact_crosswalk (source VARCHAR, source_key VARCHAR, id VARCHAR, "
                "status VARCHAR, linked BOOLEAN, spec VARCHAR)")
    con.execute('CREATE TABLE _ferry.contact_written ("_ferry_spec" VARCHAR, id VARCHAR)')
    for row, key, survivor in rows:
        con.execute('INSERT INTO "_ferry_checked_contact" VALUES (?, ?, NULL, false)', [row, key])
        if survivor is not None:
            con.execute('INSERT INTO "_ferry_clusters_contact" VALUES (?, 0, 0, ?)', [row, survivor])
    for key, ident, status in previous:
        con.execute("INSERT INTO _ferry.contact_crosswalk VALUES ('contacts', ?, ?, ?, false, ?)",
                    [key, ident, status, SPEC.name])
    for ident in {i for _, i, _ in previous} if written is None else written:
        con.execute("INSERT INTO _ferry.contact_written VALUES (?, ?)", [SPEC.name, ident])
    con.execute(stable.compile_kept(SPEC, CONTACT).sql(dialect="duckdb"))
    return dict(con.execute('SELECT "_ferry_survivor_key", id FROM "_ferry_kept_contact"').fetchall())


def test_a_new_duplicate_that_now_survives_joins_the_earlier_record_under_its_id():
    assert kept([(1, "a", "new"), (2, "new", "new")], [("a", "A", "loaded")]) == {"new": "A"}


def test_a_bridge_keeps_the_smaller_id_of_the_two_earlier_records():
    rows = [(1, "a", "a"), (2, "b", "a"), (3, "new", "a")]
    assert kept(rows, [("a", "B9", "loaded"), ("b", "A1", "loaded")]) == {"a": "A1"}


def test_a_split_cluster_leaves_the_id_with_the_row_that_survived_in_it():
    # a (the survivor) and b (merged into it) were one record; now each is alone.
    assert kept([(1, "a", None), (2, "b", None)], [("a", "A", "loaded"), ("b", "A", "merged")]) == {"a": "A"}


def test_when_the_survivor_row_is_gone_a_merged_row_carries_the_record_on():
    assert kept([(2, "b", None)], [("a", "A", "loaded"), ("b", "A", "merged")]) == {"b": "A"}


@pytest.mark.parametrize("status", ["loaded", "merged"])
def test_records_not_in_the_written_ledger_are_not_kept(status):
    """A pilot's records (no ledger): the full run gives the ids a clean run would."""
    assert kept([(1, "a", "new"), (2, "new", "new")], [("a", "A", status)], written=[]) == {}
