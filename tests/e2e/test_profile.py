"""`ferry profile`: detection and shapes on small files (tests/cases/profile/files.yml), the example's
exports checked against counts made here independently, the CLI's four formats (JSON against its
schema, the HTML page loaded in a headless browser), and located errors."""

from __future__ import annotations

import csv
import json
import shutil
import subprocess
import sys
from collections import Counter
from pathlib import Path

import jsonschema
import pytest
import yaml

from compiler import api
from compiler.profile import html as profile_html, measure, relate, render
from compiler.profile.model import Profile, SourceProfile
from tests.helpers import ROOT

pytestmark = pytest.mark.slow
DATA = ROOT / "specs" / "legacy_crm" / "data"
CASES = yaml.safe_load((ROOT / "tests" / "cases" / "profile" / "files.yml").read_text("utf-8"))["cases"]
SCHEMA = json.loads((ROOT / "compiler" / "schema" / "profile-v1.json").read_text("utf-8"))


def ferry(*args: str, cwd: Path = ROOT) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "compiler", *args], capture_output=True, text=True, cwd=cwd,
                          env={"PATH": "/usr/bin:/bin", "COLUMNS": "200", "PYTHONPATH": str(ROOT)})


@pytest.fixture(scope="module")
def example() -> Profile:
    return api.profile_files((DATA,))


def by_name(profile: Profile, name: str) -> SourceProfile:
    return next(s for s in profile.sources if s.format.name == name)


@pytest.mark.parametrize("case", CASES, ids=[c["name"] for c in CASES])
def test_detects(case, tmp_path):
    path = tmp_path / case["file"]
    path.write_bytes(case["text"].encode(case.get("encoding", "utf-8")))
    (found,) = api.profile_files((path,)).sources
    expect = case["expect"]
    for key in ("format", "encoding", "delimiter", "record"):
        if key in expect:
            assert getattr(found.format, key) == expect[key], key
    if "evidence" in expect:
        assert any(expect["evidence"] in line for line in found.format.evidence), found.format.evidence
    if "ids" in expect:
        assert list(found.ids[: len(expect["ids"])]) == expect["ids"]  # the best first
    columns = {c.name: c for c in found.columns}
    for name, want in expect.get("columns", {}).items():
        column = columns[name]
        assert column.kind == want["kind"], (name, column)
        labels = [s.label for s in column.shapes]
        assert labels[: len(want.get("shapes", []))] == want.get("shapes", []), labels
        checks = dict(column.checks)
        for check, least in want.get("checks", {}).items():
            assert checks[check] >= least, checks
    for key, rows in expect.get("duplicates", {}).items():
        assert {f"{d.column} ({d.how})": d.rows for d in found.duplicates}[key] == rows


def test_example_formats(example):
    companies, owners, deals = by_name(example, "companies"), by_name(example, "owners"), by_name(example, "deals")
    assert (companies.format.encoding, companies.format.delimiter) == ("cp1250", ";")
    assert any("0xb3 'ł'" in e for e in companies.format.evidence)
    assert (owners.format.sheet, owners.format.header_row) == ("Users", 3)  # a title row and a blank row first
    assert deals.format.record == "/export/deals/deal"
    assert [s.rows for s in example.sources] == [263, 105, 300, 195, 12]


def _csv(name: str, encoding: str, delimiter: str) -> list[dict[str, str]]:
    with (DATA / name).open(encoding=encoding, newline="") as fh:
        return list(csv.DictReader(fh, delimiter=delimiter))


def test_example_counts_match_python(example):
    """Filled, distinct, e-mail duplicates (lower-case) and a reference, counted here with the csv module."""
    rows = _csv("contacts.csv", "utf-8-sig", ",")
    contacts = by_name(example, "contacts")
    columns = {c.name: c for c in contacts.columns}
    for name in ("email", "phone", "company_id", "created_at"):
        values = [r[name] for r in rows if r[name]]  # distinct as written
        assert (columns[name].non_empty, columns[name].distinct) == (len(values), len(set(values))), name
    emails = Counter(r["email"].strip().lower() for r in rows if r["email"].strip())
    duplicates = {(d.column, d.how): d.rows for d in contacts.duplicates}
    assert duplicates[("email", "lower-case")] == sum(n - 1 for n in emails.values() if n > 1)
    company_ids = {r["firma_id"] for r in _csv("companies.csv", "cp1250", ";")}
    used = {r["company_id"] for r in rows if r["company_id"].strip()}
    (reference,) = [r for r in example.references if (r.source, r.column) == ("contacts", "company_id")]
    assert (reference.target, reference.target_column) == ("companies", "firma_id")
    assert (reference.found, reference.missing) == (len(used & company_ids), len(used - company_ids))


def test_example_shapes(example):
    contacts = {c.name: c for c in by_name(example, "contacts").columns}
    companies = {c.name: c for c in by_name(example, "companies").columns}
    assert [s.label for s in contacts["created_at"].shapes] == ["yyyy-mm-dd", "dd.mm.yyyy", "mm/dd/yyyy"]
    assert contacts["phone"].kind == "phone" and contacts["phone"].shapes[0].label == "+48 9-digit"
    assert companies["nip"].kind == "nip" and dict(companies["nip"].checks)["NIP checksum valid"] == 1.0
    assert by_name(example, "contacts").ids == ("contact_id",)
    assert ("companies", "firma_nadrzedna", "companies", "firma_id") in {
        (r.source, r.column, r.target, r.target_column) for r in example.references}


@pytest.mark.parametrize("buckets, sure", [(16, 1000), (1, 1)], ids=["hash-sampled", "every-pair-estimated"])
def test_large_file_path_gives_the_exact_profile(example, monkeypatch, buckets, sure):
    """The example profiled as if every file were large (estimated distinct counts, top candidates
    from the sample, exact counts only for possible keys, references estimated on hash buckets
    first): the same profile, but for the distinct counts it marks as estimates."""
    monkeypatch.setattr(measure, "EXACT_ROWS", 0)
    monkeypatch.setattr(measure, "FEW", 0)
    monkeypatch.setattr(relate, "BUCKETS", buckets)
    monkeypatch.setattr(relate, "SURE", sure)
    large = api.profile_files((DATA,))
    assert large.references == example.references
    estimated = 0
    for exact, fast in zip(example.sources, large.sources):
        assert fast.ids == exact.ids
        assert [(d.column, d.how, d.rows, d.values) for d in fast.duplicates] == [
            (d.column, d.how, d.rows, d.values) for d in exact.duplicates]
        for a, b in zip(exact.columns, fast.columns):
            assert (a.non_empty, a.top, a.shapes, a.kind, a.checks) == (b.non_empty, b.top, b.shapes, b.kind, b.checks)
            assert not a.distinct_approximate
            if b.distinct_approximate:
                estimated += 1
                assert abs(b.distinct - a.distinct) <= 0.05 * a.distinct + 2, (b.name, a.distinct, b.distinct)
                assert b.name not in fast.ids and b.distinct < 0.85 * b.non_empty or b.kind not in ("integer", "text", "nip")
            else:
                assert b.distinct == a.distinct, b.name
    assert estimated > 10
    assert render.APPROXIMATE in render.to_markdown(large) and render.APPROXIMATE not in render.to_markdown(example)


def test_shapes_come_from_the_small_sample_and_top_values_from_every_row(example, monkeypatch):
    """Shapes and checks over every k-th row (at most SAMPLE_ROWS, the output says so); counts,
    top values, ids, duplicates and references over every row, as without the sample."""
    monkeypatch.setattr(measure, "SAMPLE_ROWS", 40)
    sampled = api.profile_files((DATA,))
    assert sampled.references == example.references
    for full, part in zip(example.sources, sampled.sources):
        assert part.rows == full.rows and part.ids == full.ids and part.duplicates == full.duplicates
        assert part.sampled == (full.rows if full.rows <= 40 else len(range(0, full.rows, -(-full.rows // 40))))
        for a, b in zip(full.columns, part.columns):
            assert (a.non_empty, a.distinct, a.top) == (b.non_empty, b.distinct, b.top), a.name
            assert sum(s.count for s in b.shapes) <= part.sampled
    contacts = by_name(sampled, "contacts")
    assert contacts.sampled < contacts.rows
    assert f"shapes and checks from a sample of {contacts.sampled:,} rows" in render.to_markdown(sampled)


def test_json_matches_schema_and_markdown(tmp_path):
    done = ferry("profile", str(DATA), "--format", "json")
    assert done.returncode == 0, done.stderr
    data = json.loads(done.stdout)
    jsonschema.validate(data, SCHEMA)
    assert [s["name"] for s in data["sources"]] == ["activities", "companies", "contacts", "deals", "owners"]
    done = ferry("profile", str(DATA / "contacts.csv"), "--format", "markdown", "-o", str(tmp_path / "p.md"))
    assert done.returncode == 0, done.stderr
    text = (tmp_path / "p.md").read_text("utf-8")
    assert "| created_at | 100% |" in text and "lower-case" in text


def test_terminal_output():
    done = ferry("profile", str(DATA / "companies.csv"))
    assert done.returncode == 0, done.stderr
    assert "cp1250" in done.stdout and "candidate ids: firma_id" in done.stdout


@pytest.mark.parametrize("args, code", [
    (["profile", "no/such/file.csv"], "F800"),
    (["profile", str(DATA), "--format", "pdf"], "F803"),
])
def test_errors_are_located_lines(args, code):
    done = ferry(*args)
    assert done.returncode == 1
    assert code in done.stderr and "Traceback" not in done.stderr and len(done.stderr.strip().splitlines()) == 1


def test_empty_folder_is_an_error(tmp_path):
    done = ferry("profile", str(tmp_path))
    assert done.returncode == 1 and "F800" in done.stderr


def test_html_escapes_values(tmp_path):
    path = tmp_path / "x.csv"
    path.write_text("id,name\n1,<script>alert(1)</script>\n2,b\n", "utf-8")
    page = profile_html.to_html(api.profile_files((path,)))
    assert "<script>" not in page and "&lt;script&gt;" in page


def _browser() -> str | None:
    return next((b for b in ("chromium-headless-shell", "chromium", "chromium-browser") if shutil.which(b)), None)


@pytest.mark.skipif(_browser() is None, reason="no headless browser (apt-get install chromium-headless-shell; "
                                                ".ci/run installs it)")
def test_html_page_loads_in_a_headless_browser(tmp_path, example):
    page = tmp_path / "profile.html"
    page.write_text(profile_html.to_html(example), "utf-8")
    assert "http://" not in page.read_text("utf-8").replace('xmlns="http://www.w3.org/2000/svg"', "")
    done = subprocess.run([_browser(), "--headless", "--no-sandbox", "--disable-gpu", "--dump-dom", page.as_uri()],
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr[-2000:]
    dom = done.stdout
    assert dom.count('<section class="source"') == len(example.sources)
    # Three charts per file (filled, shapes, duplicates, or a sentence when nothing repeats).
    assert dom.count('<svg class="chart"') >= 2 * len(example.sources)
    bars = dom.count("<rect")
    shapes = sum(len(c.shapes) for s in example.sources for c in s.columns)
    assert bars >= shapes + 2 * sum(len(s.columns) for s in example.sources)
    assert "contacts.company_id -&gt; companies.firma_id" in dom
