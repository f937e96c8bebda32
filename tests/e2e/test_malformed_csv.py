"""Every well-formed CSV loads; a malformed one is one located error from validate, run and plan alike.

A malformed row stops the whole source (nothing padded, cut or skipped): the error names the
file, the line in the file (not DuckDB's record count), the cause, and the target is untouched.
tests/cases/checks/sources.yml has the same shapes as validate cases.
"""

from __future__ import annotations

import codecs
import hashlib
import subprocess
import sys

import duckdb
import pytest

from compiler import api
from compiler.errors import FerryError
from compiler.sqlgen.stage import MAX_LINE_BYTES

pytestmark = pytest.mark.slow

SPEC = """\
version: 1
name: people
sources:
  people: {{path: data/people.csv, id: id{options}}}
entities:
  person:
    source: people
    fields: {{name: {{from: name}}}}
target: {{path: out/people.duckdb}}
"""

GOOD = b"id,name\n1,Anna\n2,Jan\n"
ROWS = "".join(f"{i},Name {i}\n" for i in range(3, 30_000))  # ~400 KiB: past the 256 KiB head validate reads

#: name -> (file bytes, options, code, line in the file, a word of the cause)
BROKEN = {
    "fewer_fields": (b"id,name\n1,Anna\n2\n3,Olena\n", "", "F317", 3, "1 field"),
    "extra_fields": (b"id,name\n1,Anna,x\n2,Jan\n", "", "F318", 2, "3 fields"),
    # a row with more fields is never taken for the header: the header is line 1
    "every_row_wider": (b"id,name\n1,Anna,x\n2,Jan,y\n3,Olena,z\n", "", "F318", 2, "header has 2"),
    "unclosed_quote": (b'id,name\n1,Anna\n2,"Jan\n3,Olena\n', "", "F319", 3, "never closed"),
    "text_after_quote": (b'id,name\n1,"Anna" Nowak\n2,Jan\n', "", "F319", 2, "closing quote"),
    "after_a_multiline_value": (b'id,name\n1,"Anna\nMaria\nNowak"\n2,Jan,x\n', "", "F318", 5, "3 fields"),
    "crlf_after_blank_lines": (b"id,name\r\n1,Anna\r\n\r\n\r\n2\r\n", "", "F317", 5, "1 field"),
    "past_the_head": (f"id,name\n1,Anna\n2,Jan\n{ROWS}29999\n".encode(), "", "F317", 30_001, "1 field"),
    "cp1250_semicolon": ('id;name\r\n1;"Łódź\r\nPółnoc"\r\n2;Kraków;Śródmieście\r\n'.encode("cp1250"),
                         ', options: {delimiter: ";", encoding: cp1250}', "F318", 4, "delimiter ';'"),
    "utf16": (codecs.BOM_UTF16_LE + 'id,name\n1,"Łucja\nMaria"\n2,Jan,x\n'.encode("utf-16-le"),
              ", options: {encoding: utf-16}", "F318", 4, "3 fields"),
    "empty": (b"", "", "F324", None, "0 bytes"),
    "blank_first_line": (b"\nid,name\n1,Anna\n", "", "F324", 1, "line 1 is empty"),
}


def project(tmp_path, data: bytes, options: str = ""):
    (tmp_path / "data").mkdir(exist_ok=True)
    (tmp_path / "data" / "people.csv").write_bytes(data)
    spec = tmp_path / "people.yaml"
    spec.write_text(SPEC.format(options=options), encoding="utf-8")
    return spec, api.Options(out=tmp_path / "generated")


def fingerprint(path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def error_of(call) -> str:
    with pytest.raises(FerryError) as info:
        call()
    (d,) = info.value.diagnostics
    assert "\n" not in d.format()
    return d.format()


@pytest.mark.parametrize("name", sorted(BROKEN))
def test_a_malformed_csv_is_one_located_error_and_the_target_is_untouched(tmp_path, name):
    data, options, code, line, cause = BROKEN[name]
    spec, opts = project(tmp_path, GOOD)
    api.compile_spec_files(spec, opts)
    api.run_spec(spec, opts)
    target = tmp_path / "out" / "people.duckdb"
    before = fingerprint(target)
    spec, opts = project(tmp_path, data, options)
    validated = error_of(lambda: api.validate_spec(spec, opts))
    where = "data/people.csv" + (f":{line}: " if line else " ")
    assert f"[{code}]" in validated and where in validated and cause in validated, validated
    if code == "F324":  # no header: compile (which reads headers) stops too
        assert error_of(lambda: api.compile_spec_files(spec, opts)) == validated
        return
    api.compile_spec_files(spec, opts)
    assert error_of(lambda: api.run_spec(spec, opts)) == validated  # the same error, from the run's read
    assert error_of(lambda: api.plan_spec(spec, opts)) == validated
    assert fingerprint(target) == before


def test_the_cli_prints_one_line_and_exits_1(tmp_path):
    spec, _ = project(tmp_path, BROKEN["fewer_fields"][0])
    done = subprocess.run([sys.executable, "-m", "compiler", "validate", str(spec)], capture_output=True,
                          text=True, cwd=tmp_path)
    lines = (done.stdout + done.stderr).strip().splitlines()
    assert done.returncode == 1 and len(lines) == 1 and "people.csv:3:" in lines[0] and "[F317]" in lines[0]
    assert "Traceback" not in done.stderr


def names_in(target) -> list[str]:
    with duckdb.connect(str(target), read_only=True) as con:
        return [r[0] for r in con.execute("SELECT name FROM main.person ORDER BY name").fetchall()]


@pytest.mark.parametrize("data,options", [
    (b'id,name\r\n1,Anna\n2,"Jan\r\nNowak"\r\n3,Olena\n4,"Ewa\nKos"\r\n', ""),  # CRLF first
    (b'id,name\n1,Anna\r\n2,"Jan\r\nNowak"\n3,Olena\r\n4,"Ewa\nKos"\n', ""),  # LF first
    (b'id,name\r1,Anna\n2,"Jan\r\nNowak"\r\n3,Olena\r4,"Ewa\nKos"\n', ""),  # CR alone too
    ('id;name\r\n1;Anna\n2;"Jan\r\nNowak"\r\n3;Olena\n4;"Ewa\nKos"\n'.encode("cp1250"),
     ', options: {delimiter: ";", encoding: cp1250}'),
])
def test_mixed_line_breaks_are_read_and_quoted_breaks_kept(tmp_path, data, options):
    spec, opts = project(tmp_path, data, options)
    api.validate_spec(spec, opts)
    api.compile_spec_files(spec, opts)
    manifest = api.run_spec(spec, opts)
    assert names_in(tmp_path / "out" / "people.duckdb") == ["Anna", "Ewa\nKos", "Jan\r\nNowak", "Olena"]
    assert any("mixes line breaks" in note for note in manifest.inputs[0].notes)
    assert not manifest.inputs[0].transcoded or "cp1250" in options


def test_a_long_value_loads_and_a_row_over_the_bound_is_located(tmp_path):
    note = "x" * 3_000_000  # over DuckDB's default of 2 MB
    spec, opts = project(tmp_path, f'id,name\n1,Anna\n2,"{note}"\n'.encode())
    api.validate_spec(spec, opts)
    api.compile_spec_files(spec, opts)
    api.run_spec(spec, opts)
    assert max(map(len, names_in(tmp_path / "out" / "people.duckdb"))) == len(note)
    (tmp_path / "data" / "people.csv").write_bytes(b"id,name\n1,Anna\n2," + b"x" * (MAX_LINE_BYTES + 10) + b"\n")
    validated = error_of(lambda: api.validate_spec(spec, opts))
    assert "[F323]" in validated and "people.csv:3:" in validated and "quote" in validated
    assert error_of(lambda: api.run_spec(spec, opts)) == validated
