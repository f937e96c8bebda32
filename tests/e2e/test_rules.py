"""Validation rules and checks end to end: a failing row is rejected with every reason."""

from __future__ import annotations

import duckdb
import pytest

from compiler import api

pytestmark = pytest.mark.slow

SPEC = """\
version: 1
name: rules
sources:
  people: {path: people.csv, id: id, options: {delimiter: ";"}}
entities:
  person:
    source: people
    fields:
      email: {from: email, transforms: [trim, lower, blank_as_null], rules: [required, unique, {regex: '[^@ ]+@[^@ ]+'}]}
      tier: {from: tier, rules: [{one_of: [gold, silver]}]}
      label: {from: [tier, email], join: " / ", transforms: [title]}
      age: {from: age, type: integer, rules: [{min: 18}, {max: 120}]}
      joined: {from: joined, type: date, transforms: [{date: ["%d.%m.%Y"]}], rules: [required, {min: "2000-01-01"}]}
    checks:
      adult_gold: "tier <> 'gold' OR age >= 21"
target: {path: out.duckdb}
"""

ROWS = """\
id;email;tier;age;joined
1;ann@example.pl;gold;30;01.02.2010
2; ANN@example.pl ;silver;40;01.02.2010
3;;bronze;17;01.02.1999
4;not-an-email;gold;19;31.02.2010
5;bob@example.pl;silver;abc;
"""


def test_every_failing_rule_is_a_reason(tmp_path):
    (tmp_path / "people.csv").write_text(ROWS, encoding="utf-8")
    (tmp_path / "rules.yaml").write_text(SPEC, encoding="utf-8")
    options = api.Options(out=tmp_path / "generated")
    api.compile_spec_files(tmp_path / "rules.yaml", options)
    manifest = api.run_spec(tmp_path / "rules.yaml", options)
    (counts,) = manifest.entities
    assert (counts.read, counts.loaded, counts.rejected) == (5, 1, 4)
    con = duckdb.connect(str(tmp_path / "out.duckdb"), read_only=True)
    rejects = dict(con.execute("SELECT source_key, [r.rule || '/' || coalesce(r.field, '') || '=' || "
                               "coalesce(r.value, '') for r in reasons] FROM _ferry.rejects").fetchall())
    assert rejects == {
        "2": ["unique/email=ann@example.pl"],
        "3": ["required/email=", "one_of/tier=bronze", "min/age=17", "min/joined=1999-02-01"],
        # The date a transform rejected is not also reported as missing (required). Reasons come
        # field by field, in the spec's order, then the entity's checks.
        "4": ["regex/email=not-an-email", "invalid_date/joined=31.02.2010", "adult_gold/="],
        "5": ["invalid_integer/age=abc", "required/joined="],
    }
    assert con.execute("SELECT email, label FROM person ORDER BY email").fetchall() == [
        ("ann@example.pl", "Gold / Ann@example.pl")]
