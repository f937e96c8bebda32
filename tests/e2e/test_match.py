"""Matching records already in the target: link instead of inserting twice, update or leave them.

The target is prepared by hand first, as another tool or the CRM itself would have
filled it: a company with the NIP of the fixture's Łęcki (1001/1003) and a column
ferry does not know. The mini fixture then runs with ``match`` on the company.
"""

from __future__ import annotations

import shutil
import uuid
from pathlib import Path

import duckdb
import pytest

from compiler import api

FIXTURE = Path(__file__).parent / "fixtures" / "mini"
EXISTING = uuid.UUID("00000000-0000-4000-8000-000000000001")

pytestmark = pytest.mark.slow


def project(tmp_path: Path, match: str) -> Path:
    shutil.copytree(FIXTURE, tmp_path / "mini")
    spec = tmp_path / "mini" / "mini.yaml"
    text = spec.read_text("utf-8").replace("    key: [nip]\n", f"    key: [nip]\n    match: {match}\n", 1)
    spec.write_text(text, "utf-8")
    target = tmp_path / "mini" / "build" / "mini.duckdb"
    target.parent.mkdir()
    con = duckdb.connect(str(target))
    con.execute("CREATE TABLE company (id UUID, name VARCHAR, nip VARCHAR, crm_owner VARCHAR, city VARCHAR)")
    con.execute("INSERT INTO company VALUES (?, 'LECKI (from the CRM)', '1234563218', 'anna', NULL), "
                "('00000000-0000-4000-8000-000000000002', 'Other', '5260250274', 'jan', 'Gdańsk')", [EXISTING])
    con.close()
    return spec


def migrate(spec: Path) -> Path:
    options = api.Options(out=spec.parent / "generated")
    api.compile_spec_files(spec, options)
    return Path(api.run_spec(spec, options).target["path"])


def query(target: Path, sql: str) -> list[tuple]:
    con = duckdb.connect(str(target), read_only=True)
    try:
        return con.execute(sql).fetchall()
    finally:
        con.close()


def test_update_links_to_the_existing_record_and_writes_chosen_fields(tmp_path):
    spec = project(tmp_path, "{on: [nip], mode: update, update: [name, city]}")
    con = duckdb.connect(str(spec.parent / "build" / "mini.duckdb"))  # the existing record has a parent
    con.execute("ALTER TABLE company ADD COLUMN parent_id UUID")
    con.execute("UPDATE company SET parent_id = '00000000-0000-4000-8000-000000000002' WHERE id = ?", [EXISTING])
    con.close()
    target = migrate(spec)
    # parent_id is not in match.update: the second pass leaves the existing record's reference alone.
    assert query(target, f"SELECT parent_id::VARCHAR FROM company WHERE id = '{EXISTING}'") == [
        ("00000000-0000-4000-8000-000000000002",)]
    companies = query(target, "SELECT id, name, nip, crm_owner, city FROM company ORDER BY name")
    assert (EXISTING, "Łęcki sp. z o.o.", "1234563218", "anna", "Łódź") in companies  # updated, owner kept
    assert sum(1 for c in companies if c[2] == "1234563218") == 1  # no second Łęcki
    assert len(companies) == 4  # 2 existing + Müller + Orphan parent
    crosswalk = query(target, "SELECT source_key, id, status, linked FROM _ferry.company_crosswalk ORDER BY 1")
    assert crosswalk[0] == ("1001", EXISTING, "loaded", True) and crosswalk[2] == ("1003", EXISTING, "merged", True)
    # References follow the link: Müller's parent and the contacts' company are the existing record.
    assert query(target, "SELECT parent_id FROM company WHERE name = 'Müller GmbH'") == [(EXISTING,)]
    assert query(target, "SELECT count(*) FROM contact WHERE company_id = ?".replace("?", f"'{EXISTING}'")) == [(1,)]


def test_rerun_is_idempotent_and_keeps_other_records(tmp_path):
    spec = project(tmp_path, "{on: [nip]}")
    target = migrate(spec)
    first = query(target, "SELECT * FROM company ORDER BY id")
    migrate(spec)
    assert query(target, "SELECT * FROM company ORDER BY id") == first
    assert query(target, "SELECT name FROM company WHERE id = '00000000-0000-4000-8000-000000000002'") == [("Other",)]


def test_skip_links_but_leaves_the_existing_record_as_it_is(tmp_path):
    target = migrate(project(tmp_path, "{on: [nip], mode: skip}"))
    assert query(target, "SELECT name, city FROM company WHERE id = ?".replace("?", f"'{EXISTING}'")) == [
        ("LECKI (from the CRM)", None)]
    assert query(target, "SELECT parent_id FROM company WHERE name = 'Müller GmbH'") == [(EXISTING,)]


def test_insert_only_inserts_a_second_record(tmp_path):
    target = migrate(project(tmp_path, "{on: [nip], mode: insert_only}"))
    assert query(target, "SELECT count(*) FROM company WHERE nip = '1234563218'") == [(2,)]
