"""An entity read from two systems (``sources:``), end to end: two sources with colliding ids, each
mapped its own way, merged across sources, with children that name which system's ids they hold."""

from __future__ import annotations

import csv
import json
import os
import shutil
import uuid
from pathlib import Path

import duckdb
import pytest

from compiler import api
from compiler.sqlgen.ids import FERRY_NAMESPACE

FIXTURE = Path(__file__).parent / "fixtures" / "multisrc"
DSN = os.environ.get("FERRY_TEST_PG_DSN", "")

pytestmark = pytest.mark.slow


def _project(tmp: Path, edit: tuple[str, str] | None = None) -> tuple[Path, api.Options]:
    project = tmp / "multisrc"
    shutil.copytree(FIXTURE, project)
    spec = project / "multisrc.yaml"
    if edit is not None:
        text = spec.read_text("utf-8")
        assert edit[0] in text
        spec.write_text(text.replace(*edit), "utf-8")
    options = api.Options(out=project / "generated")
    api.compile_spec_files(spec, options)
    return spec, options


@pytest.fixture(scope="module")
def run(tmp_path_factory):
    spec, options = _project(tmp_path_factory.mktemp("multisrc"))
    manifest = api.run_spec(spec, options)
    return spec, options, manifest, Path(manifest.target["path"])


def query(target: Path, sql: str) -> list[tuple]:
    con = duckdb.connect(str(target), read_only=True)
    try:
        return con.execute(sql).fetchall()
    finally:
        con.close()


def test_the_crosswalk_keys_on_source_and_old_id_and_merges_across_sources(run):
    *_, target = run
    crosswalk = {(s, k): (i, status) for s, k, i, status in
                 query(target, "SELECT source, source_key, id, status FROM _ferry.contact_crosswalk")}
    # Both systems have an id 1, 2 and 3: different people except where the e-mail says otherwise.
    assert crosswalk[("crm", "1")][0] == crosswalk[("newsletter", "1")][0]  # anna@ in both
    assert crosswalk[("crm", "5")][0] == crosswalk[("newsletter", "3")][0]  # marta@ in both
    assert crosswalk[("crm", "2")][0] != crosswalk[("newsletter", "2")][0]
    assert crosswalk[("crm", "1")][1] == "loaded" and crosswalk[("newsletter", "1")][1] == "merged"  # crm first
    # The id is the one the survivor would have with its source alone.
    assert crosswalk[("crm", "1")][0] == uuid.uuid5(FERRY_NAMESPACE, "contact/crm/1")
    assert crosswalk[("newsletter", "2")][0] == uuid.uuid5(FERRY_NAMESPACE, "contact/newsletter/2")
    assert query(target, "SELECT count(*) FROM contacts") == [(5,)]


def test_each_source_is_mapped_its_own_way_and_fields_pick_their_source(run):
    *_, target = run
    rows = query(target, "SELECT first_name, last_name, email, phone, city FROM contacts ORDER BY last_name")
    assert rows == [
        ("Jan", "Kowalski", "jan@example.pl", "+48602222333", "Gdańsk"),
        # merged: the CRM record survives (source priority); first_name from the newsletter first, phone from crm
        ("Marta", "Lewandowska", "marta@example.pl", None, "Wrocław"),
        ("Tomek", "Mazur", "tomek@example.pl", None, None),  # the newsletter has no phone or city
        ("Ania", "Nowak", "anna@example.pl", "+48601111222", "Kraków"),
        ("Ewa", "Zielińska", None, "+48603333444", "Poznań"),
    ]


def test_references_follow_the_source_they_name(run):
    *_, target = run
    orders = query(target, 'SELECT o.total::VARCHAR, c.first_name FROM "order" o JOIN contacts c ON c.id = o.contact_id '
                           "ORDER BY 1")
    assert orders == [("100.5000", "Ania"), ("20.0000", "Ewa")]  # crm 1 and 3, not newsletter 1 and 3
    signups = query(target, "SELECT s.list, c.first_name FROM signup s JOIN contacts c ON c.id = s.contact_id ORDER BY 1")
    assert signups == [("offers", "Tomek"), ("weekly", "Ania")]  # newsletter 2 and 1
    # A self-reference holds ids of the row's own source: crm 2 -> crm 1 and newsletter 2 -> newsletter 1,
    # both the merged Anna.
    referred = query(target, "SELECT c.first_name, r.first_name FROM contacts c JOIN contacts r ON r.id = c.referred_by "
                             "ORDER BY 1")
    assert referred == [("Jan", "Ania"), ("Tomek", "Ania")]


def test_rejects_and_unresolved_references_name_source_row_and_old_id(run):
    *_, target = run
    rejects = query(target, "SELECT entity, source, source_row, source_key, reasons[1].rule, reasons[1].column, "
                            "reasons[1].detail FROM _ferry.rejects ORDER BY entity, source, source_row")
    assert rejects == [
        ("contact", "crm", 4, "4", "invalid_email", "email", None),
        ("contact", "newsletter", 4, "3", "duplicate_source_id", "sub_id", None),  # id 3 twice in one source
        ("order", "orders", 3, "o3", "unresolved_reference", "customer", "contact row 4 was rejected: "
                                                                         "invalid_email email=bad-email"),
        ("order", "orders", 4, "o4", "unresolved_reference", "customer", "no contact has this id in source 'crm'"),
        ("signup", "signups", 3, "s3", "unresolved_reference", "subscriber",
         "no contact has this id in source 'newsletter'"),
    ]
    assert query(target, "SELECT source, source_row, value, cause FROM _ferry.unresolved_references") == [
        ("crm", 5, "9", "missing")]


def test_every_row_is_accounted_for_per_source(run):
    spec, _, manifest, target = run
    contact = next(c for c in manifest.entities if c.entity == "contact")
    assert contact.source == "crm+newsletter"
    per_source = {c.source: (c.read, c.loaded, c.merged, c.archived, c.rejected) for c in contact.by_source}
    assert per_source == {"crm": (5, 4, 0, 0, 1), "newsletter": (4, 1, 2, 0, 1)}
    assert (contact.read, contact.loaded, contact.merged, contact.rejected) == (9, 5, 2, 2)
    assert manifest.sources["crm"] == 5 and manifest.sources["newsletter"] == 4
    saved = json.loads((target.parent / "multisrc.run.json").read_text("utf-8"))
    contact_json = next(e for e in saved["entities"] if e["entity"] == "contact")
    assert [s["source"] for s in contact_json["by_source"]] == ["crm", "newsletter"]


def test_review_names_records_by_source_and_id(run, tmp_path):
    spec, options, _, target = run
    api.export_review(spec, api.Options(out=options.out, target=target), tmp_path, limit=10)
    with (tmp_path / "contact_clusters.csv").open(encoding="utf-8", newline="") as fh:
        rows = [(r["role"], r["source_key"], r["source_row"]) for r in csv.DictReader(fh)]
    assert rows[:3] == [("survivor", "crm/1", "1"), ("merged", "newsletter/1", "1"), ("result", "", "")]


def test_rejects_export_writes_one_file_per_source(run, tmp_path):
    spec, options, _, target = run
    files = api.export_rejects(spec, api.Options(out=options.out, target=target), tmp_path)
    by_name = {f.path.name: f.rows for f in files}
    assert by_name["contact_crm_rejects.csv"] == 1 and by_name["contact_newsletter_rejects.csv"] == 1
    with (tmp_path / "contact_newsletter_rejects.csv").open(encoding="utf-8", newline="") as fh:
        (row,) = list(csv.DictReader(fh))
    assert (row["ferry_row"], row["sub_id"], row["mail"]) == ("4", "3", "again@example.pl")


def test_plan_counts_every_source(run):
    spec, options, *_ = run
    plan = api.plan_spec(spec, options)
    contact = next(e for e in plan.entities if e.entity == "contact")
    assert (contact.unchanged, contact.reject, contact.merged) == (5, 2, 2)


def test_a_rerun_changes_nothing(run):
    spec, options, first, target = run
    before = query(target, "SELECT * FROM contacts ORDER BY id")
    api.run_spec(spec, options)
    assert query(target, "SELECT * FROM contacts ORDER BY id") == before


def test_importer_bundles_export_the_merged_records(tmp_path):
    spec, options = _project(tmp_path, ("target:\n  kind: duckdb\n",
                                        "target:\n  kind: duckdb\n  hubspot:\n    objects:\n      contact:\n"
                                        "        object: contacts\n        fields: {first_name: firstname, "
                                        "last_name: lastname, email: email, phone: phone, city: city}\n"
                                        "        skip: [referred_by]\n"))
    api.compile_spec_files(spec, options)
    api.run_spec(spec, options)
    api.export_bundle(spec, options, "hubspot", tmp_path / "hubspot", 100)
    (contacts,) = (tmp_path / "hubspot").glob("*_contacts_*.csv")
    with contacts.open(encoding="utf-8", newline="") as fh:
        emails = sorted(r["email"] for r in csv.DictReader(fh))
    assert emails == ["", "anna@example.pl", "jan@example.pl", "marta@example.pl", "tomek@example.pl"]


@pytest.mark.skipif(not DSN, reason="no PostgreSQL: set FERRY_TEST_PG_DSN")
def test_push_to_postgres_loads_the_merged_records(tmp_path):
    import psycopg

    schema = f"t_{uuid.uuid4().hex[:12]}"
    spec, options = _project(tmp_path, ("target:\n  kind: duckdb\n",
                                        f"target:\n  kind: duckdb\n  postgres: {{schema: {schema}, "
                                        "dsn_env: FERRY_TEST_PG_DSN}\n"))
    api.run_spec(spec, options)
    try:
        api.push_spec(spec, options)
        with psycopg.connect(DSN) as pg:
            assert pg.execute(f'SELECT count(*) FROM "{schema}".contacts').fetchall() == [(5,)]
            assert pg.execute(f'SELECT count(*) FROM "{schema}"."order" WHERE contact_id IS NOT NULL').fetchall() == [(2,)]
    finally:
        with psycopg.connect(DSN, autocommit=True) as pg:
            pg.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')


LINK_SPEC = """\
version: 1
name: linkage
sources:
  crm: {path: crm.csv, id: id}
  shop: {path: shop.csv, id: id}
entities:
  person:
    sources: {crm: {}, shop: {}}
    dedup:
      link: only
      one_to_one: ONE
      keys: [[email]]
      fuzzy: [{fields: [first_name, last_name], threshold: 0.85, block: ["left(last_name, 3)"]}]
    fields:
      first_name: first_name
      last_name: last_name
      email: {from: email, transforms: [blank_as_null]}
target: {kind: duckdb, path: build/linkage.duckdb}
"""
CRM = "id,first_name,last_name,email\n1,Anna,Nowak,anna@x.pl\n2,Anna,Nowak,\n3,Jan,Kowalski,\n4,Olga,Zych,olga@x.pl\n"
SHOP = "id,first_name,last_name,email\n1,Anna,Nowak,anna@x.pl\n2,Jan,Kowalsky,\n3,Olga,Zych,olga@x.pl\n"


def _linkage(tmp: Path, one_to_one: bool) -> Path:
    (tmp / "crm.csv").write_text(CRM, "utf-8")
    (tmp / "shop.csv").write_text(SHOP, "utf-8")
    spec = tmp / "linkage.yaml"
    spec.write_text(LINK_SPEC.replace("ONE", "true" if one_to_one else "false"), "utf-8")
    options = api.Options(out=tmp / "generated")
    api.compile_spec_files(spec, options)
    return Path(api.run_spec(spec, options).target["path"])


def _clusters(target: Path) -> set[frozenset[str]]:
    rows = query(target, "SELECT list(source_key) FROM _ferry.person_duplicates GROUP BY cluster_id")
    return {frozenset(keys) for (keys,) in rows}


def test_link_only_compares_pairs_across_sources_only(tmp_path):
    target = _linkage(tmp_path, one_to_one=False)
    # crm 1 and 2 are alike but in one source: they are never compared, only joined through shop 1.
    assert _clusters(target) == {frozenset({"crm/1", "crm/2", "shop/1"}), frozenset({"crm/3", "shop/2"}),
                                 frozenset({"crm/4", "shop/3"})}
    stats = dict(query(target, "SELECT rule, pairs_compared FROM _ferry.dedup_stats WHERE rule LIKE 'fuzzy%'"))
    # blocks: Now (crm 1, 2; shop 1): 2 cross pairs; Kow: 1; Zyc: 1; the same-source pair crm 1-2 is not compared
    assert stats == {"fuzzy1:first_name+last_name": 4}


def test_one_to_one_keeps_each_records_best_counterpart_and_reports_the_rest(tmp_path):
    target = _linkage(tmp_path, one_to_one=True)
    # shop 1 matches crm 1 (e-mail and name) and crm 2 (name): equal scores, the earlier row wins.
    assert _clusters(target) == {frozenset({"crm/1", "shop/1"}), frozenset({"crm/3", "shop/2"}),
                                 frozenset({"crm/4", "shop/3"})}
    assert query(target, "SELECT left_key, right_key, score FROM _ferry.person_unlinked") == [("crm/2", "shop/1", 1.0)]
    assert query(target, "SELECT pairs_compared, pairs_matched FROM _ferry.dedup_stats WHERE rule = 'one_to_one'") == [
        (4, 3)]
    assert query(target, "SELECT count(*) FROM person") == [(4,)]
    spec = tmp_path / "linkage.yaml"
    api.export_review(spec, api.Options(out=tmp_path / "generated", target=target), tmp_path / "review", limit=5)
    with (tmp_path / "review" / "person_unlinked.csv").open(encoding="utf-8", newline="") as fh:
        assert list(csv.reader(fh)) == [["left_id", "right_id", "decision", "score"], ["crm/2", "shop/1", "", "1.0"]]


def test_a_filter_archives_rows_of_each_source_with_their_source(tmp_path):
    spec, options = _project(tmp_path, ("      referred_by: {entity: contact, from: referred_by}\n",
                                        "      referred_by: {entity: contact, from: referred_by}\n"
                                        "    filter: {keep: \"city IS NULL OR city <> 'Gdańsk'\"}\n"))
    manifest = api.run_spec(spec, options)
    target = Path(manifest.target["path"])
    assert query(target, "SELECT source, source_row, source_key, first_name FROM _ferry.contact_archive") == [
        ("crm", 2, "2", "Jan")]
    contact = next(c for c in manifest.entities if c.entity == "contact")
    assert [(c.source, c.archived) for c in contact.by_source] == [("crm", 1), ("newsletter", 0)]


def test_a_pilot_run_samples_each_source_and_keeps_children_of_the_sampled_source(tmp_path):
    spec, options = _project(tmp_path)
    manifest = api.run_spec(spec, options, sample=2)
    contact = next(c for c in manifest.entities if c.entity == "contact")
    assert [(c.source, c.read) for c in contact.by_source] == [("crm", 2), ("newsletter", 2)]
    target = Path(manifest.target["path"])
    # Orders are sampled among those whose CRM customer is in the CRM's sample: none is an orphan.
    causes = query(target, "SELECT reasons[1].detail FROM _ferry.rejects WHERE entity = 'order'")
    assert all("no contact has this id" not in d for (d,) in causes)
