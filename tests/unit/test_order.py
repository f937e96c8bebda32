from __future__ import annotations

import pytest

from compiler.dag import find_cycles, toposort
from compiler.load import parse
from compiler.order import LinkStep, LoadStep, StageStep, build_order
from compiler.validate import to_spec

SPEC = """\
version: 1
sources:
  companies: {path: c.csv, id: id}
  contacts: {path: p.csv, id: id}
  deals: {path: d.csv, id: id}
entities:
  deal:
    source: deals
    fields: {title: title}
    references:
      contact_id: {entity: contact, from: contact_id}
      company_id: {entity: company, from: company_id}
  contact:
    source: contacts
    fields: {email: email}
    references:
      company_id: {entity: company, from: company_id}
      reports_to: {entity: contact, from: boss}
      last_deal: {entity: deal, from: last_deal_id, deferred: true}
  company:
    source: companies
    fields: {name: name}
    references:
      parent_id: {entity: company, from: parent}
"""


def test_steps_follow_references_with_second_passes():
    order = build_order(to_spec(parse("s.yaml", SPEC)))
    assert order.steps == (
        StageStep("companies"), LoadStep("company"), LinkStep("company", ("parent_id",)),
        StageStep("contacts"), LoadStep("contact"),
        StageStep("deals"), LoadStep("deal"), LinkStep("contact", ("last_deal", "reports_to")),
    )


def test_order_ignores_key_order_in_yaml():
    a = build_order(to_spec(parse("s.yaml", SPEC)))
    lines = SPEC.splitlines()
    start = lines.index("  company:")
    swapped = "\n".join(lines[:6] + lines[start:] + lines[6:start]) + "\n"
    assert swapped != SPEC
    b = build_order(to_spec(parse("s.yaml", swapped)))
    assert a == b


def test_stated_order_breaks_ties():
    graph = {"a": (), "b": (), "c": ("a",)}
    assert toposort(graph) == ("a", "b", "c")
    assert toposort(graph, prefer=("b", "a", "c")) == ("b", "a", "c")


def test_cycles_are_reported_as_chains():
    assert find_cycles({"a": ["b"], "b": ["c"], "c": ["a"], "d": ["d"]}) == (("a", "b", "c", "a"), ("d", "d"))
    with pytest.raises(ValueError):
        toposort({"a": ["b"], "b": ["a"]})
