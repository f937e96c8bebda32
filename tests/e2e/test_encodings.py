"""Encodings, byte-order marks and repeated header names through `ferry run`.

A project with a cp1250 CSV, a UTF-8 CSV whose header repeats `telefon` and that has a second
export joined on after a byte-order mark, NDJSON with marks at a line start and inside a value,
and a sheet whose header has `Telefon` and `telefon`. The run loads every value exactly (no
U+FEFF anywhere), reads `telefon#2` as the second column, and says in its manifest what it removed. Then the data files are swapped for broken ones
whose flaw lies past what `validate` reads: each `ferry run` exits 1 with a located one-line error
and leaves the target as it was.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import duckdb
import openpyxl
import pytest

from compiler import api

pytestmark = pytest.mark.slow

SPEC = """\
version: 1
name: encodings
sources:
  firmy: {path: data/firmy.csv, id: firma_id, options: {delimiter: ";", encoding: cp1250}}
  kontakty: {path: data/kontakty.csv, id: kontakt_id}
  notatki: {path: data/notatki.ndjson, id: id}
  opiekunowie: {path: data/opiekunowie.xlsx, id: id}
entities:
  firma:
    source: firmy
    fields: {nazwa: nazwa, miasto: miasto}
  kontakt:
    source: kontakty
    fields: {imie: imie, stacjonarny: "telefon#1", komorkowy: "telefon#2", email: email}
    references:
      firma_id: {entity: firma, from: firma_id}
  notatka:
    source: notatki
    fields: {tekst: tekst}
  opiekun:
    source: opiekunowie
    fields: {nazwisko: nazwisko, sluzbowy: "Telefon#1", prywatny: "telefon#2"}
"""

FIRMY = [("1", "Łódzka Fabryka Mebli sp. z o.o.", "Łódź"), ("2", "Przedsiębiorstwo „Dąbrówka” s.c.", "Gdańsk"),
         ("3", "ŻÓŁĆ i Wspólnicy", "Kraków")]
KONTAKTY = ("\ufeffkontakt_id,imie,telefon,email,telefon,firma_id\n"
            "10,Paweł Żółtek,+48 42 123 45 67,pawel@example.pl,+48 601 234 567,1\n"
            "11,Jürgen Groß,+49 30 1234567,j@example.de,+49 151 2345678,2\n"
            "\ufeff12,Олена Коваленко,+380 44 123 4567,olena@example.ua,+380 67 123 4567,3\n"  # the second export
            "13,Zoë Lefèvre,,zoe@exa\ufeffmple.fr,+33 6 12 34 56 78,1\n")
NOTATKI = ('{"id": 1, "tekst": "Spotkanie w środę"}\n'
           '\ufeff{"id": 2, "tekst": "Rückruf erbeten"}\n'
           '{"id": 3, "tekst": "Пере\ufeffдзвонити"}\n')


def ferry(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "compiler", *args], capture_output=True, text=True,
                          env={"PATH": "/usr/bin:/bin", "COLUMNS": "200"})


def query(target: Path, sql: str) -> list[tuple]:
    con = duckdb.connect(str(target), read_only=True)
    try:
        return con.execute(sql).fetchall()
    finally:
        con.close()


def firmy_csv(rows) -> bytes:
    return ("firma_id;nazwa;miasto\r\n" + "".join(f"{i};{n};{m}\r\n" for i, n, m in rows)).encode("cp1250")


@pytest.fixture(scope="module")
def project(tmp_path_factory) -> tuple[Path, Path, Path, str]:
    root = tmp_path_factory.mktemp("encodings")
    (root / "data").mkdir()
    (root / "data" / "firmy.csv").write_bytes(firmy_csv(FIRMY))
    (root / "data" / "kontakty.csv").write_bytes(KONTAKTY.encode("utf-8"))
    (root / "data" / "notatki.ndjson").write_bytes(NOTATKI.encode("utf-8"))
    book = openpyxl.Workbook()
    for row in (("id", "nazwisko", "Telefon", "telefon"), (1, "Wiśniewska", "+48 22 111 22 33", "+48 600 100 200")):
        book.active.append(row)
    book.save(root / "data" / "opiekunowie.xlsx")
    spec = root / "encodings.yaml"
    spec.write_text(SPEC, encoding="utf-8")
    out = root / "generated"
    api.compile_spec_files(spec, api.Options(out=out))
    result = ferry("run", str(spec), "--out", str(out))
    assert result.returncode == 0, result.stderr
    target = root / "build" / "encodings.duckdb"
    return spec, out, target, result.stdout


def test_values_load_exactly_and_the_second_telefon_is_the_mobile(project):
    _, _, target, _ = project
    assert query(target, "SELECT nazwa, miasto FROM firma ORDER BY nazwa") == sorted((n, m) for _, n, m in FIRMY)
    assert query(target, "SELECT imie, stacjonarny, komorkowy, email FROM kontakt ORDER BY imie") == [
        ("Jürgen Groß", "+49 30 1234567", "+49 151 2345678", "j@example.de"),
        ("Paweł Żółtek", "+48 42 123 45 67", "+48 601 234 567", "pawel@example.pl"),
        ("Zoë Lefèvre", None, "+33 6 12 34 56 78", "zoe@example.fr"),
        ("Олена Коваленко", "+380 44 123 4567", "+380 67 123 4567", "olena@example.ua"),
    ]
    assert query(target, "SELECT nazwisko, sluzbowy, prywatny FROM opiekun") == [
        ("Wiśniewska", "+48 22 111 22 33", "+48 600 100 200")]
    assert query(target, "SELECT tekst FROM notatka ORDER BY tekst") == [
        ("Rückruf erbeten",), ("Spotkanie w środę",), ("Передзвонити",)]
    keys = query(target, "SELECT source_key FROM _ferry.kontakt_crosswalk UNION ALL "
                         "SELECT source_key FROM _ferry.notatka_crosswalk")
    assert sorted(k for (k,) in keys) == ["1", "10", "11", "12", "13", "2", "3"]  # no U+FEFF in an old id


def test_the_manifest_and_the_summary_say_what_was_removed(project):
    _, _, target, stdout = project
    run = json.loads(target.with_name("encodings.run.json").read_text("utf-8"))
    removed = {i["source"]: (i["marks_removed"], i["notes"]) for i in run["inputs"]}
    assert removed["firmy"] == (0, [])
    assert removed["kontakty"] == (2, ["removed 2 byte-order marks (U+FEFF) after the start of the file, lines 4, 5"])
    assert removed["notatki"][0] == 2 and "lines 2, 3" in removed["notatki"][1][0]
    assert "kontakty.csv: removed 2 byte-order marks" in stdout


def broken_run(project, name: str, data: bytes) -> subprocess.CompletedProcess:
    """Swap one data file for a broken one, run, and check the target did not change."""
    spec, out, target, _ = project
    path = spec.parent / "data" / name
    before = {t: query(target, f"SELECT * FROM {t} ORDER BY ALL") for t in ("firma", "kontakt", "notatka")}
    original = path.read_bytes()
    path.write_bytes(data)
    try:
        result = ferry("run", str(spec), "--out", str(out))
    finally:
        path.write_bytes(original)
    assert result.returncode == 1 and "Traceback" not in result.stderr
    assert len([line for line in result.stderr.splitlines() if "error:" in line]) == 1
    assert {t: query(target, f"SELECT * FROM {t} ORDER BY ALL") for t in before} == before
    return result


BIG = 30_000  # rows of ASCII: past the 256 KiB that validate reads


def test_utf8_past_the_head_of_a_cp1250_file_fails_the_run(project):
    rows = [(str(i), f"Firma {i}", "Warszawa") for i in range(1, BIG)] + [(str(BIG), "Paweł Żółtek sp.j.", "Łódź")]
    text = firmy_csv(rows).decode("cp1250")
    result = broken_run(project, "firmy.csv", text.encode("utf-8"))  # the file is UTF-8; the spec says cp1250
    assert "[F607]" in result.stderr and f"firmy.csv:{BIG + 1}:" in result.stderr
    assert "set options.encoding: utf-8" in result.stderr


def test_a_joined_export_whose_header_repeats_past_the_head_fails_the_run(project):
    rows = "".join(f"{i},Osoba {i},,o{i}@example.pl,,1\n" for i in range(100, 100 + BIG))
    data = KONTAKTY.split("\n", 1)[0] + "\n" + rows + KONTAKTY.split("\n", 1)[0] + "\n"
    result = broken_run(project, "kontakty.csv", data.encode("utf-8"))
    assert "[F608]" in result.stderr and f"kontakty.csv:{BIG + 2}:" in result.stderr


def test_a_json_key_repeated_past_the_head_fails_the_run(project):
    lines = "".join(f'{{"id": {i}, "tekst": "n {i}"}}\n' for i in range(10, 10 + BIG))
    result = broken_run(project, "notatki.ndjson", (lines + '{"id": 1, "tekst": "a", "tekst": "b"}\n').encode())
    assert "[F609]" in result.stderr and "duplicate key" in result.stderr
