"""Runs the hand-written DuckDB reference (``reference_duckdb.sql``) on a bench export.

    python bench/reference_duckdb.py TARGET.duckdb DATA_DIR

The cp1250 companies file is transcoded to UTF-8 beside TARGET the way the floor
does it (``floor.transcode_cp1250``); then the script's statements run in one
connection on a new DuckDB file with the three paths as variables.
"""

from __future__ import annotations

import sys
from pathlib import Path

import duckdb

sys.path.insert(0, str(Path(__file__).resolve().parent))
from floor import transcode_cp1250  # noqa: E402

SCRIPT = Path(__file__).with_suffix(".sql")


def run_reference(target: Path, data: Path) -> None:
    """TARGET gets tables company, contact and activity."""
    companies = transcode_cp1250(data / "companies.csv", target.with_name(target.name + ".companies.csv"))
    with duckdb.connect(str(target)) as con:
        con.execute("SET VARIABLE companies = ?", [str(companies)])
        con.execute("SET VARIABLE contacts = ?", [str(data / "contacts.csv")])
        con.execute("SET VARIABLE activities = ?", [str(data / "activities.ndjson")])
        con.execute(SCRIPT.read_text("utf-8"))


if __name__ == "__main__":
    run_reference(Path(sys.argv[1]), Path(sys.argv[2]))
