"""Rewrite an export's files record by record, keeping each file's format byte for byte.

In:  a source file as the example's exports write it (``bench/generate.py``): a CSV in its own
     encoding, delimiter and line ending (a UTF-8 byte-order mark kept), the deals XML
     (``<export><deals><deal id=".." stage="..">`` with one child element per column, the amount's
     currency an attribute), NDJSON, or the owners workbook (a title row, a blank row, the header).
Out: the same file with some records dropped, some changed and some appended (``rewrite``); every
     record left alone keeps its bytes, so a row hash of it does not change.

Records are dicts named as ferry names the source's columns (``amount.currency`` for the XML
attribute); the XML and NDJSON ones carry their text as read, written back unless changed. A
change is a dict, so a changed record is written the way the export writes one (the round trip
of an untouched file gives the same bytes: ``tests/e2e/test_cutover_fixture.py`` checks it).
Streaming: a 1M-row file is never held in memory (the workbook, a few hundred rows, is).
"""

from __future__ import annotations

import csv
import io
import json
import re
import zipfile
from collections.abc import Callable, Iterable, Iterator
from datetime import datetime
from pathlib import Path
from typing import Any
from xml.etree import ElementTree
from xml.sax.saxutils import escape, quoteattr

#: decide(record) -> None (the record is gone), the record itself (unchanged) or a new dict (changed).
Decide = Callable[[dict[str, Any]], "dict[str, Any] | None"]
#: The key a record's text as read sits under (XML, NDJSON): written back while the record is unchanged.
RAW = "\0raw"

# ----------------------------------------------------------------------------------------------
# CSV


def _csv_layout(path: Path, encoding: str) -> tuple[str, str]:
    """(encoding to write with, line terminator): a UTF-8 BOM and CRLF line ends are kept."""
    with path.open("rb") as fh:
        head = fh.read(65536)
    if encoding.replace("_", "-").lower() in ("utf-8", "utf8") and head.startswith(b"\xef\xbb\xbf"):
        encoding = "utf-8-sig"
    return encoding, "\r\n" if b"\r\n" in head.split(b"\n", 1)[0] + b"\n" else "\n"


def csv_records(path: Path, encoding: str = "utf-8", delimiter: str = ",") -> Iterator[dict[str, str]]:
    encoding, _ = _csv_layout(path, encoding)
    with path.open(encoding=encoding, newline="") as fh:
        rows = csv.reader(fh, delimiter=delimiter)
        header = next(rows)
        for row in rows:
            yield dict(zip(header, row))


def _rewrite_csv(src: Path, dst: Path, decide: Decide, appended: Iterable[dict], options: dict) -> None:
    encoding, eol = _csv_layout(src, options.get("encoding", "utf-8"))
    delimiter = options.get("delimiter", ",")
    with src.open(encoding=encoding, newline="") as fin, \
            dst.open("w", encoding=encoding, newline="", buffering=1 << 20) as fout:
        rows = csv.reader(fin, delimiter=delimiter)
        out = csv.writer(fout, delimiter=delimiter, lineterminator=eol, quoting=csv.QUOTE_MINIMAL)
        header = next(rows)
        out.writerow(header)
        for row in rows:
            record = decide(dict(zip(header, row)))
            if record is not None:
                out.writerow([record.get(h, "") for h in header])
        for record in appended:
            out.writerow([record.get(h, "") for h in header])


# ----------------------------------------------------------------------------------------------
# The deals XML: one <deal> element per record, indented as the export indents it

_RECORD_OPEN = re.compile(r"^\s*<deal[\s>]")
_RECORD_CLOSE = "</deal>"
#: Children in the export's order; the attribute of a child becomes the column ``child.attribute``.
DEAL_CHILDREN = ("title", "amount", "company_id", "contact_id", "close_date", "owner_id")
DEAL_ATTRIBUTES = ("id", "stage")


def _xml_blocks(path: Path) -> Iterator[tuple[str, str]]:
    """("head" | "record" | "tail", text) in file order; a record is its lines from <deal to </deal>."""
    with path.open(encoding="utf-8", newline="") as fh:
        block: list[str] = []
        seen_record = False
        for line in fh:
            if block:
                block.append(line)
                if _RECORD_CLOSE in line:
                    yield "record", "".join(block)
                    block = []
            elif _RECORD_OPEN.match(line):
                seen_record = True
                block = [line]
                if _RECORD_CLOSE in line or line.rstrip().endswith("/>"):
                    yield "record", line
                    block = []
            else:
                yield ("tail" if seen_record else "head"), line


def _deal_record(text: str) -> dict[str, Any]:
    element = ElementTree.fromstring(text)
    record: dict[str, Any] = dict(element.attrib)
    for child in element:
        if child.text is not None:
            record[child.tag] = child.text
        for name, value in child.attrib.items():
            record[f"{child.tag}.{name}"] = value
    record[RAW] = text
    return record


def deal_element(record: dict[str, Any]) -> str:
    """One <deal> as the export writes it: attributes id and stage, then the children that have a value."""
    attrs = "".join(f" {a}={quoteattr(str(record[a]))}" for a in DEAL_ATTRIBUTES if record.get(a, "") != "")
    out = [f"    <deal{attrs}>\n"]
    for tag in DEAL_CHILDREN:
        sub = "".join(f" {k.split('.', 1)[1]}={quoteattr(str(v))}" for k, v in record.items()
                      if k.startswith(f"{tag}.") and v != "")
        text = record.get(tag, "")
        if text != "":
            out.append(f"      <{tag}{sub}>{escape(str(text))}</{tag}>\n")
        elif sub:
            out.append(f"      <{tag}{sub}/>\n")
    out.append("    </deal>\n")
    return "".join(out)


def xml_records(path: Path) -> Iterator[dict[str, Any]]:
    for kind, text in _xml_blocks(path):
        if kind == "record":
            yield _deal_record(text)


def _rewrite_xml(src: Path, dst: Path, decide: Decide, appended: Iterable[dict], options: dict) -> None:
    with dst.open("w", encoding="utf-8", newline="", buffering=1 << 20) as out:
        tail_started = False
        for kind, text in _xml_blocks(src):
            if kind == "tail" and not tail_started:
                tail_started = True
                out.writelines(deal_element(r) for r in appended)
            if kind != "record":
                out.write(text)
                continue
            record = decide(_deal_record(text))
            if record is not None:
                out.write(record[RAW] if RAW in record else deal_element(record))


# ----------------------------------------------------------------------------------------------
# NDJSON


def ndjson_records(path: Path) -> Iterator[dict[str, Any]]:
    with path.open(encoding="utf-8", newline="") as fh:
        for line in fh:
            if line.strip():
                record = json.loads(line)
                record[RAW] = line
                yield record


def ndjson_line(record: dict[str, Any]) -> str:
    return json.dumps({k: v for k, v in record.items() if k != RAW}, ensure_ascii=False) + "\n"


def _rewrite_ndjson(src: Path, dst: Path, decide: Decide, appended: Iterable[dict], options: dict) -> None:
    with dst.open("w", encoding="utf-8", newline="", buffering=1 << 20) as out:
        for record in ndjson_records(src):
            record = decide(record)
            if record is not None:
                out.write(record[RAW] if RAW in record else ndjson_line(record))
        out.writelines(ndjson_line(r) for r in appended)


# ----------------------------------------------------------------------------------------------
# The owners workbook (openpyxl, as bench/generate.py writes it)


def xlsx_records(path: Path, sheet: str, header_row: int = 1) -> list[dict[str, Any]]:
    import openpyxl

    book = openpyxl.load_workbook(path)
    rows = list(book[sheet].iter_rows(min_row=header_row, values_only=True))
    header = [h for h in rows[0] if h is not None]
    return [dict(zip(header, row)) for row in rows[1:] if any(v is not None for v in row)]


def _rewrite_xlsx(src: Path, dst: Path, decide: Decide, appended: Iterable[dict], options: dict) -> None:
    """The sheet's rows above the header kept, data rows rewritten with the first data row's number
    formats; saved with ``options["exported_at"]`` as every time stamp, so a seed gives the same bytes."""
    import openpyxl
    from openpyxl.writer.excel import ExcelWriter

    sheet, header_row = options["sheet"], int(options.get("header_row", 1))
    book = openpyxl.load_workbook(src)
    ws = book[sheet]
    header = [c.value for c in ws[header_row]]
    formats = [c.number_format for c in ws[header_row + 1]] if ws.max_row > header_row else []
    records = [dict(zip(header, row)) for row in ws.iter_rows(min_row=header_row + 1, values_only=True)
               if any(v is not None for v in row)]
    kept = [r for r in (decide(record) for record in records) if r is not None] + list(appended)
    ws.delete_rows(header_row + 1, ws.max_row)
    for record in kept:
        ws.append([record.get(h) for h in header])
        for cell, number_format in zip(ws[ws.max_row], formats):
            cell.number_format = number_format
    stamp: datetime = options["exported_at"]
    book.properties.created = book.properties.modified = stamp
    buf = io.BytesIO()
    ExcelWriter(book, zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED)).save()
    with zipfile.ZipFile(buf) as zin, zipfile.ZipFile(dst, "w", zipfile.ZIP_DEFLATED) as zout:
        for entry in zin.infolist():
            fixed = zipfile.ZipInfo(entry.filename, date_time=stamp.timetuple()[:6])
            fixed.compress_type = zipfile.ZIP_DEFLATED
            fixed.external_attr = 0o600 << 16
            zout.writestr(fixed, zin.read(entry))


# ----------------------------------------------------------------------------------------------

#: File suffix -> rewriter(src, dst, decide, appended, options).
REWRITERS = {".csv": _rewrite_csv, ".xml": _rewrite_xml, ".ndjson": _rewrite_ndjson, ".xlsx": _rewrite_xlsx}


def records(path: Path, options: dict | None = None) -> Iterator[dict[str, Any]]:
    """A source file's records as dicts (streamed, except the workbook)."""
    options = options or {}
    if path.suffix == ".csv":
        return csv_records(path, options.get("encoding", "utf-8"), options.get("delimiter", ","))
    if path.suffix == ".xml":
        return xml_records(path)
    if path.suffix == ".ndjson":
        return ndjson_records(path)
    return iter(xlsx_records(path, options["sheet"], int(options.get("header_row", 1))))


def rewrite(src: Path, dst: Path, decide: Decide, appended: Iterable[dict] = (), options: dict | None = None) -> None:
    """Write ``dst``: ``src``'s records through ``decide``, then ``appended`` (the new ones), in its format."""
    if src.resolve() == dst.resolve():
        raise ValueError(f"refusing to rewrite {src} in place")
    REWRITERS[src.suffix](src, dst, decide, appended, options or {})
