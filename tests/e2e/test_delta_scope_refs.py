"""Rows whose reference resolves to nothing, carried by a scoped delta (``sqlgen.scope_refs``): the same target as a
delta over the whole export, row for row, when their parents change around them.

The example gets six activities that refer to deals (``on_missing: reject``) in the first export. The second export
(``test_delta``'s, plus the edits below) moves every deal and contact row, and:

* deal 900064 is rejected in both exports, unchanged, and its row number shifts by one (900113 too, but one deal
  before it is gone and one is new: its row number is the same);
* deal 900004 is rejected in both, for another value (the reason's detail changes);
* deal 900071 is rejected, then gone from the export (rejected, then missing);
* deal 900136 is rejected, then valid (its company fixed): the activity must resolve, and be loaded;
* deal 900003 is valid, then rejected: its record is kept (``delta``'s default), its old id maps to it as
  ``kept``, and its activities are computed again and point at it;
* contacts (deals' and activities' ``contact_id``, ``on_missing: null``): 50081 rejected in both (moved),
  50110 rejected for another value, 50107 rejected then valid, 50033 valid then rejected (its record kept).

A carry that copied last run's ledger rows would name the old row numbers and reasons; one that ignored the
parents' new mappings would leave the fixed references empty and the broken ones set.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from compiler import api, scope
from tests.e2e.test_delta import SPEC, options, query, second_export, target
from tests.e2e.test_delta_scope import tables
from tests.helpers import EXAMPLE

pytestmark = pytest.mark.slow
DEALS = {"3100001": "900113", "3100002": "900004", "3100003": "900071", "3100004": "900136", "3100005": "900003",
         "3100006": "900064"}
#: activities of a valid deal whose contact (``on_missing: null``) changes around them
CONTACTS = {"3100011": 50081, "3100012": 50110, "3100013": 50107, "3100014": 50033}


def _activities(project: Path) -> None:
    path = project / "legacy_crm" / "data" / "activities.ndjson"
    rows = [(a, d, 50001) for a, d in DEALS.items()] + [(a, 900002, c) for a, c in CONTACTS.items()]
    added = "".join(f'{{"activity_id": {a}, "type": "call", "deal_id": {d}, "contact_id": {c}, '
                    f'"occurred_at": "2025-06-01T10:00:00", "duration_min": 5, "notes": "n", "meta": {{"tags": []}}}}\n'
                    for a, d, c in rows)
    path.write_text(path.read_text("utf-8") + added, "utf-8")


def _replace(path: Path, edits: list[tuple[str, str]]) -> None:
    text = path.read_text("utf-8")
    for old, new in edits:
        assert text.count(old) == 1, old
        text = text.replace(old, new)
    path.write_text(text, "utf-8")


def _parents_change(project: Path) -> None:
    data = project / "legacy_crm" / "data"
    deals = data / "deals.xml"
    text = deals.read_text("utf-8")
    start = text.index('    <deal id="900071"')
    text = text[:start] + text[text.index("</deal>\n", start) + len("</deal>\n"):]  # 900071 gone
    deals.write_text(text, "utf-8")
    _replace(deals, [
        ("  <deals>\n", '  <deals>\n    <deal id="900999" stage="nowa">\n      <title>Nowa</title>\n'
                      '      <amount currency="PLN">100.00</amount>\n      <company_id>1050</company_id>\n'
                      '      <contact_id>50033</contact_id>\n      <close_date>2025-03-03</close_date>\n'
                      '      <owner_id>112</owner_id>\n    </deal>\n'),  # every deal row moves down one
        ("12,5 tys.", "13,5 tys."),  # 900004: rejected for another value
        ("<company_id>99048212</company_id>", "<company_id>1050</company_id>"),  # 900136: valid now
        ('<amount currency="PLN">215.08</amount>', '<amount currency="PLN">brak</amount>'),  # 900003: rejected now
    ])
    _replace(data / "contacts.csv", [
        ("zoe.thomas@example.fr,07 43 35 92 28,", "zoe.thomas@example.fr,+33 7 43 35 92 28,"),  # 50107 valid now
        ("ievhen.lysenko@i.ua,095 329 20 51,", "ievhen.lysenko@i.ua,095 329 20 52,"),  # 50110 another value
        ("malgorzata_wozniak@interia.pl,+48 586 942 032,", "malgorzata_wozniak@interia.pl,0033727505194,"),  # 50033
    ])


@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    """The first export run once; the second run with the scope and without it, each into a copy."""
    base = tmp_path_factory.mktemp("carry")
    project = base / "first"
    shutil.copytree(EXAMPLE.parent, project / "legacy_crm", ignore=shutil.ignore_patterns("build"))
    _activities(project)
    api.compile_spec_files(project / SPEC, options(project))
    api.run_spec(project / SPEC, options(project))
    second_export(project)
    _parents_change(project)
    out = {}
    for name in ("scoped", "whole"):
        shutil.copytree(project, base / name)
        with pytest.MonkeyPatch.context() as mp:
            mp.setattr(scope, "LIMIT", 1.0)
            if name == "whole":
                mp.setenv(scope.SWITCH, "off")
            out[name] = api.run_spec(base / name / SPEC, options(base / name))
    return project, base / "scoped", base / "whole", out["scoped"], out["whole"]


def _rejects(project: Path, entity: str) -> dict[str, str]:
    return dict(query(project, "SELECT source_key, array_to_string([r.detail for r in reasons], '; ') FROM _ferry.rejects "
                               "WHERE entity = ?", [entity]))


def _unresolved(project: Path, entity: str, reference: str) -> dict[str, str]:
    return dict(query(project, "SELECT source_key, detail FROM _ferry.unresolved_references WHERE entity = ? AND "
                               "reference = ?", [entity, reference]))


def _deal(project: Path, activity: str, deal: str) -> str | None:
    """The crosswalk status of the deal an activity's record points at, when it is ``deal``'s record."""
    rows = query(project, "SELECT x.status FROM activity a JOIN _ferry.activity_crosswalk c ON c.id = a.id "
                          "JOIN _ferry.deal_crosswalk x ON x.id = a.deal_id WHERE c.source_key = ? AND x.source_key = ?",
                 [activity, deal])
    return rows[0][0] if rows else None


def test_carried_rows_give_the_same_target_as_a_whole_delta_row_for_row(runs):
    _, scoped, whole, run, other = runs
    a, b = tables(target(scoped)), tables(target(whole))
    assert a.keys() == b.keys()
    for name in a:
        assert a[name] == b[name], name
    assert run.entities == other.entities and run.delta["entities"] == other.delta["entities"]
    assert run.unresolved_references == other.unresolved_references
    s = run.delta["scope"]
    assert s["activity"]["scoped"] and s["deal"]["scoped"]
    assert s["activity"]["carried"] > 0 and s["deal"]["carried"] > 0


def test_a_parent_rejected_in_both_exports_is_named_at_its_row_in_this_one(runs):
    first, scoped, _, _, _ = runs
    assert _rejects(first, "activity")["3100001"] == "deal row 113 was rejected: invalid_decimal amount=do ustalenia"
    assert _rejects(scoped, "activity")["3100001"] == "deal row 113 was rejected: invalid_decimal amount=do ustalenia"
    assert _rejects(first, "activity")["3100006"].startswith("deal row 64 was rejected: unresolved_reference company_id")
    assert _rejects(scoped, "activity")["3100006"].startswith("deal row 65 was rejected: unresolved_reference company_id")
    assert "contact row 81 was rejected" in _unresolved(first, "activity", "contact_id")["3100011"]
    assert "contact row 83 was rejected" in _unresolved(scoped, "activity", "contact_id")["3100011"]


def test_a_parent_rejected_for_another_reason_is_named_with_its_reason_now(runs):
    first, scoped, _, _, _ = runs
    assert _rejects(first, "activity")["3100002"] == "deal row 4 was rejected: invalid_decimal amount=12,5 tys."
    assert _rejects(scoped, "activity")["3100002"] == "deal row 5 was rejected: invalid_decimal amount=13,5 tys."
    assert "095 329 20 51" in _unresolved(first, "activity", "contact_id")["3100012"]
    assert "095 329 20 52" in _unresolved(scoped, "activity", "contact_id")["3100012"]


def test_a_parent_gone_from_the_export_is_missing(runs):
    first, scoped, _, _, _ = runs
    assert _rejects(first, "activity")["3100003"].startswith("deal row 71 was rejected: unresolved_reference")
    assert _rejects(scoped, "activity")["3100003"] == "no deal has this id in source 'deals'"


def test_a_parent_valid_now_resolves_and_a_parent_rejected_now_rejects(runs):
    first, scoped, _, _, _ = runs
    assert "3100004" in _rejects(first, "activity") and "3100004" not in _rejects(scoped, "activity")
    assert _deal(scoped, "3100004", "900136") == "loaded"
    assert "3100005" not in _rejects(first, "activity") and "3100005" not in _rejects(scoped, "activity")
    assert query(scoped, "SELECT [r.value for r in reasons] FROM _ferry.rejects WHERE source_key = '900003'") == [(["brak"],)]
    assert _deal(scoped, "3100005", "900003") == "kept"
    # contacts: 50107 valid now (its deals' and activities' references set), 50033 rejected now (emptied, recorded)
    assert "3100013" in _unresolved(first, "activity", "contact_id")
    assert "3100013" not in _unresolved(scoped, "activity", "contact_id")
    assert "3100014" not in _unresolved(first, "activity", "contact_id")
    assert "3100014" not in _unresolved(scoped, "activity", "contact_id")  # 50033 rejected now: its record kept
    assert query(scoped, "SELECT status FROM _ferry.contact_crosswalk WHERE source_key = '50033'") == [("kept",)]
    assert query(scoped, "SELECT [r.rule for r in reasons] FROM _ferry.rejects WHERE source_key = '50033'") == [
        (["invalid_phone"],)]
