"""Broken-spec cases: every named case in tests/cases/checks/*.yml gives exactly its (code, line, col)."""

from __future__ import annotations

import pytest

from compiler import api
from compiler.errors import FerryError
from compiler.validate.checks import CODES
from tests.helpers import case_families, load_cases, project_with_data

CASES = [(family, name, case) for family in case_families() for name, case in load_cases(family).items()]


def diagnostics_for(tmp_path, spec_text: str) -> tuple[list[tuple[str, int, int]], str]:
    """The (code, line, col) of every diagnostic, and their text."""
    project = project_with_data(tmp_path)
    path = project / "spec.yaml"
    path.write_text(spec_text, encoding="utf-8")
    try:
        api.validate_spec(path)
    except FerryError as exc:
        for d in exc.diagnostics:  # every message is one located line
            assert d.span is not None and "\n" not in d.format()
        return sorted(d.check_tuple() for d in exc.diagnostics), "\n".join(d.format() for d in exc.diagnostics)
    return [], ""


@pytest.mark.parametrize("family,name,case", CASES, ids=[f"{f}:{n}" for f, n, _ in CASES])
def test_case(tmp_path, family, name, case):
    """``fail``: the (code, line, col) triples; ``says``: words the messages hold (a line in a data file)."""
    expected = sorted(tuple(x) for x in case.get("fail", []))
    found, text = diagnostics_for(tmp_path, case["spec"])
    assert found == expected
    assert [w for w in case.get("says", []) if w not in text] == []


def test_every_code_has_failing_and_passing_cases():
    failing = {code for _, _, case in CASES for code, _, _ in case.get("fail", [])}
    families_with_pass = {family for family, _, case in CASES if not case.get("fail")}
    semantic = set(CODES)
    spec_level = {"F001", "F002", "F101", "F102", "F103", "F104"}
    assert semantic | spec_level <= failing, sorted((semantic | spec_level) - failing)
    assert families_with_pass == set(case_families())


def test_volatile_functions_are_duckdbs():
    """The written-out list of volatile functions (validate.bind) is the installed DuckDB's."""
    import duckdb

    from compiler.validate.bind import VOLATILE_FUNCTIONS

    rows = duckdb.connect().execute("SELECT DISTINCT lower(function_name) FROM duckdb_functions() "
                                    "WHERE stability = 'VOLATILE'").fetchall()
    assert VOLATILE_FUNCTIONS == frozenset(name for (name,) in rows)


def test_phone_regions_are_phonenumbers():
    """The written-out phone regions (F410, compiler.phoneregions) are the installed phonenumbers'."""
    import phonenumbers

    from compiler.phoneregions import REGIONS

    assert REGIONS == phonenumbers.SUPPORTED_REGIONS
