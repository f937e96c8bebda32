"""The match model end to end, on specs/people: a seeded list whose truth (which rows are one person) is known."""

from __future__ import annotations

import csv
import json
import shutil
from collections import defaultdict
from pathlib import Path

import duckdb
import pytest
import yaml

from compiler import api
from compiler.errors import FerryError
from tests.e2e.fixtures import people_data
from tests.helpers import ROOT

pytestmark = pytest.mark.slow
EXAMPLE = ROOT / "specs" / "people"


def project(tmp: Path, edit=None, decisions: list[tuple[str, str, str]] = ()) -> Path:
    """A copy of specs/people, its spec changed by ``edit`` (a function of the parsed YAML)."""
    folder = tmp / "people"
    shutil.copytree(EXAMPLE, folder, ignore=shutil.ignore_patterns("build"))
    spec = folder / "people.yaml"
    if edit is not None:
        data = yaml.safe_load(spec.read_text("utf-8"))
        edit(data["entities"]["person"])
        spec.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), "utf-8")
    with (folder / "decisions.csv").open("w", encoding="utf-8", newline="") as fh:
        csv.writer(fh, lineterminator="\n").writerows([("left_id", "right_id", "decision"), *decisions])
    return spec


def run(spec: Path, target: str = "build/people.duckdb") -> Path:
    options = api.Options(out=spec.parent / "generated", target=spec.parent / target)
    api.compile_spec_files(spec, options)
    api.run_spec(spec, options)
    return spec.parent / target


def query(target: Path, sql: str) -> list[tuple]:
    con = duckdb.connect(str(target), read_only=True)
    try:
        return con.execute(sql).fetchall()
    finally:
        con.close()


def merged(target: Path) -> dict[str, str]:
    """old id -> new id."""
    return dict(query(target, "SELECT source_key, id::VARCHAR FROM _ferry.person_crosswalk"))


def truth() -> dict[str, str]:
    with (EXAMPLE / "data" / "truth.csv").open(encoding="utf-8") as fh:
        return {r["person_id"]: r["person"] for r in csv.DictReader(fh)}


def pairs(groups: dict[str, str]) -> set[tuple[str, str]]:
    members = defaultdict(list)
    for key, group in groups.items():
        members[group].append(key)
    return {(a, b) for keys in members.values() for a in keys for b in keys if a < b}


def people() -> dict[str, dict[str, str]]:
    with (EXAMPLE / "data" / "people.csv").open(encoding="utf-8") as fh:
        return {r["person_id"]: r for r in csv.DictReader(fh)}


@pytest.fixture(scope="module")
def example(tmp_path_factory) -> Path:
    return run(project(tmp_path_factory.mktemp("model")))


def test_the_committed_data_is_the_generators():
    data, known = people_data.rows()
    with (EXAMPLE / "data" / "people.csv").open(encoding="utf-8") as fh:
        assert [tuple(r) for r in csv.reader(fh)][1:] == data
    assert sorted(truth().items()) == known


def test_the_model_finds_the_duplicates_and_keeps_relatives_apart(example):
    found, known = pairs(merged(example)), pairs(truth())
    precision, recall = len(found & known) / len(found), len(found & known) / len(known)
    assert precision >= 0.99 and recall >= 0.99, (precision, recall)


def _similarity(a: str, b: str) -> float:
    con = duckdb.connect()
    try:
        return con.execute("SELECT jaro_winkler_similarity(lower(strip_accents(?)), lower(strip_accents(?)))",
                           [a, b]).fetchall()[0][0]
    finally:
        con.close()


def _married_pair() -> tuple[str, str]:
    """Two rows of one person (and no third) under two last names, without a shared e-mail or phone, whose
    names are not similar enough for a fuzzy rule."""
    rows, groups = people(), truth()
    sizes = defaultdict(int)
    for group in groups.values():
        sizes[group] += 1
    for a, b in sorted(pairs(groups)):
        x, y = rows[a], rows[b]
        if (sizes[groups[a]] == 2 and x["last_name"] != y["last_name"] and x["first_name"] == y["first_name"]
                and x["street"] == y["street"] and x["birth_date"] == y["birth_date"]
                and not (x["email"] and x["email"] == y["email"]) and not (x["phone"] and x["phone"] == y["phone"])
                and _similarity(f"{x['first_name']} {x['last_name']}", f"{y['first_name']} {y['last_name']}") < 0.85):
            return a, b
    raise AssertionError("the data has no married pair")


def _relatives() -> list[tuple[str, str]]:
    """Pairs of different people at one address with one last name and one phone: a household."""
    rows, groups = people(), truth()
    by_phone = defaultdict(list)
    for key, row in rows.items():
        if row["phone"]:
            by_phone[(row["phone"], row["last_name"], row["street"])].append(key)
    return [(a, b) for keys in by_phone.values() for a in keys for b in keys if a < b and groups[a] != groups[b]]


def test_weak_agreements_add_up_where_no_fuzzy_rule_finds_the_pair(example, tmp_path):
    a, b = _married_pair()
    ids = merged(example)
    assert ids[a] == ids[b]  # first name, birth date and address agree: several weak pieces of evidence

    def fuzzy(entity):  # what the exact and fuzzy rules can say about the same records
        entity["dedup"] = {"keys": [["email"], ["phone"]], "fuzzy": [
            {"fields": ["first_name", "last_name"], "threshold": 0.88, "block": ["birth_date"]},
            {"fields": ["first_name", "last_name"], "threshold": 0.88, "block": ["street"]}],
            "survivor": ["most_complete"]}
    other = merged(run(project(tmp_path, fuzzy)))
    assert other[a] != other[b]
    relatives = _relatives()
    assert relatives and all(ids[x] != ids[y] for x, y in relatives)  # a household is not one person


def test_two_runs_give_the_same_result(example, tmp_path):
    again = run(project(tmp_path))
    for sql in ("SELECT source_key, id FROM _ferry.person_crosswalk ORDER BY 1",
                "SELECT * FROM _ferry.person_model_pairs ORDER BY left_key, right_key",
                "SELECT * EXCLUDE (spec) FROM _ferry.dedup_model ORDER BY comparison, number",
                "SELECT * FROM people ORDER BY id"):
        assert query(example, sql) == query(again, sql)


def test_the_manifest_and_ledgers_explain_the_model(example):
    manifest = json.loads(example.with_name("people.run.json").read_text("utf-8"))
    rows = {d["rule"]: d for d in manifest["dedup"]}
    model = rows["model"]
    blocks = [d for rule, d in rows.items() if rule.startswith("model:block")]
    assert len(blocks) == 4 and sum(d["pairs_compared"] for d in blocks) == model["pairs_compared"] > 0
    assert 0 < model["lambda"] < 1 and model["iterations"] >= 1
    levels = {(x["comparison"], x["level"]): x for x in model["levels"]}
    birth = levels[("birth_date", "exact")]
    assert birth["m"] > 0.5 and birth["u"] < 0.01 and birth["weight"] > 5  # agreeing on a birth date is strong
    assert levels[("birth_date", "else")]["weight"] < 0
    assert levels[("email", "null")]["weight"] == 0 and levels[("email", "null")]["m"] is None
    assert manifest["decisions"][0]["sha256"] and manifest["decisions"][0]["entity"] == "person"


def test_review_explains_links_and_lists_possible_matches(example, tmp_path):
    spec = example.parent.parent / "people.yaml"
    files = api.export_review(spec, api.Options(target=example), tmp_path / "review", limit=5)
    names = {f.path.name for f in files}
    assert {"person_model_links.csv", "person_possible_matches.csv", "review.md"} <= names
    with (tmp_path / "review" / "person_possible_matches.csv").open(encoding="utf-8") as fh:
        possible = list(csv.DictReader(fh))
    assert possible and list(possible[0])[:3] == ["left_id", "right_id", "decision"]
    assert all(0.5 <= float(r["probability"]) < 0.99 for r in possible)
    with (tmp_path / "review" / "person_model_links.csv").open(encoding="utf-8") as fh:
        link = next(csv.DictReader(fh))
    assert "birth_date " in link["why"] and ": exact +" in link["why"]
    text = (tmp_path / "review" / "review.md").read_text("utf-8")
    assert "why the match model linked records" in text and "possible matches" in text


def _cluster_of_three(ids: dict[str, str]) -> list[str]:
    groups = defaultdict(list)
    for key, new in ids.items():
        groups[new].append(key)
    return sorted(next(keys for keys in groups.values() if len(keys) == 3))


def test_decisions_force_and_forbid(example, tmp_path):
    ids = merged(example)
    a, b, c = _cluster_of_three(ids)
    x, y = _relatives()[0]
    spec = project(tmp_path, decisions=[(a, c, "forbid"), (y, x, "force")])
    decided = merged(run(spec))
    assert decided[a] != decided[c]  # forbidden: apart, although b is linked to both
    assert decided[b] in (decided[a], decided[c])  # b joins the one it is more strongly linked to
    assert decided[x] == decided[y]  # forced: one record
    status = dict(((l, r), s) for l, r, s in query(spec.parent / "build/people.duckdb",
                                                   "SELECT left_key, right_key, status FROM _ferry.person_model_pairs"))
    assert status.get((a, c), "forbidden") == "forbidden"
    # the next run without the decisions is as before
    assert merged(run(project(tmp_path / "again"))) == ids


def test_a_forced_pair_cannot_carry_a_forbidden_one_through(example, tmp_path):
    ids = merged(example)
    a, b, _ = _cluster_of_three(ids)
    x, _ = _relatives()[0]  # not a duplicate of a or b
    # x is forced onto a; a-b is linked by the model; x-b is forbidden: b must leave a's cluster or x must
    decided = merged(run(project(tmp_path, decisions=[(x, a, "force"), (x, b, "forbid")])))
    assert decided[x] == decided[a] and decided[x] != decided[b]


def test_a_model_that_takes_lookalikes_for_duplicates_stops_the_run(tmp_path):
    folder = tmp_path / "crowd"
    (folder / "data").mkdir(parents=True)
    rows = [("person_id", "first_name", "last_name", "city")]
    rows += [(f"x{i}", f"Name{i}", f"Surname{i}", f"City{i % 40}") for i in range(2000)]
    rows += [(str(i), "Test", "Test", "City0") for i in range(300)]  # an export's placeholder, 300 times
    with (folder / "data" / "crowd.csv").open("w", encoding="utf-8", newline="") as fh:
        csv.writer(fh, lineterminator="\n").writerows(rows)
    spec = folder / "crowd.yaml"
    spec.write_text("""version: 1
name: crowd
sources:
  crowd: {path: data/crowd.csv, id: person_id}
entities:
  person:
    source: crowd
    dedup:
      model:
        block: ["l.city = r.city"]
        compare: {first_name: [exact], last_name: [exact]}
        threshold: 0.9
    fields: {first_name: first_name, last_name: last_name, city: city}
target: {kind: duckdb, path: build/crowd.duckdb}
""", "utf-8")
    with pytest.raises(FerryError) as caught:
        run(spec, "build/crowd.duckdb")
    (diagnostic,) = caught.value.diagnostics
    assert diagnostic.code == "F461" and "among 2300 records" in diagnostic.message
    assert not (folder / "build" / "crowd.duckdb").exists()  # nothing was written


def test_a_plan_runs_the_model_with_the_decisions(example, tmp_path):
    spec = project(tmp_path, decisions=[(*_cluster_of_three(merged(example))[:2], "forbid")])
    options = api.Options(out=spec.parent / "generated", target=example)
    api.compile_spec_files(spec, options)
    plan = api.plan_spec(spec, options)  # a scratch run reads the real decisions file
    (entity,) = plan.entities
    assert entity.insert == 1 and entity.merged < query(example, "SELECT count(*) FROM _ferry.person_crosswalk")[0][0]
