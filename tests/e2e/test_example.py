"""The example migration against the generator's ground truth, and the `make migrate` path."""

from __future__ import annotations

import csv
import importlib.util
import os
import shutil
import subprocess
from collections import defaultdict
from pathlib import Path

import duckdb
import pytest

from compiler import api
from tests.helpers import EXAMPLE, ROOT

pytestmark = pytest.mark.slow
TRUTH = EXAMPLE.parent / "data" / "truth"


def truth(name: str) -> list[dict[str, str]]:
    with (TRUTH / name).open(encoding="utf-8", newline="") as fh:
        return list(csv.DictReader(fh))


@pytest.fixture(scope="module")
def target(tmp_path_factory, compiled_example) -> duckdb.DuckDBPyConnection:
    tmp = tmp_path_factory.mktemp("example")
    options = api.Options(out=tmp / "generated", target=tmp / "example.duckdb")
    shutil.copytree(compiled_example, options.out)  # the example's compile, made once per test process
    api.run_spec(EXAMPLE, options)
    con = duckdb.connect(str(tmp / "example.duckdb"), read_only=True)
    yield con
    con.close()


def crosswalk(con, entity: str) -> dict[str, str]:
    return dict(con.execute(f"SELECT source_key, id::VARCHAR FROM _ferry.{entity}_crosswalk").fetchall())


@pytest.mark.parametrize("entity,kinds", [("company", {"nip_format"}), ("contact", {"email_case"})])
def test_exact_duplicates_are_merged_into_one_record(target, entity, kinds):
    xw = crosswalk(target, entity)
    clusters = defaultdict(set)
    for row in truth("duplicates.csv"):
        if row["entity"] == entity and row["kind"] in kinds:
            clusters[row["cluster_id"]].add(row["source_id"])
    assert clusters, "the example must contain duplicates of this kind"
    rejected = {k for (k,) in target.execute(
        "SELECT source_key FROM _ferry.rejects WHERE entity = ? AND source_key IS NOT NULL", [entity]).fetchall()}
    intact = 0
    for original, members in clusters.items():
        # A member rejected for its own reason (say, an unreadable phone) is not merged; the rest are one record.
        kept = (members | {original}) - rejected
        assert len({xw[m] for m in kept}) <= 1
        intact += len(kept) == len(members | {original})
    # Clusters with a phone no region tells (checked in _phone_rejects) cannot be whole.
    unreadable = {c for c, members in clusters.items() if (members | {c}) & set(_phone_rejects(target))}
    assert intact >= 0.8 * (len(clusters) - len(unreadable)) and len(unreadable) < len(clusters)


def test_duplicate_pairs_match_the_truth(target, tmp_path):
    """The example's dedup rules against every duplicate pair the generator made (bench/quality.py)."""
    path = Path(target.execute("SELECT path FROM duckdb_databases() WHERE database_name = current_database()")
                .fetchall()[0][0])
    module_spec = importlib.util.spec_from_file_location("ferry_bench_quality", ROOT / "bench" / "quality.py")
    quality = importlib.util.module_from_spec(module_spec)
    module_spec.loader.exec_module(quality)
    # The generator does not know that some of its phones are not valid numbers (French mobiles
    # in +33 70-72), nor that its French and Ukrainian national numbers are German ones too:
    # those rows are rejected, so not merged. They leave the truth (checked in _phone_rejects).
    bad_phones = _phone_rejects(target).items()
    truth_dir = tmp_path / "truth"
    truth_dir.mkdir()
    with (TRUTH / "duplicates.csv").open(encoding="utf-8", newline="") as src, \
            (truth_dir / "duplicates.csv").open("w", encoding="utf-8", newline="") as dst:
        rows = csv.DictReader(src)
        out = csv.DictWriter(dst, rows.fieldnames)
        out.writeheader()
        out.writerows(r for r in rows if (r["entity"], r["source_id"]) not in {("contact", k) for k, _ in bad_phones})
    scores = quality.pair_quality(path, truth_dir)
    assert scores["company"]["f1"] == 1.0
    assert scores["all"]["precision"] >= 0.99 and scores["all"]["f1"] >= 0.95, scores


def _valid_phone(text: str, region: str) -> str | None:
    """The E.164 of ``text`` read in ``region`` when it is a valid number there."""
    import phonenumbers

    try:
        number = phonenumbers.parse(text, region)
    except phonenumbers.NumberParseException:
        return None
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164) \
        if phonenumbers.is_valid_number(number) else None


def _phone_rejects(target) -> dict[str, str]:
    """Contacts rejected for their phone (source key -> phone), each checked against phonenumbers
    under the spec's list (region PL, fallbacks DE, FR, UA): invalid_phone is valid nowhere;
    ambiguous_phone is not valid in PL and two fallbacks read it as the different numbers of its detail."""
    rows = target.execute(
        "SELECT source_key, r.rule, r.value, r.detail FROM (SELECT source_key, unnest(reasons) AS r "
        "FROM _ferry.rejects WHERE entity = 'contact') WHERE r.rule IN ('invalid_phone', 'ambiguous_phone')").fetchall()
    for _, rule, value, detail in rows:
        numbers = {region: _valid_phone(value, region) for region in ("PL", "DE", "FR", "UA")}
        if rule == "invalid_phone":
            assert not any(numbers.values()), value
        else:
            assert numbers["PL"] is None and len({n for n in numbers.values() if n}) >= 2, value
            assert detail == ", ".join(f"{r} {n}" for r, n in numbers.items() if n), (value, detail)
    return {key: value for key, _, value, _ in rows}


def test_invalid_rows_are_rejected_with_their_reason(target):
    """Or, when the entity's filter archives the row anyway, archived with the reason kept."""
    rejects = {(e, int(r)): rules for e, r, rules in target.execute(
        "SELECT entity, source_row, [x.rule for x in reasons] FROM _ferry.rejects").fetchall()}
    archived = {("deal", int(r)): rules for r, rules in target.execute(
        "SELECT source_row, [x.rule for x in reasons] FROM _ferry.deal_archive WHERE reasons IS NOT NULL").fetchall()}
    assert archived, "the example should show an invalid row that the filter archives"
    for row in truth("invalid.csv"):
        key = (row["entity"], int(row["row"]))
        assert row["reason"] in (rejects.get(key) or archived[key])


def test_filtered_rows_are_archived(target):
    kept = target.execute("SELECT count(*) FROM deal WHERE stage = 'lost' AND close_date < DATE '2024-01-01'").fetchall()
    assert kept == [(0,)]
    n, wrong = target.execute("SELECT count(*), count_if(stage <> 'lost') FROM _ferry.deal_archive").fetchall()[0]
    assert n > 0 and wrong == 0


def test_orphans_are_rejected_or_left_empty_and_recorded(target):
    rejected = {(e, k) for e, k in target.execute("SELECT entity, source_key FROM _ferry.rejects").fetchall()}
    recorded = {(e, k, v) for e, k, v in target.execute(
        "SELECT entity, source_key, value FROM _ferry.unresolved_references").fetchall()}
    archived = {("deal", k, ref, old) for k, refs in target.execute(
        "SELECT source_key, old_references FROM _ferry.deal_archive").fetchall() for ref, old in refs.items()}
    # The spec rejects unresolved company_id and activity.deal_id references, and records the rest;
    # an archived deal keeps the old ids it pointed at in the archive.
    for row in truth("orphans.csv"):
        key = (row["entity"], row["source_id"])
        if key + (row["column"], row["missing_id"]) in archived:
            continue
        if (row["entity"], row["column"]) in {("contact", "company_id"), ("deal", "company_id"),
                                              ("activity", "deal_id")}:
            assert key in rejected, row
        else:
            assert key + (row["missing_id"],) in recorded, row


@pytest.mark.parametrize("table,column,referenced", [
    ("company", "parent_id", "company"), ("contact", "company_id", "company"),
    ("contact", "reports_to_id", "contact"), ("deal", "company_id", "company"), ("deal", "contact_id", "contact"),
    ("deal", "owner_id", "owner"), ("activity", "deal_id", "deal"), ("activity", "contact_id", "contact")])
def test_no_reference_points_at_a_missing_record(target, table, column, referenced):
    dangling = target.execute(
        f"SELECT count(*) FROM {table} AS t WHERE t.{column} IS NOT NULL "
        f"AND NOT EXISTS (SELECT 1 FROM {referenced} r WHERE r.id = t.{column})").fetchone()[0]
    used = target.execute(f"SELECT count({column}) FROM {table}").fetchone()[0]
    assert used > 0 and dangling == 0


def test_make_migrate(tmp_path):
    """The README's first command, in a copy of the project that reuses this venv."""
    project = tmp_path / "project"
    shutil.copytree(ROOT, project, ignore=shutil.ignore_patterns(".venv", ".git", "build", "bench", ".*cache*"))
    os.symlink(ROOT / ".venv", project / ".venv")
    (project / ".venv" / ".installed").touch(exist_ok=True)
    result = subprocess.run(["make", "-s", "migrate"], cwd=project, capture_output=True, text=True,
                            env={**os.environ, "COLUMNS": "120"})
    assert result.returncode == 0, result.stderr
    assert "ok: specs/legacy_crm/legacy_crm.yaml" in result.stdout
    assert "balanced" in result.stdout and " NO " not in result.stdout
    assert (project / "specs/legacy_crm/build/legacy_crm.duckdb").is_file()
    assert (project / "specs/legacy_crm/build/legacy_crm.run.json").is_file()
