"""What the bytes say against the spec: byte-order marks after the start, UTF-8 under a code-page
label beyond the head, repeated header names (tests/fidelity/test_encodings.py has the corpus)."""

from __future__ import annotations

import json

import duckdb
import pytest

from compiler import encodings
from compiler.errors import FerryError, Span
from compiler.model import CsvOptions, JsonOptions, Source, XlsxOptions, XmlOptions
from compiler.sources import PreparedInput, bind, prepare_input, read_header
from compiler.sqlgen.stage import compile_stage, read_source

SPAN = Span("s.yaml", 1, 1)
HEAD = 256 * 1024  # what validate reads of a CSV


def csv_source(path: str, **options) -> Source:
    return Source("s", path, "csv", "id", CsvOptions(**options), SPAN, SPAN, SPAN)


def rows(source: Source, prepared: PreparedInput, columns: tuple[str, ...]) -> list[tuple]:
    """The prepared file read by the compiled read (what the run's staging view selects)."""
    con = duckdb.connect()
    try:
        bind(con, source, prepared)
        listed = ", ".join(f'"{c}"' for c in columns)
        return con.execute(f"SELECT {listed} FROM {read_source(source, columns).sql(dialect='duckdb')}").fetchall()
    finally:
        con.close()


def test_single_byte_code_pages_are_told_by_behaviour():
    assert all(encodings.single_byte(e) for e in ("cp1250", "windows-1251", "latin-1", "iso8859-2", "koi8-u", "cp852"))
    assert not any(encodings.single_byte(e) for e in ("utf-8", "utf-8-sig", "utf-16", "utf-16-le", "gbk", "nope"))


def test_files_without_marks_are_read_in_place(tmp_path):
    (tmp_path / "c.csv").write_bytes("\ufeffid,name\n1,Łucja\n".encode("utf-8"))  # the file's own mark only
    (tmp_path / "n.ndjson").write_text('{"id": 1, "name": "Łucja"}\n', encoding="utf-8")
    for src in (csv_source("c.csv"), Source("s", "n.ndjson", "ndjson", "id", JsonOptions(), SPAN, SPAN, SPAN)):
        prepared = prepare_input(src, tmp_path, tmp_path)
        assert prepared.readable == tmp_path / src.path and prepared.marks_removed == 0 and prepared.notes == ()


@pytest.mark.parametrize("encoding", ["utf-8", "utf-16", "utf-16-le"])
def test_csv_marks_after_the_start_are_removed_and_counted(tmp_path, encoding):
    text = "\ufeffid,name\n1,Anna\n\ufeff2,Jürgen\n3,Ol\ufeffena\n4,\"a\nb\"\n"
    (tmp_path / "c.csv").write_bytes(text.encode(encoding))
    src = csv_source("c.csv", encoding=encoding)
    prepared = prepare_input(src, tmp_path, tmp_path)
    assert prepared.readable != tmp_path / "c.csv" and prepared.marks_removed == 2
    assert prepared.notes == ("removed 2 byte-order marks (U+FEFF) after the start of the file, lines 3, 4",)
    assert rows(src, prepared, ("id", "name")) == [("1", "Anna"), ("2", "Jürgen"), ("3", "Olena"), ("4", "a\nb")]


def test_a_mark_that_starts_a_repeated_header_fails_the_run(tmp_path):
    first = "id;nazwa\n" + "".join(f"{i};Firma {i}\n" for i in range(HEAD // 10))  # past validate's head
    (tmp_path / "c.csv").write_bytes((first + "\ufeffid;nazwa\n99999;Łódź\n").encode("utf-8"))
    src = csv_source("c.csv", delimiter=";")
    assert read_header(src, tmp_path).names == ("id", "nazwa")
    with pytest.raises(FerryError) as info:
        prepare_input(src, tmp_path, tmp_path)
    problem = info.value.diagnostics[0]
    line = first.count("\n") + 1
    assert problem.code == "F608" and f"c.csv:{line}:" in problem.message and f"delete line {line}" in problem.hint


def test_json_marks_are_removed_wherever_they_are(tmp_path):
    (tmp_path / "n.ndjson").write_bytes('{"id": 1, "v": "a"}\n\ufeff{"id": 2, "v": "b\ufeffc"}\n'.encode("utf-8"))
    (tmp_path / "a.json").write_bytes('\ufeff[{"id": 1, "v": "x\ufeff"}]'.encode("utf-8"))
    for path, fmt, expected, count in (("n.ndjson", "ndjson", [("1", "a"), ("2", "bc")], 2),
                                       ("a.json", "json", [("1", "x")], 1)):
        src = Source("s", path, fmt, "id", JsonOptions(), SPAN, SPAN, SPAN)
        prepared = prepare_input(src, tmp_path, tmp_path)
        assert prepared.marks_removed == count and rows(src, prepared, ("id", "v")) == expected


def test_xml_and_xlsx_values_lose_their_marks(tmp_path):
    import openpyxl

    (tmp_path / "d.xml").write_text('<a>\n<r id="1&#xFEFF;"><x>\ufeffŁ</x></r>\n<r id="2"><x>y</x></r></a>', encoding="utf-8")
    src = Source("s", "d.xml", "xml", "id", XmlOptions("r"), SPAN, SPAN, SPAN)
    prepared = prepare_input(src, tmp_path, tmp_path)
    lines = [json.loads(line) for line in prepared.readable.read_text("utf-8").splitlines()]
    assert lines == [{"id": "1", "x": "Ł"}, {"id": "2", "x": "y"}] and prepared.marks_removed == 2
    book = openpyxl.Workbook()
    book.active.append(("\ufeffid", "name"))
    book.active.append((1, "Ol\ufeffena"))
    book.save(tmp_path / "o.xlsx")
    src = Source("s", "o.xlsx", "xlsx", "id", XlsxOptions(), SPAN, SPAN, SPAN)
    prepared = prepare_input(src, tmp_path, tmp_path)
    assert rows(src, prepared, ("id", "name")) == [("1", "Olena")]
    assert prepared.notes == ("removed 1 byte-order mark (U+FEFF) after the start of the file, line 2",)


def test_utf8_after_the_head_fails_the_run_and_warn_reads_it_as_declared(tmp_path):
    data = "id;nazwa\n" + "".join(f"{i};Firma {i}\n" for i in range(HEAD // 10)) + "99999;Paweł Żółtek\n"
    (tmp_path / "c.csv").write_bytes(data.encode("utf-8"))
    line = data.count("\n")
    src = csv_source("c.csv", delimiter=";", encoding="cp1250")
    assert read_header(src, tmp_path).names == ("id", "nazwa")  # the head is ASCII
    with pytest.raises(FerryError) as info:
        prepare_input(src, tmp_path, tmp_path)
    problem = info.value.diagnostics[0]
    assert problem.code == "F607" and f"c.csv:{line}:" in problem.message and "'ł' written as UTF-8 (c5 82)" \
        in problem.message and problem.hint.startswith("the file is UTF-8: set options.encoding: utf-8")
    warned = prepare_input(csv_source("c.csv", delimiter=";", encoding="cp1250", encoding_check="warn"),
                           tmp_path, tmp_path)
    assert len(warned.notes) == 1 and "encoding_check is warn" in warned.notes[0]
    assert rows(src, warned, ("id", "nazwa"))[-1] == ("99999", "PaweĹ‚ Ĺ»ĂłĹ‚tek")  # what warn means


def test_a_code_page_file_that_is_valid_utf8_by_chance_says_so_in_the_hint(tmp_path):
    (tmp_path / "c.csv").write_bytes("id;nazwa\n1;XYZ SPÓŁKA AKCYJNA\n".encode("cp1250"))
    with pytest.raises(FerryError) as info:
        read_header(csv_source("c.csv", delimiter=";", encoding="cp1250"), tmp_path)
    assert info.value.diagnostics[0].code == "F311" and "SPÓŁKA" in info.value.diagnostics[0].hint
    src = csv_source("c.csv", delimiter=";", encoding="cp1250", encoding_check="warn")
    prepared = prepare_input(src, tmp_path, tmp_path)
    assert rows(src, prepared, ("nazwa",)) == [("XYZ SPÓŁKA AKCYJNA",)]


def test_xml_declared_windows_1250_but_utf8(tmp_path):
    (tmp_path / "d.xml").write_bytes('<?xml version="1.0" encoding="windows-1250"?>\n<a><r id="1"><x>Żółć</x></r></a>'
                                     .encode("utf-8"))
    src = Source("s", "d.xml", "xml", "id", XmlOptions("r"), SPAN, SPAN, SPAN)
    for step, code in ((lambda: read_header(src, tmp_path), "F311"),
                       (lambda: prepare_input(src, tmp_path, tmp_path), "F607")):
        with pytest.raises(FerryError) as info:
            step()
        assert info.value.diagnostics[0].code == code and "XML declaration" in info.value.diagnostics[0].hint


def test_repeated_xlsx_header_names_are_read_as_duckdb_names_them(tmp_path):
    import openpyxl

    book = openpyxl.Workbook()
    book.active.append(("id", "phone", "Phone", "phone_1", None))
    book.active.append((1, "a", "b", "c", "d"))
    book.save(tmp_path / "o.xlsx")
    src = Source("s", "o.xlsx", "xlsx", "id", XlsxOptions(), SPAN, SPAN, SPAN)
    columns = read_header(src, tmp_path)
    assert columns.names == ("id", "phone", "Phone", "phone_1")
    assert columns.read_as == ("id", "phone", "Phone_1", "phone_1_1")
    prepared = prepare_input(src, tmp_path, tmp_path)
    assert rows(src, prepared, columns.read_as) == [("1", "a", "b", "c")]


def test_the_stage_selects_an_occurrence_by_duckdbs_name_under_the_specs():
    sql = compile_stage(csv_source("c.csv"), ("id", "phone#1", "phone#2", "a#2#1"), 1)[0].sql(dialect="duckdb")
    assert '"phone" AS "phone#1"' in sql and '"phone_1" AS "phone#2"' in sql and '"a#2" AS "a#2#1"' in sql


def test_a_repeated_xlsx_header_name_must_be_chosen(tmp_path):
    import openpyxl

    from compiler import api

    book = openpyxl.Workbook()
    book.active.append(("id", "Telefon", "telefon"))
    book.active.append((1, "+48 22 111 22 33", "+48 600 100 200"))
    book.save(tmp_path / "o.xlsx")
    spec = tmp_path / "s.yaml"
    text = "version: 1\nsources:\n  o: {path: o.xlsx, id: id}\nentities:\n  owner:\n    source: o\n    fields: {p: %s}\n"
    spec.write_text(text % "telefon", encoding="utf-8")
    with pytest.raises(FerryError) as info:
        api.validate_spec(spec)
    assert [d.check_tuple() for d in info.value.diagnostics] == [("F313", 7, 17)]
    assert "'Telefon' (column 2), 'telefon' (column 3)" in info.value.diagnostics[0].message
    spec.write_text(text % '"telefon#2"', encoding="utf-8")
    assert api.validate_spec(spec).entity("owner").fields[0].columns == ("telefon#2",)


def test_repeated_json_keys_are_found_in_the_head_with_their_line(tmp_path):
    (tmp_path / "a.json").write_text('[\n {"id": 1, "a": {"x": 1, "x": 2}},\n {"id": 2,\n  "a": 3, "a": 4, "b": 1, "b": 2}\n]',
                                     encoding="utf-8")
    (tmp_path / "n.ndjson").write_text('{"id": 1}\n\n{"id": 2, "id": 3}\n', encoding="utf-8")
    found = {name: read_header(Source("s", name, fmt, "id", JsonOptions(), SPAN, SPAN, SPAN), tmp_path).repeated_keys
             for name, fmt in (("a.json", "json"), ("n.ndjson", "ndjson"))}
    assert found == {"a.json": (("a", 3), ("b", 3)), "n.ndjson": (("id", 3),)}  # a nested object's keys are its own


def test_an_xml_file_whose_declaration_names_the_wrong_code_page_is_refused(tmp_path):
    """Its declaration says iso-8859-2, its bytes are cp1250 (ś reads as a control character): F326 at validate."""
    body = '<?xml version="1.0" encoding="iso-8859-2"?>\n<export><deal><id>1</id><t>Śląsk</t></deal></export>\n'
    (tmp_path / "d.xml").write_bytes(body.encode("cp1250"))
    src = Source("s", "d.xml", "xml", "id", XmlOptions(record="deal"), SPAN, SPAN, SPAN)
    with pytest.raises(FerryError) as validate:
        read_header(src, tmp_path)
    problem = validate.value.diagnostics[0]
    assert problem.code == "F326" and "d.xml:2:" in problem.message and "XML declaration" in problem.hint
