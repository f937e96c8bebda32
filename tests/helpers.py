"""Shared test helpers: case files, temporary projects, and the example spec."""

from __future__ import annotations

import os
import shutil
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


def project_with_data(tmp_path: Path) -> Path:
    """A folder holding the small case data files under data/, as specs expect."""
    shutil.copytree(CASES / "data", tmp_path / "data")
    return tmp_path
