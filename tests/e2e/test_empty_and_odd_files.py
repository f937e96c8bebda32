"""An empty export is a normal thing to migrate; an odd file is one located error, never a traceback."""

from __future__ import annotations

import pytest

from compiler import api
from compiler.errors import FerryError

pytestmark = pytest.mark.slow

SPEC = """\
version: 1
name: {name}
sources:
  things: {{path: {path}, id: id{options}}}
entities:
  thing:
    source: things
    fields: {{name: name}}
target: {{path: out.duckdb}}
"""

EMPTY = {
    "header_only.csv": (b"id,name\n", ""),
    "nothing.ndjson": (b"", ""),
    "blank_lines.ndjson": (b"\n\n", ""),
    "no_objects.json": (b"[ ]\n", ""),
    "no_records.xml": (b'<?xml version="1.0" encoding="UTF-8"?>\n<export><things></things></export>\n',
                       ", options: {record: /export/things/thing}"),
}


@pytest.mark.parametrize("name", sorted(EMPTY))
def test_an_empty_export_loads_as_zero_rows(tmp_path, name):
    data, options = EMPTY[name]
    (tmp_path / name).write_bytes(data)
    spec = tmp_path / "s.yaml"
    spec.write_text(SPEC.format(name="empty", path=name, options=options), encoding="utf-8")
    api.compile_spec_files(spec, api.Options(out=tmp_path / "generated"))
    manifest = api.run_spec(spec, api.Options(out=tmp_path / "generated"))
    (counts,) = manifest.entities
    assert (counts.read, counts.loaded, counts.rejected, counts.balanced) == (0, 0, 0, True)


ODD = {
    "utf16_without_mark.csv": ("id,name\n1,Ann\n".encode("utf-16-le"), ", options: {encoding: utf-16}",
                               "utf-16-le"),
    "unknown_encoding.xml": (b'<?xml version="1.0" encoding="klingon"?>\n<e><thing id="1"/></e>\n',
                             ", options: {record: /e/thing}", "encoding"),
    "wrong_record_path.xml": (b'<?xml version="1.0"?>\n<e><other id="1"/></e>\n', ", options: {record: /x/thing}",
                              "paths in the file"),
}


@pytest.mark.parametrize("name", sorted(ODD))
def test_an_odd_file_is_one_located_error(tmp_path, name):
    data, options, hint = ODD[name]
    (tmp_path / name).write_bytes(data)
    spec = tmp_path / "s.yaml"
    spec.write_text(SPEC.format(name="odd", path=name, options=options), encoding="utf-8")
    with pytest.raises(FerryError) as info:
        api.validate_spec(spec)
    d = info.value.diagnostics[0]
    assert d.code in ("F306", "F308") and d.span.line == 4 and hint in (d.hint or "")
    assert "\n" not in d.format()


def test_a_record_path_one_level_off_is_not_an_empty_export(tmp_path):
    """`/e/thing` where the records are `/e/things/thing`: the parent holds other elements, so the path
    is wrong (F308), not the export empty."""
    (tmp_path / "t.xml").write_bytes(b'<?xml version="1.0"?>\n<e><things><thing id="1"/></things></e>\n')
    spec = tmp_path / "s.yaml"
    spec.write_text(SPEC.format(name="one_level_off", path="t.xml", options=", options: {record: /e/thing}"), encoding="utf-8")
    with pytest.raises(FerryError) as info:
        api.validate_spec(spec)
    assert [d.code for d in info.value.diagnostics] == ["F308"]
