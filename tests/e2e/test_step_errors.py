"""A step that fails at run time on the data is one F604 line whose hint fits the cause, and the target is
untouched: a cast in a `sql:` field that fails on a row, and a field whose type changed since the last run."""

from __future__ import annotations

import hashlib

import pytest

from compiler import api
from compiler.errors import FerryError

pytestmark = pytest.mark.slow

SPEC = """\
version: 1
name: people
sources:
  people: {{path: data/people.csv, id: id}}
entities:
  person:
    source: people
    fields: {{name: {{from: name}}, {extra}}}
target: {{path: out/people.duckdb}}
"""


def project(tmp_path, extra: str):
    (tmp_path / "data").mkdir(exist_ok=True)
    (tmp_path / "data" / "people.csv").write_bytes(b"id,name,age\n1,Anna,31\n2,Jan,x\n")
    spec = tmp_path / "people.yaml"
    spec.write_text(SPEC.format(extra=extra), encoding="utf-8")
    return spec, api.Options(out=tmp_path / "generated")


def fingerprint(path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def failed_run(tmp_path, extra: str) -> str:
    """A good first run, then the run of the spec with ``extra``: its one diagnostic line; the target unchanged."""
    spec, opts = project(tmp_path, "age: age")
    api.compile_spec_files(spec, opts)
    api.run_spec(spec, opts)
    before = fingerprint(tmp_path / "out" / "people.duckdb")
    spec, opts = project(tmp_path, extra)
    api.compile_spec_files(spec, opts)
    with pytest.raises(FerryError) as info:
        api.run_spec(spec, opts)
    (d,) = info.value.diagnostics
    assert "\n" not in d.format() and d.code == "F604"
    assert fingerprint(tmp_path / "out" / "people.duckdb") == before
    return d.format()


def test_a_cast_that_fails_on_a_row_points_at_try_cast(tmp_path):
    line = failed_run(tmp_path, 'age: {sql: "cast(age AS INTEGER)"}')
    assert "Could not convert string 'x'" in line and "try_cast" in line, line
    assert "did not create" not in line


def test_a_field_whose_type_changed_says_so(tmp_path):
    line = failed_run(tmp_path, "age: {from: age, type: integer}")
    assert "loading would convert its values" in line and "type changed since the last run" in line, line
