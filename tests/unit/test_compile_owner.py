"""Two specs with one `name:` cannot take turns overwriting generated/<name>/ (F506)."""

from __future__ import annotations

import pytest

from compiler import api
from compiler.errors import FerryError

SPEC = """\
version: 1
name: shared
sources:
  people: {path: people.csv, id: id}
entities:
  person:
    source: people
    fields: {name: name}
target: {path: build/out.duckdb}
"""


def test_a_second_spec_with_the_same_name_is_refused(tmp_path):
    (tmp_path / "people.csv").write_text("id,name\n1,Ann\n", encoding="utf-8")
    for name in ("a.yaml", "b.yaml"):
        (tmp_path / name).write_text(SPEC, encoding="utf-8")
    options = api.Options(out=tmp_path / "generated")
    api.compile_spec_files(tmp_path / "a.yaml", options)
    before = (tmp_path / "generated" / "shared" / "manifest.json").read_bytes()
    with pytest.raises(FerryError) as info:
        api.compile_spec_files(tmp_path / "b.yaml", options)
    assert [d.code for d in info.value.diagnostics] == ["F506"]
    assert (tmp_path / "generated" / "shared" / "manifest.json").read_bytes() == before
    # A spec that moved (its old file is gone) takes its folder over.
    (tmp_path / "a.yaml").unlink()
    api.compile_spec_files(tmp_path / "b.yaml", options)
