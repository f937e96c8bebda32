"""``ferry validate --engine spark``: raw SQL Spark cannot run is refused at its line, without a JVM.

The example runs on Spark; the same spec with a DuckDB-only function in a field's ``sql``, a
check and a dedup block is refused once per expression, each at the line it is written on.
"""

from __future__ import annotations

import shutil

import pytest

from compiler import api
from compiler.engines.spark import checks
from compiler.errors import FerryError
from tests.helpers import EXAMPLE, ROOT


def test_the_examples_raw_sql_runs_on_spark():
    for name in ("legacy_crm", "two_crms"):
        spec = api.validate_spec(ROOT / "specs" / name / f"{name}.yaml", read_rows=False)
        assert not checks.check(spec)
        api.check_engine(spec, "spark")
    spec = api.validate_spec(EXAMPLE, read_rows=False)
    assert len(list(checks.raw_sql(spec))) >= 3  # field sql, checks, filter.keep


def test_a_duckdb_only_function_is_refused_at_its_line(tmp_path):
    folder = tmp_path / "p"
    shutil.copytree(EXAMPLE.parent, folder, ignore=shutil.ignore_patterns("build"))
    path = folder / EXAMPLE.name
    text = path.read_text("utf-8")
    old = "array_to_string(json_extract_string(meta, '$.tags[*]'), ', ')"
    assert old in text
    path.write_text(text.replace(old, "array_to_string(list_reverse(json_extract_string(meta, '$.tags[*]')), ', ')"),
                    encoding="utf-8")
    line = next(i for i, t in enumerate(path.read_text("utf-8").splitlines(), 1) if "list_reverse" in t)
    spec = api.validate_spec(path, read_rows=False)  # fine for DuckDB
    api.check_engine(spec, "duckdb")
    with pytest.raises(FerryError) as info:
        api.check_engine(spec, "spark")
    (d,) = info.value.diagnostics
    assert (d.code, d.span.line) == ("F926", line)
    assert "list_reverse" in d.message and "activity.tags" in d.message


@pytest.mark.parametrize("text, refused", [
    ("amount >= 0", False),
    ("regexp_matches(name, '^[A-Z]')", False),
    ("levenshtein(a, b) < 3", False),
    ("list_reverse(x)", True),
    ("regexp_replace(a, 'x', 'y', 'i')", True),  # a modifier Spark's regexp_replace has no form of
])
def test_expressions(text, refused):
    assert (checks.problem(text) is not None) == refused


def test_a_spec_the_spark_engine_cannot_express_is_refused():
    spec = api.validate_spec(ROOT / "specs" / "people" / "people.yaml", read_rows=False)
    with pytest.raises(FerryError) as info:
        api.check_engine(spec, "spark")
    assert [d.code for d in info.value.diagnostics] == ["F927"]


def test_a_check_a_filter_and_a_block_spark_lacks_are_refused_each_at_its_line(tmp_path):
    """The other kinds of raw SQL: one diagnostic each, at the line the expression is written on."""
    folder = tmp_path / "p"
    shutil.copytree(EXAMPLE.parent, folder, ignore=shutil.ignore_patterns("build"))
    path = folder / EXAMPLE.name
    text = path.read_text("utf-8")
    edits = {  # old -> new: each the same meaning for DuckDB, with list_reverse (DuckDB only)
        "\"stage <> 'won' OR close_date IS NOT NULL\"": "\"stage <> 'won' OR len(list_reverse([close_date])) > 0\"",
        "\"stage <> 'lost' OR close_date >= DATE '2024-01-01'\"":
            "\"stage <> 'lost' OR list_reverse([close_date])[1] >= DATE '2024-01-01'\"",
        "block: [\"split_part(email, '@', 1)\"]": "block: [\"list_reverse(string_split(email, '@'))[-1]\"]",
    }
    for old, new in edits.items():
        assert text.count(old) == 1, old
        text = text.replace(old, new)
    path.write_text(text, encoding="utf-8")
    lines = [i for i, t in enumerate(text.splitlines(), 1) if "list_reverse" in t]
    spec = api.validate_spec(path, read_rows=False)  # fine for DuckDB
    api.check_engine(spec, "duckdb")
    with pytest.raises(FerryError) as info:
        api.check_engine(spec, "spark")
    found = sorted((d.span.line, d.code) for d in info.value.diagnostics)
    assert found == [(line, "F926") for line in lines]
    said = " ".join(d.message for d in info.value.diagnostics)
    assert all(w in said for w in ("check of entity 'deal'", "filter.keep of entity 'deal'", "dedup block of entity 'contact'"))
