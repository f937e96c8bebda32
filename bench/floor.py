"""The floor: the bench export loaded into tables of a fresh DuckDB file the plainest way.

    python bench/floor.py TARGET.duckdb DATA_DIR [--no-deals]

``read_csv`` for the contacts; the cp1250 companies file transcoded to UTF-8 in a
streaming Python step first (DuckDB cannot decode cp1250 itself, so any tool
pays this); ``read_json`` for the NDJSON activities; the XML deals flattened to
CSV with pyexpat callbacks (the fastest standard-library route), then
``read_csv``. The small xlsx sheet is left out. Scratch files go beside TARGET.
With ``--no-deals``, the three files of the hand-written script only (the floor of
the same-cleaning figure).

``transcode_cp1250`` is shared with the hand-written DuckDB reference, and
``deals_to_csv`` is the plain pyexpat loop the XML figure is compared with.
"""

from __future__ import annotations

import csv
import shutil
import sys
from pathlib import Path
from xml.parsers import expat

import duckdb

#: The deal columns, as ferry's XML reader names them (attributes by name, child text by tag).
DEAL_COLUMNS = ["id", "stage", "title", "amount", "amount.currency", "company_id", "contact_id", "close_date",
                "owner_id"]


def transcode_cp1250(source: Path, target: Path) -> Path:
    """``source`` (cp1250) rewritten as UTF-8 at ``target``, streamed in 1 MiB blocks."""
    with open(source, encoding="cp1250", newline="") as src, open(target, "w", encoding="utf-8", newline="") as dst:
        shutil.copyfileobj(src, dst, 1 << 20)
    return target


def deals_to_csv(xml: Path, target: Path) -> int:
    """Each <deal> of ``xml`` as one CSV row of ``DEAL_COLUMNS`` at ``target``; the number of deals."""
    count = 0
    with open(target, "w", encoding="utf-8", newline="") as out:
        writer = csv.writer(out)
        writer.writerow(DEAL_COLUMNS)
        record: dict[str, str] | None = None
        text: list[str] = []

        def start(name: str, attrs: dict[str, str]) -> None:
            nonlocal record, text
            if name == "deal":
                record = dict(attrs)
            elif record is not None:
                text = []
                for key, value in attrs.items():
                    record[f"{name}.{key}"] = value

        def chars(data: str) -> None:
            text.append(data)

        def end(name: str) -> None:
            nonlocal record, count
            if name == "deal":
                writer.writerow([record.get(c) for c in DEAL_COLUMNS])
                record = None
                count += 1
            elif record is not None:
                record[name] = "".join(text)

        parser = expat.ParserCreate()
        parser.buffer_text = True
        parser.StartElementHandler, parser.EndElementHandler, parser.CharacterDataHandler = start, end, chars
        with open(xml, "rb") as fh:
            parser.ParseFile(fh)
    return count


def load_floor(target: Path, data: Path, with_deals: bool = True) -> None:
    """The files into tables companies, contacts, activities (and deals) of a new DuckDB file."""
    companies = transcode_cp1250(data / "companies.csv", target.with_name(target.name + ".companies.csv"))
    deals = target.with_name(target.name + ".deals.csv")
    if with_deals:
        deals_to_csv(data / "deals.xml", deals)
    with duckdb.connect(str(target)) as con:
        con.execute("CREATE TABLE companies AS SELECT * FROM read_csv(?, delim=';', header=true, all_varchar=true)",
                    [str(companies)])
        con.execute("CREATE TABLE contacts AS SELECT * FROM read_csv(?, delim=',', header=true, all_varchar=true)",
                    [str(data / "contacts.csv")])
        con.execute("CREATE TABLE activities AS SELECT * FROM read_json(?, format='newline_delimited')",
                    [str(data / "activities.ndjson")])
        if with_deals:
            con.execute("CREATE TABLE deals AS SELECT * FROM read_csv(?, header=true, all_varchar=true)", [str(deals)])


if __name__ == "__main__":
    load_floor(Path(sys.argv[1]), Path(sys.argv[2]), with_deals="--no-deals" not in sys.argv[3:])
