"""Shared test helpers: case files, temporary projects, and the example spec."""

from __future__ import annotations

import os
import shutil
from datetime import datetime
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]
CASES = ROOT / "tests" / "cases"
EXAMPLE = ROOT / "specs" / "legacy_crm" / "legacy_crm.yaml"
UPDATE_GOLDEN = os.environ.get("FERRY_UPDATE_GOLDEN") == "1"


def load_cases(family: str) -> dict[str, dict]:
    """Named cases of one check family: ``{name: {spec: str, fail: [[code, line, col], ...]}}``."""
    return yaml.safe_load((CASES / "checks" / f"{family}.yml").read_text("utf-8"))


def case_families() -> list[str]:
    return sorted(p.stem for p in (CASES / "checks").glob("*.yml"))


#: The workbook ``project_with_data`` writes as data/owners.xlsx: a title row, a
#: blank row, the header on row 3, then typed cells (dates, booleans, numbers).
OWNERS_SHEET = (
    ("Sales team export", None, None, None, None),
    (None, None, None, None, None),
    ("user_id", "full_name", "hired", "active", "quota"),
    (7, "Anna Nowak", datetime(2019, 3, 1), True, 125000.0),
    (8, "Jürgen Groß", datetime(2021, 11, 15, 9, 30), False, 99999.5),
    (None, None, None, None, None),
    ("u9", "Олена Коваленко", None, None, None),
)


def write_owners_xlsx(path: Path) -> None:
    import openpyxl

    book = openpyxl.Workbook()
    book.active.title = "Notes"
    book.active.append(("this sheet is not the data",))
    sheet = book.create_sheet("Users")
    for row in OWNERS_SHEET:
        sheet.append(row)
    book.save(path)


def project_with_data(tmp_path: Path) -> Path:
    """A folder holding the small case data files under data/, as specs expect."""
    shutil.copytree(CASES / "data", tmp_path / "data")
    write_owners_xlsx(tmp_path / "data" / "owners.xlsx")
    return tmp_path


def compiled_example_copy(folder: Path, compiled: Path, ignore: tuple[str, ...] = ("build",)) -> Path:
    """The example copied to ``folder/p`` (without ``ignore``) and ``compiled`` (the ``compiled_example``
    fixture) to ``folder/generated``; the spec's path. The same bytes `ferry compile` writes there: generated
    files name the spec by its path relative to generated/'s parent, ``p/legacy_crm.yaml`` in both places."""
    shutil.copytree(EXAMPLE.parent, folder / "p", ignore=shutil.ignore_patterns(*ignore))
    shutil.copytree(compiled, folder / "generated")
    return folder / "p" / EXAMPLE.name
