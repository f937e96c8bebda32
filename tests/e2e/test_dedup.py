"""Dedup end to end on a fixture where every cluster, survivor and surviving value is known."""

from __future__ import annotations

import csv
import shutil
from datetime import date
from pathlib import Path

import duckdb
import pytest

from compiler import api

FIXTURE = Path(__file__).parent / "fixtures" / "dedup"

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def target(tmp_path_factory) -> Path:
    project = tmp_path_factory.mktemp("dedup") / "dedup"
    shutil.copytree(FIXTURE, project)
    options = api.Options(out=project / "generated")
    spec = project / "dedup.yaml"
    api.compile_spec_files(spec, options)
    return Path(api.run_spec(spec, options).target["path"])


def query(target: Path, sql: str) -> list[tuple]:
    con = duckdb.connect(str(target), read_only=True)
    try:
        return con.execute(sql).fetchall()
    finally:
        con.close()


def clusters(target: Path) -> set[frozenset[str]]:
    rows = query(target, "SELECT list(source_key ORDER BY source_key) FROM _ferry.person_duplicates GROUP BY cluster_id")
    return {frozenset(keys) for (keys,) in rows}


def test_keys_close_transitively_and_fuzzy_rules_respect_blocks(target):
    # 1-2 share an email, 2-3 a phone and last name; 4-5 are similar in one city, 6 is in another;
    # 8-9 match in a block of two, while the blocks of three (N..., K...) are too big for rule 2.
    assert clusters(target) == {frozenset("123"), frozenset("45"), frozenset("89")}


def test_survivor_is_the_newest_and_fields_follow_their_strategy(target):
    (anna,) = query(target, "SELECT email, phone, city, updated_at, origin, notes FROM person WHERE last_name = 'Nowak'")
    # survivor: row 2 (newest); emails: union in survivor order; city: first non-empty in that order;
    # updated_at: the earliest; notes: the longest; origin: the survivor's own.
    assert anna == ("anna@example.pl, a.nowak@firma.pl", "+48601111222", "Kraków", date(2023, 3, 3), "erp",
                    "VIP customer since 2019")
    survivors = query(target, "SELECT source_key FROM _ferry.person_duplicates WHERE survivor ORDER BY source_key")
    assert survivors == [("2",), ("5",), ("9",)]


def test_every_old_id_maps_to_its_survivor_and_references_follow(target):
    crosswalk = dict(query(target, "SELECT source_key, id FROM _ferry.person_crosswalk"))
    assert crosswalk["1"] == crosswalk["2"] == crosswalk["3"] != crosswalk["6"]
    assert crosswalk["4"] == crosswalk["5"]
    orders = query(target, 'SELECT o.total, p.city FROM "order" o JOIN person p ON p.id = o.person_id ORDER BY 1')
    assert [city for _, city in orders] == ["Kraków", "Gdańsk", "Poznań"]
    assert query(target, "SELECT count(*) FROM person") == [(5,)]


def test_pairs_compared_are_reported_per_rule(target):
    stats = query(target, "SELECT rule, pairs_compared, pairs_matched, rows_in_skipped_blocks "
                          "FROM _ferry.dedup_stats ORDER BY rule")
    assert stats == [
        ("fuzzy1:first_name+last_name", 2, 2, 0),  # Kraków (2 rows) and Gdańsk (2 rows): one pair each
        ("fuzzy2:first_name+last_name", 1, 1, 6),  # only the W block fits max_block 2
        ("key1:email", None, 1, 0),
        ("key2:phone+last_name", None, 1, 0),
    ]


def test_review_report_lists_clusters_largest_first_with_the_result(target, tmp_path):
    spec = target.parent.parent / "dedup.yaml"
    files = api.export_review(spec, api.Options(out=spec.parent / "generated", target=target), tmp_path, limit=1)
    by_name = {f.path.name: f for f in files}
    assert (by_name["person_clusters.csv"].clusters, by_name["person_clusters.csv"].members) == (3, 7)
    with (tmp_path / "person_clusters.csv").open(encoding="utf-8", newline="") as fh:
        rows = list(csv.DictReader(fh))
    first = [(r["role"], r["source_key"], r["matched_by"]) for r in rows if r["cluster"] == "1"]
    assert first == [("survivor", "2", "fuzzy1:first_name+last_name, key1:email, key2:phone+last_name"),
                     ("merged", "1", "fuzzy1:first_name+last_name, key1:email"),
                     ("merged", "3", "key2:phone+last_name"),
                     ("result", "", "")]
    assert rows[3]["email"] == "anna@example.pl, a.nowak@firma.pl"
    markdown = (tmp_path / "review.md").read_text("utf-8")
    assert "### Cluster 1 (3 records)" in markdown and "### Cluster 2" not in markdown  # limit=1
    assert "2 smaller clusters are in `person_clusters.csv`" in markdown


def run_variant(tmp_path: Path, old: str, new: str) -> Path:
    project = tmp_path / "dedup"
    shutil.copytree(FIXTURE, project)
    spec = project / "dedup.yaml"
    text = spec.read_text("utf-8")
    assert old in text
    spec.write_text(text.replace(old, new), "utf-8")
    options = api.Options(out=project / "generated")
    api.compile_spec_files(spec, options)
    return Path(api.run_spec(spec, options).target["path"])


SURVIVOR = "survivor: [{newest: updated_at}]"


@pytest.mark.parametrize("rule,survivors", [
    ("[most_complete]", [("2",), ("4",), ("8",)]),  # 4 has more fields than 5; 8 has an e-mail, 9 none
    ("[{oldest: updated_at}]", [("3",), ("4",), ("8",)]),
    ("[{priority: {field: origin, order: [erp]}}, {newest: updated_at}]", [("2",), ("5",), ("9",)]),
])
def test_record_level_survivorship_rules(tmp_path, rule, survivors):
    target = run_variant(tmp_path, SURVIVOR, f"survivor: {rule}")
    assert query(target, "SELECT source_key FROM _ferry.person_duplicates WHERE survivor ORDER BY 1") == survivors


def test_other_field_strategies_and_the_jaccard_method(tmp_path):
    target = run_variant(tmp_path, "fields: {email: union, notes: longest, city: first, updated_at: min}",
                         "fields: {notes: shortest, updated_at: max, email: survivor}")
    assert query(target, "SELECT email, notes, updated_at FROM person WHERE last_name = 'Nowak'") == [
        ("anna@example.pl", "VIP customer since 2019", date(2024, 6, 1))]  # the only non-empty note
    target = run_variant(tmp_path / "j", "threshold: 0.93, block: [city]}",
                         "threshold: 0.9, block: [city], method: jaccard}")
    assert frozenset("45") in clusters(target)
    # bigrams of "malgorzata kowalczyk" (ł folded to l): 18, and "...kk" adds one: 18/19
    best = "SELECT DISTINCT best_score FROM _ferry.person_duplicates WHERE source_key IN ('4', '5')"
    assert query(target, best) == [(pytest.approx(18 / 19),)]
    target = run_variant(tmp_path / "q", "threshold: 0.93, block: [city]}",
                         "threshold: 0.9, block: [city], method: jaccard, q: 1}")
    assert query(target, best) == [(1.0,)]  # as single letters the two names are the same set
