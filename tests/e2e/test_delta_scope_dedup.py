"""A scoped delta of an entity that dedups (``compiler.scope_dedup``): the same target as a whole delta,
row for row, in the cases a scope of the changed rows alone gets wrong.

The dedup fixture (tests/e2e/fixtures/dedup: exact keys on e-mail and phone + last name, fuzzy names
blocked by city and by the last name's first letter with ``max_block: 2``, survivor the newest, merged
fields) runs once; each case then edits its people and runs the second export three times into copies
of that target: scoped, whole (``FERRY_DELTA_SCOPE=off``) and with a naive scope (the changed rows
alone: the closure's steps patched out). Scoped must equal whole in every table, the accounting and the
delta counts; the naive scope must not (so each case needs the closure).

Clusters of the first export: {1, 2, 3} (1-2 e-mail, 2-3 phone + last name; 2 survives), {4, 5} (fuzzy,
Gdańsk; 5 survives), 6 and 7 alone, {8, 9} (fuzzy, block "W" of two rows; 9 survives).
"""

from __future__ import annotations

import csv
import io
import shutil
from pathlib import Path
from typing import Callable

import pytest
from sqlglot import exp

from compiler import api, scope, scope_dedup
from compiler.errors import FerryError
from compiler.sqlgen import names
from tests.e2e.test_delta_scope import tables

pytestmark = pytest.mark.slow
FIXTURE = Path(__file__).parent / "fixtures" / "dedup"
Rows = list[dict[str, str]]


def _row(**values: str) -> dict[str, str]:
    columns = ("person_id", "first_name", "last_name", "email", "phone", "city", "updated_at", "origin", "notes")
    return {c: values.get(c, "") for c in columns}


def joins(rows: Rows) -> Rows:
    """A new row joins {1, 2, 3} by e-mail and survives it (newest, the longest notes)."""
    return [*rows, _row(person_id="10", first_name="Anna", last_name="Nowak", email="anna@example.pl",
                        updated_at="2025-05-05", origin="web", notes="Prefers calls after 16:00, VIP")]


def splits(rows: Rows) -> Rows:
    """2, the bridge and survivor of {1, 2, 3}, changes e-mail and phone: three records."""
    return [dict(r, email="anna.n@other.pl", phone="+48 700 000 001") if r["person_id"] == "2" else r for r in rows]


def merges(rows: Rows) -> Rows:
    """6 takes 4's e-mail: {4, 5} and 6 become one cluster."""
    return [dict(r, email="mk@example.pl") if r["person_id"] == "6" else r for r in rows]


def survivor_gone(rows: Rows) -> Rows:
    """2, the survivor and the bridge of {1, 2, 3}, is gone: 1 and 3 are no longer one person."""
    return [r for r in rows if r["person_id"] != "2"]


def block_over(rows: Rows) -> Rows:
    """A third row in block "W" (``max_block: 2``): the block is skipped and {8, 9} falls apart."""
    return [*rows, _row(person_id="11", first_name="Paweł", last_name="Wiśniewski", updated_at="2019-01-01",
                        origin="crm")]


CASES: dict[str, Callable[[Rows], Rows]] = {f.__name__: f for f in (joins, splits, merges, survivor_gone, block_over)}


def _options(project: Path) -> api.Options:
    return api.Options(out=project / "generated", target=project / "target.duckdb")


@pytest.fixture(scope="module")
def first(tmp_path_factory) -> Path:
    project = tmp_path_factory.mktemp("scope_dedup") / "p"
    shutil.copytree(FIXTURE, project)
    api.compile_spec_files(project / "dedup.yaml", _options(project))
    run = api.run_spec(project / "dedup.yaml", _options(project))
    assert run.delta["scope"]["person"]["reason"] == "a first run"
    return project


def _write(project: Path, edit: Callable[[Rows], Rows]) -> None:
    path = project / "data" / "people.csv"
    rows = list(csv.DictReader(io.StringIO(path.read_text("utf-8"))))
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=list(rows[0]), lineterminator="\n")
    writer.writeheader()
    writer.writerows(edit(rows))
    path.write_text(out.getvalue(), "utf-8")


def _nothing(columns: tuple[str, ...], table: exp.Table) -> exp.Select:
    return exp.select(*(names.col(c) for c in columns)).from_(table.copy()).where(exp.false())


def naive(mp: pytest.MonkeyPatch) -> None:
    """The closure's steps patched out: the scope is the rows the hashes put in it, alone."""
    d = scope_dedup.dsql
    mp.setattr(d, "sharing", lambda long, chosen: _nothing(("r",), long))
    mp.setattr(d, "cluster_mates", lambda classes, *a: _nothing((names.ROW,), classes))
    mp.setattr(d, "referrers", lambda h, *a: _nothing((names.ROW,), h))
    mp.setattr(d, "oversized", lambda long, scope_, chosen, fuzzy: _nothing(("rule", "v"), chosen))


def _second(first: Path, where: Path, case: str, how: str) -> api.RunManifest | None:
    """The second export run ``how``; None: the run stopped (a naive scope can break the accounting)."""
    project = where / how
    shutil.copytree(first, project)
    _write(project, CASES[case])
    with pytest.MonkeyPatch.context() as mp:
        if how == "whole":
            mp.setenv(scope.SWITCH, "off")
        else:
            mp.setattr(scope, "LIMIT", 1.0)  # a fixture of nine rows: any scope is a large share
        if how == "naive":
            naive(mp)
        try:
            return api.run_spec(project / "dedup.yaml", _options(project))
        except FerryError as exc:
            if how != "naive":
                raise
            assert exc.diagnostics[0].code == "F601", exc  # the row accounting caught it
            return None


@pytest.mark.parametrize("case", CASES)
def test_a_scoped_dedup_delta_gives_the_whole_delta_and_a_naive_scope_does_not(first, tmp_path, case):
    runs = {how: _second(first, tmp_path, case, how) for how in ("scoped", "whole", "naive")}
    person = runs["scoped"].delta["scope"]["person"]
    assert person["scoped"], person
    assert person["scope"] < person["rows"]  # something was left as it was
    got = {how: tables(tmp_path / how / "target.duckdb") for how in ("scoped", "whole")}
    assert got["scoped"].keys() == got["whole"].keys()
    for name in got["whole"]:
        assert got["scoped"][name] == got["whole"][name], name
    assert runs["scoped"].entities == runs["whole"].entities
    assert runs["scoped"].delta["entities"] == runs["whole"].delta["entities"]
    assert runs["scoped"].dedup == runs["whole"].dedup
    wrong = runs["naive"]  # the changed rows alone: a wrong target, or a run the accounting stops
    assert wrong is None or (wrong.delta["scope"]["person"]["scoped"] and (
        tables(tmp_path / "naive" / "target.duckdb") != got["whole"] or wrong.entities != runs["whole"].entities))


def test_a_second_delta_after_a_scoped_one_is_scoped_and_still_whole_delta_equal(first, tmp_path):
    """What a scoped run stores (values of its scope, the rest kept) serves the next delta."""
    for how in ("scoped", "whole"):
        project = tmp_path / how
        shutil.copytree(first, project)
        with pytest.MonkeyPatch.context() as mp:
            mp.setattr(scope, "LIMIT", 1.0)
            if how == "whole":
                mp.setenv(scope.SWITCH, "off")
            for case in ("joins", "merges"):
                _write(project, CASES[case])
                run = api.run_spec(project / "dedup.yaml", _options(project))
        if how == "scoped":
            assert run.delta["scope"]["person"]["scoped"], run.delta["scope"]["person"]
    a, b = tables(tmp_path / "scoped" / "target.duckdb"), tables(tmp_path / "whole" / "target.duckdb")
    for name in b:
        assert a[name] == b[name], name


@pytest.mark.parametrize("case", ["merges", "survivor_gone"])
def test_survivors_set_in_place_give_the_whole_delta_too(tmp_path_factory, case):
    """Without ``fields`` strategies the step sets survivors in the working rows (``sqlgen.dedup.in_place``)
    and its checked rows are a view of them: the scope's pre-step and capture follow that step too."""
    base = tmp_path_factory.mktemp("in_place")
    project = base / "first"
    shutil.copytree(FIXTURE, project)
    spec = project / "dedup.yaml"
    text = spec.read_text("utf-8")
    spec.write_text("\n".join(line for line in text.split("\n") if not line.strip().startswith("fields: {email")),
                    "utf-8")
    api.compile_spec_files(spec, _options(project))
    api.run_spec(spec, _options(project))
    runs = {how: _second(project, base, case, how) for how in ("scoped", "whole")}
    assert runs["scoped"].delta["scope"]["person"]["scoped"], runs["scoped"].delta["scope"]["person"]
    a, b = (tables(base / how / "target.duckdb") for how in ("scoped", "whole"))
    for name in b:
        assert a[name] == b[name], name
    assert runs["scoped"].entities == runs["whole"].entities
    assert runs["scoped"].delta["entities"] == runs["whole"].delta["entities"]


def test_a_block_over_max_block_the_scope_cuts_is_taken_whole(first, tmp_path):
    """Step 4 of the closure. A third "Piotr Wójcik" (11) puts block "W" over ``max_block: 2``: none of
    8, 9, 11 pair. Then two new rows share e-mails with 8 and 11 and bring them into scope, but not 9:
    the block cut to {8, 11} would pair them (merging two clusters) unless it is taken whole."""
    wojcik = _row(person_id="11", first_name="Piotr", last_name="Wójcik", email="p.wojcik@other.pl",
                  updated_at="2020-01-03", origin="erp")
    news = [_row(person_id="12", first_name="Adam", last_name="Zając", email="piotr@example.pl", updated_at="2024-02-02",
                 origin="web"),
            _row(person_id="13", first_name="Ewa", last_name="Zając", email="p.wojcik@other.pl", updated_at="2024-03-03",
                 origin="web")]
    project = tmp_path / "a"
    shutil.copytree(first, project)
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(scope, "LIMIT", 1.0)
        _write(project, lambda rows: [*rows, wojcik])
        assert api.run_spec(project / "dedup.yaml", _options(project)).delta["scope"]["person"]["scoped"]
    runs, got = {}, {}
    for how in ("scoped", "whole", "uncut"):
        where = tmp_path / how
        shutil.copytree(project, where)
        _write(where, lambda rows: [*rows, *news])
        with pytest.MonkeyPatch.context() as mp:
            mp.setattr(scope, "LIMIT", 1.0)
            if how == "whole":
                mp.setenv(scope.SWITCH, "off")
            if how == "uncut":  # step 4 patched out
                mp.setattr(scope_dedup.dsql, "oversized", lambda long, rows, chosen, big: _nothing(("rule", "v"), chosen))
            runs[how] = api.run_spec(where / "dedup.yaml", _options(where))
        got[how] = tables(where / "target.duckdb")
    assert runs["scoped"].delta["scope"]["person"]["scoped"]
    for name in got["whole"]:
        assert got["scoped"][name] == got["whole"][name], name
    assert runs["scoped"].dedup == runs["whole"].dedup
    assert got["uncut"] != got["whole"]
