"""Mutations of the example's data files: a copy of specs/legacy_crm/data/ -> one file changed.

In:  the data folder of a project copy (``apply(folder)`` edits it in place).
Out: ``DATA_MUTATIONS``: ``{id: apply}``, each changing one file the way exports go wrong:
truncated, empty, header only, in another encoding than declared, mixed line endings, an unclosed
quote, rows with fewer or more fields, a 3 MB field, NUL bytes, a byte-order mark in the middle,
broken XML, XML without records, NDJSON lines that are not objects, a column deleted, a file
missing or replaced by a folder, a workbook that is not one.

The CSV files are the example's: companies.csv (cp1250, ';'), contacts.csv (UTF-8 with a BOM, ',').
"""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path
from typing import Callable

Apply = Callable[[Path], None]


def _bytes(edit: Callable[[bytes], bytes], name: str) -> Apply:
    def apply(folder: Path) -> None:
        path = folder / name
        path.write_bytes(edit(path.read_bytes()))
    return apply


def _lines(edit: Callable[[list[bytes]], list[bytes]], name: str) -> Apply:
    return _bytes(lambda raw: b"".join(edit(raw.splitlines(keepends=True))), name)


def _at(index: int, make: Callable[[bytes], bytes | list[bytes]]) -> Callable[[list[bytes]], list[bytes]]:
    def edit(lines: list[bytes]) -> list[bytes]:
        new = make(lines[index])
        return lines[:index] + (new if isinstance(new, list) else [new]) + lines[index + 1:]
    return edit


def _recode(name: str, source: str, target: str, errors: str = "strict") -> Apply:
    return _bytes(lambda raw: raw.decode(source).encode(target, errors=errors), name)


def _drop_csv_column(name: str, column: bytes, sep: bytes, encoding: str) -> Apply:
    def edit(raw: bytes) -> bytes:
        import csv
        import io
        text = raw.decode(encoding)
        rows = list(csv.reader(io.StringIO(text, newline=""), delimiter=sep.decode()))
        at = [c.lstrip("\ufeff") for c in rows[0]].index(column.decode())
        out = io.StringIO()
        csv.writer(out, delimiter=sep.decode(), lineterminator="\n").writerows([r[:at] + r[at + 1:] for r in rows])
        return out.getvalue().encode(encoding)
    return _bytes(edit, name)


def _ndjson_drop_key(key: str) -> Apply:
    def edit(raw: bytes) -> bytes:
        rows = [json.loads(line) for line in raw.decode("utf-8").splitlines() if line.strip()]
        return "".join(json.dumps({k: v for k, v in r.items() if k != key}, ensure_ascii=False) + "\n"
                       for r in rows).encode("utf-8")
    return _bytes(edit, "activities.ndjson")


def _replace_with_folder(name: str) -> Apply:
    def apply(folder: Path) -> None:
        (folder / name).unlink()
        (folder / name).mkdir()
    return apply


def _mixed_endings(lines: list[bytes]) -> list[bytes]:
    return [line.rstrip(b"\r\n") + (b"\r\n" if i % 2 else b"\n") for i, line in enumerate(lines)]


def _contacts_row(make: Callable[[list[bytes]], list[bytes]]) -> Callable[[bytes], bytes]:
    """Edit the fields of one contacts.csv row (none of its fields is quoted)."""
    return lambda line: b",".join(make(line.rstrip(b"\r\n").split(b","))) + b"\n"


DATA_MUTATIONS: dict[str, Apply] = {
    # truncated in the middle of a row, an element, an object
    "truncated:companies.csv": _bytes(lambda raw: raw[: len(raw) // 2], "companies.csv"),
    "truncated:contacts.csv": _bytes(lambda raw: raw[: len(raw) // 2 + 7], "contacts.csv"),
    "truncated:deals.xml": _bytes(lambda raw: raw[: len(raw) // 2], "deals.xml"),
    "truncated:activities.ndjson": _bytes(lambda raw: raw[: len(raw) // 2], "activities.ndjson"),
    "truncated:owners.xlsx": _bytes(lambda raw: raw[: len(raw) // 2], "owners.xlsx"),
    # empty, header only
    "empty:companies.csv": _bytes(lambda raw: b"", "companies.csv"),
    "empty:contacts.csv": _bytes(lambda raw: b"", "contacts.csv"),
    "empty:deals.xml": _bytes(lambda raw: b"", "deals.xml"),
    "empty:activities.ndjson": _bytes(lambda raw: b"", "activities.ndjson"),
    "empty:owners.xlsx": _bytes(lambda raw: b"", "owners.xlsx"),
    "header_only:companies.csv": _lines(lambda lines: lines[:1], "companies.csv"),
    "header_only:contacts.csv": _lines(lambda lines: lines[:1], "contacts.csv"),
    # encodings other than declared
    "encoding:utf8_declared_cp1250": _recode("companies.csv", "cp1250", "utf-8"),
    "encoding:cp1250_declared_utf8": _recode("contacts.csv", "utf-8-sig", "cp1250", errors="replace"),
    "encoding:utf16le_no_bom": _recode("contacts.csv", "utf-8-sig", "utf-16-le"),
    "encoding:utf16be_no_bom_ndjson": _recode("activities.ndjson", "utf-8", "utf-16-be"),
    "encoding:xml_cp1250_declared_utf8": _recode("deals.xml", "utf-8", "cp1250", errors="replace"),
    "encoding:ndjson_latin1": _recode("activities.ndjson", "utf-8", "latin-1", errors="replace"),
    # line endings, quotes, field counts
    "crlf_mixed:contacts.csv": _lines(_mixed_endings, "contacts.csv"),
    "crlf_mixed:companies.csv": _lines(_mixed_endings, "companies.csv"),
    "cr_only:contacts.csv": _bytes(lambda raw: raw.replace(b"\n", b"\r"), "contacts.csv"),
    "unclosed_quote:contacts.csv": _lines(_at(40, _contacts_row(lambda f: f[:2] + [b'"' + f[2]] + f[3:])), "contacts.csv"),
    "unclosed_quote:companies.csv": _lines(_at(30, lambda line: line.replace(b";", b';"', 1)), "companies.csv"),
    "fewer_fields:contacts.csv": _lines(_at(20, _contacts_row(lambda f: f[:4])), "contacts.csv"),
    "extra_fields:contacts.csv": _lines(_at(20, _contacts_row(lambda f: f + [b"extra", b"more"])), "contacts.csv"),
    "extra_fields:companies.csv": _lines(_at(10, lambda line: line.rstrip(b"\r\n") + b";x;y\n"), "companies.csv"),
    "field_3mb:contacts.csv": _lines(_at(25, _contacts_row(lambda f: f[:-1] + [b"n" * 3_000_000])), "contacts.csv"),
    "field_3mb:activities.ndjson": _lines(_at(5, lambda line: line.replace(b'"type": "', b'"type": "' + b"q" * 3_000_000, 1)),
                                          "activities.ndjson"),
    # bytes that do not belong in text
    "nul:contacts.csv": _lines(_at(15, lambda line: line.replace(b",", b"\x00,", 2)), "contacts.csv"),
    "nul:companies.csv": _lines(_at(15, lambda line: line.replace(b";", b"\x00;", 1)), "companies.csv"),
    "nul:activities.ndjson": _lines(_at(3, lambda line: b"\x00" + line), "activities.ndjson"),
    "nul:deals.xml": _bytes(lambda raw: raw.replace(b"<title>", b"<title>\x00", 1), "deals.xml"),
    "bom_middle:contacts.csv": _lines(_at(10, lambda line: b"\xef\xbb\xbf" + line), "contacts.csv"),
    "bom_middle:contacts.csv_field": _lines(_at(12, lambda line: line.replace(b",", b",\xef\xbb\xbf", 1)), "contacts.csv"),
    "bom_middle:activities.ndjson": _lines(_at(7, lambda line: b"\xef\xbb\xbf" + line), "activities.ndjson"),
    # XML
    "xml:unclosed_element": _bytes(lambda raw: raw.replace(b"</title>", b"", 1), "deals.xml"),
    "xml:garbage_after_root": _bytes(lambda raw: raw + b"<more/>", "deals.xml"),
    "xml:not_xml": _bytes(lambda raw: b"id,stage\n1,won\n", "deals.xml"),
    "xml:no_records": _bytes(lambda raw: re.sub(rb"<deals>.*</deals>", b"<deals></deals>", raw, flags=re.S), "deals.xml"),
    "xml:records_elsewhere": _bytes(lambda raw: raw.replace(b"<deals>", b"<opps>").replace(b"</deals>", b"</opps>"),
                                    "deals.xml"),
    "xml:entity_expansion": _bytes(lambda raw: raw.replace(
        b"<export", b'<!DOCTYPE export [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">'
        b'<!ENTITY c "&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;"><!ENTITY d "&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;">]>\n<export', 1)
        .replace(b"<title>", b"<title>&d;", 1), "deals.xml"),
    "xml:external_entity": _bytes(lambda raw: raw.replace(
        b"<export", b'<!DOCTYPE export [<!ENTITY x SYSTEM "file:///proc/self/environ">]>\n<export', 1)
        .replace(b"<title>", b"<title>&x;", 1), "deals.xml"),
    # NDJSON
    "ndjson:list_line": _lines(_at(4, lambda line: [line, b"[1, 2]\n"]), "activities.ndjson"),
    "ndjson:scalar_line": _lines(_at(4, lambda line: [line, b"42\n"]), "activities.ndjson"),
    "ndjson:string_line": _lines(_at(4, lambda line: [line, b'"call"\n']), "activities.ndjson"),
    "ndjson:null_line": _lines(_at(4, lambda line: [line, b"null\n"]), "activities.ndjson"),
    "ndjson:broken_line": _lines(_at(4, lambda line: [line, b'{"activity_id": 1,\n']), "activities.ndjson"),
    "ndjson:whole_array": _bytes(lambda raw: b"[" + b",".join(raw.splitlines()) + b"]", "activities.ndjson"),
    # columns deleted, files gone
    "deleted_column:contacts.email": _drop_csv_column("contacts.csv", b"email", b",", "utf-8-sig"),
    "deleted_column:companies.nip": _drop_csv_column("companies.csv", b"nip", b";", "cp1250"),
    "deleted_column:contacts.id": _drop_csv_column("contacts.csv", b"contact_id", b",", "utf-8-sig"),
    "deleted_column:activities.meta": _ndjson_drop_key("meta"),
    "deleted_column:deals.stage": _bytes(lambda raw: re.sub(rb' stage="[^"]*"', b"", raw), "deals.xml"),
    "missing_file:contacts.csv": lambda folder: (folder / "contacts.csv").unlink(),
    "folder_not_file:deals.xml": _replace_with_folder("deals.xml"),
    "xlsx:text_file": _bytes(lambda raw: b"user_id,full_name\n7,Anna\n", "owners.xlsx"),
    "xlsx:zip_without_workbook": _bytes(lambda raw: raw[:30] + b"\x00" * 64 + raw[94:], "owners.xlsx"),
    "duplicate_header:contacts.csv": _lines(_at(0, lambda line: line.replace(b"city", b"email")), "contacts.csv"),
    "symlink:contacts.csv": lambda folder: ((folder / "contacts.csv").unlink(),
                                            (folder / "contacts.csv").symlink_to("/proc/self/environ")),
}


def copy_data(source: Path, target: Path) -> None:
    shutil.copytree(source, target, ignore=shutil.ignore_patterns("truth"))
