"""The run's row accounting refuses tables that do not add up (F601)."""

from __future__ import annotations

import duckdb
import pytest

from compiler.errors import FerryError
from compiler.accounting import account

MANIFEST = {
    "spec": {"name": "wave2"},
    "tables": {"rejects": "_ferry.rejects", "emptied_values": "_ferry.emptied_values"},
    "entities": [{"name": "contact", "source": "contacts", "table": "main.contact",
                  "crosswalk": "_ferry.contact_crosswalk", "rows_table": "w"}],
}


def setup(statuses: list[tuple[int, str]], loaded_rows: int, crosswalk_rows: int, reject_rows: int,
          emptied: int = 0, ledger_rows: int = 0):
    """``emptied``: values the first working row had emptied (on_error: null); ``ledger_rows``: how many
    of them _ferry.emptied_values holds."""
    con = duckdb.connect()
    con.execute("CREATE SCHEMA _ferry")
    con.execute("CREATE TABLE w (_ferry_row BIGINT, _ferry_status VARCHAR, _ferry_linked BOOLEAN DEFAULT false, "
                "_ferry_emptied VARCHAR[])")
    if statuses:
        con.executemany("INSERT INTO w (_ferry_row, _ferry_status) VALUES (?, ?)", statuses)
    if emptied:
        con.execute("UPDATE w SET _ferry_emptied = ? WHERE _ferry_row = 1", [["invalid_phone"] * emptied])
    # Every bookkeeping table also holds rows another spec's run wrote (spec 'wave1'): they must not count.
    con.execute(f"CREATE TABLE _ferry.emptied_values AS SELECT 'contact' AS entity, 'wave2' AS spec "
                f"FROM range({ledger_rows}) UNION ALL SELECT 'contact', 'wave1'")
    # The entity table also holds a record ferry did not load (id 1000) and one wave1 loaded (2000): neither counts.
    con.execute(f"CREATE TABLE main.contact AS SELECT range AS id FROM range({loaded_rows}) UNION ALL "
                "SELECT 1000 UNION ALL SELECT 2000")
    loaded = sum(1 for _, status in statuses if status == "loaded")
    con.execute(f"CREATE TABLE _ferry.contact_crosswalk AS SELECT range AS id, "
                f"CASE WHEN range < {loaded} THEN 'loaded' ELSE 'merged' END AS status, 'wave2' AS spec "
                f"FROM range({crosswalk_rows}) UNION ALL SELECT 2000, 'loaded', 'wave1'")
    con.execute(f"CREATE TABLE _ferry.rejects AS SELECT 'contact' AS entity, 'wave2' AS spec FROM range({reject_rows}) "
                "UNION ALL SELECT 'contact', 'wave1'")
    return con


GOOD = [(1, "loaded"), (2, "merged"), (3, "rejected"), (4, "loaded")]


def test_balanced_tables_pass():
    read, (counts,) = account(setup(GOOD, 2, 3, 1), MANIFEST)
    assert read == {"contacts": 4} and (counts.loaded, counts.merged, counts.rejected) == (2, 1, 1)


def test_emptied_values_are_counted_and_must_all_be_in_the_ledger():
    _, (counts,) = account(setup(GOOD, 2, 3, 1, emptied=2, ledger_rows=2), MANIFEST)
    assert counts.emptied == 2
    with pytest.raises(FerryError) as info:
        account(setup(GOOD, 2, 3, 1, emptied=2, ledger_rows=1), MANIFEST)
    assert info.value.diagnostics[0].code == "F601"


@pytest.mark.parametrize("statuses,loaded,crosswalk,rejects", [
    (GOOD, 1, 3, 1),  # entity table lost a row
    (GOOD, 2, 2, 1),  # crosswalk lost the merged row
    (GOOD, 2, 3, 0),  # reject not written
    ([(1, "loaded"), (3, "loaded")], 2, 2, 0),  # source row 2 vanished between stage and working table
    ([(1, "loaded"), (1, "loaded")], 2, 2, 0),  # a row doubled
    ([(1, "loaded"), (2, "archived")], 1, 1, 0),  # archived, but the entity has no archive table to hold it
    ([(1, "loaded"), (2, "lost?")], 1, 1, 0),  # a status outside the four outcomes
])
def test_unbalanced_tables_fail(statuses, loaded, crosswalk, rejects):
    with pytest.raises(FerryError) as info:
        account(setup(statuses, loaded, crosswalk, rejects), MANIFEST)
    assert info.value.diagnostics[0].code == "F601"


def test_an_empty_source_counts_as_zeros():
    """A header-only export is a normal thing to migrate: no rows, all counts 0, balanced."""
    read, (counts,) = account(setup([], 0, 0, 0), MANIFEST)
    assert read == {"contacts": 0}
    assert (counts.read, counts.loaded, counts.merged, counts.archived, counts.rejected, counts.emptied) == (0,) * 6
