"""Pushing again to PostgreSQL reads and writes only what moved (``compiler.targets.postgres.diff``).

The example is run and pushed once (``test_pg_delta``'s fixtures); one record is edited on the server; the same
run is pushed again. The server's ledger rows are compared by ``xmin`` (the transaction that wrote each row
version): only the edited record's row may be rewritten, and an unchanged push again rewrites none. Needs
$FERRY_TEST_PG_DSN (see test_postgres).
"""

from __future__ import annotations

from pathlib import Path

from compiler import api
from tests.e2e.test_pg_delta import DSN, SPEC, city, ids, options, pg, pytestmark, schema_of  # noqa: F401
from tests.e2e.test_pg_delta import project, template  # noqa: F401 -- fixtures

ENTITIES = ("activity", "company", "contact", "deal", "owner")


def versions(project: Path) -> dict[str, dict[str, str]]:
    s = schema_of(project)
    return {e: dict(pg(f'SELECT id::text, xmin::text FROM "{s}"._ferry_{e}_written')) for e in ENTITIES}


def test_a_push_again_rewrites_only_the_ledger_rows_of_records_that_moved(project):
    s = schema_of(project)
    first = versions(project)
    crosswalk = pg(f'SELECT xmin::text FROM "{s}"._ferry_contact_crosswalk')
    assert all(first.values()) and all(
        pg(f'SELECT count(*) = count("_ferry_hash") FROM "{s}"._ferry_{e}_written')[0][0] for e in ENTITIES)
    again = api.push_spec(project / SPEC, options(project))
    assert versions(project) == first  # nothing moved: not one ledger row rewritten
    assert not [st for st in again.steps if st.what.startswith("COPY") and "_written" in st.what]
    # ... and the contacts' crosswalk rows, the same as the run's, are not replaced either.
    assert pg(f'SELECT xmin::text FROM "{s}"._ferry_contact_crosswalk') == crosswalk
    assert "copy _ferry.contact_crosswalk" not in {st.what for st in again.steps}
    assert all(c["unchanged"] > 0 and c["insert"] == c["update"] == c["delete"] == 0
               for c in again.delta["entities"].values())

    record = ids(project)["50010"]
    pg(f'UPDATE "{s}".contact SET city = %s WHERE id = %s', ["Sopot", record])
    pushed = api.push_spec(project / SPEC, options(project))
    now = versions(project)
    moved = {e: sorted(i for i in now[e] if now[e][i] != first[e].get(i)) for e in ENTITIES}
    assert moved == {**{e: [] for e in ENTITIES}, "contact": [record]}
    assert city(project, record) == "Sopot"  # only the server changed it: its value stays
    assert pushed.delta["entities"]["contact"]["unchanged"] == again.delta["entities"]["contact"]["unchanged"]


def test_a_server_value_holding_a_windows_line_break_is_read_back(project):
    """Read back through CSV: a value with \\r\\n made DuckDB's dialect sniffing fail (F606) on main."""
    s = schema_of(project)
    record = ids(project)["50010"]
    pg(f'UPDATE "{s}".contact SET notes = %s WHERE id = %s', ["first line\r\nsecond line", record])
    pushed = api.push_spec(project / SPEC, options(project))
    assert pushed.delta["entities"]["contact"]["update"] == 0
    assert pg(f'SELECT notes FROM "{s}".contact WHERE id = %s', [record]) == [("first line\r\nsecond line",)]
