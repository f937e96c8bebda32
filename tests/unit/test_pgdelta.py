"""What ``ferry push --to postgres`` prints after a delta (``targets.postgres.delta.summary``)."""

from compiler.targets.postgres.delta import summary


def counts(mode: str, conflicts: int = 0, gone: dict | None = None) -> dict:
    return {"mode": mode, "insert": 1, "update": 4, "unchanged": 224, "delete": 1, "conflicts": conflicts,
            "gone": gone or {}}


def test_a_delta_push_lists_each_entity_and_where_its_conflicts_and_gone_records_are():
    lines = summary({"entities": {"contact": counts("delta", 2, {"merged": 1, "keep": 3}),
                                  "owner": counts("replace")}}, "crm")
    assert lines == ["delta contact: +1 ~4 =224 -1, 2 conflicts, gone: 3 keep, 1 merged",
                     "conflicts (edited on the server, changed in the source), with both values: crm._ferry_conflicts",
                     "records gone from the export, under their entity's `delta: {gone: ...}`: crm._ferry_gone"]


def test_a_replacing_push_prints_no_delta():
    assert summary({"entities": {"owner": counts("replace")}}, "crm") == [] == summary(None, "crm")
