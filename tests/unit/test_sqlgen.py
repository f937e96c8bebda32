"""Compiled SQL: spec values only as quoted identifiers and literals; deterministic bytes."""

from __future__ import annotations

import functools
import re

import duckdb
import sqlglot
import yaml
from hypothesis import HealthCheck, example, given, settings, strategies as st
from sqlglot import exp

from compiler.load import parse
from compiler.order import build_order
from compiler.render import render

POSTGRES_SCRIPT = "postgres/load.sql"
from compiler.sqlgen import compile_spec
from compiler.validate import to_spec

column_names = st.text(st.characters(blacklist_categories=("Cs", "Cc")), min_size=1, max_size=30)


def spec_text(id_col: str, email_col: str, ref_col: str, delimiter: str = ";") -> str:
    spec = {
        "version": 1,
        "name": "prop",
        "sources": {
            "people": {"path": "p.csv", "id": id_col, "options": {"delimiter": delimiter}},
            "orgs": {"path": "o.csv", "id": "org_id"},
        },
        "entities": {
            "org": {"source": "orgs", "fields": {"name": "name"}},
            "person": {
                "source": "people",
                "key": ["email"],
                "fields": {"email": {"from": email_col, "transforms": ["trim", "lower"]},
                           "age": {"from": email_col, "type": "integer"}},
                "references": {"org_id": {"entity": "org", "from": ref_col},
                               "boss_id": {"entity": "person", "from": ref_col}},
            },
        },
    }
    return yaml.safe_dump(spec, allow_unicode=True, sort_keys=False)


def compiled(text: str) -> dict[str, str]:
    spec = to_spec(parse("prop.yaml", text))
    return render(compile_spec(spec, build_order(spec)), "specs/prop.yaml")


def statements(files: dict[str, str]) -> list[str]:
    """The DuckDB statements of the compiled step files (not the other targets' load scripts)."""
    out = []
    for name, text in files.items():
        if name.endswith(".sql") and "/" not in name:  # the DuckDB steps, not other targets
            body = "\n".join(line for line in text.splitlines() if not line.startswith("-- "))
            out.extend(s for s in sqlglot.transpile(body, read="duckdb", write="duckdb", pretty=True))
    return out


@given(column_names, column_names, column_names)
@example("id", "e'mail", 'org"; DROP TABLE x; --')
@example("ід", "пошта", "компанія")
@example("l", "mapped", "r")  # names ferry itself uses inside the SQL
@example("s", "m", "x_org_id")
@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
def test_spec_values_are_only_quoted_identifiers_or_literals(id_col, email_col, ref_col):
    files = compiled(spec_text(id_col, email_col, ref_col))
    used = set()
    for stmt in statements(files):
        tree = sqlglot.parse_one(stmt, read="duckdb")
        for node in tree.find_all(exp.Identifier):
            used.add(node.this)
            if node.this in (id_col, email_col, ref_col):
                assert node.quoted, (node.this, stmt)
        # Every statement round-trips: nothing in it was spliced as text.
        assert tree.sql(dialect="duckdb", pretty=True) == stmt
    assert {id_col, email_col, ref_col} <= used
    # The PostgreSQL load script (a Jinja template, not sqlglot trees): outside double-quoted
    # identifiers, no spec value appears (beyond the template's own words, such as `csv`).
    words, unquoted = _pg_words(files)
    template_words = _template_words()
    for value in (id_col, email_col, ref_col):
        assert value not in words - template_words, value
        # as a word of its own: 'list' inside the template's 'lists' is the template's text, not the value
        assert len(value) < 4 or value in template_words or not re.search(
            rf"(?<!\w){re.escape(value)}(?!\w)", unquoted), value


@functools.lru_cache(maxsize=1)
def _template_words() -> frozenset[str]:
    """The PostgreSQL script's own words, for a spec whose values are plain (compiled once, not per example)."""
    return frozenset(_pg_words(_plain())[0])


@functools.lru_cache(maxsize=1)
def _plain() -> dict[str, str]:
    """The files of the spec with plain values (compiled once, not per example; read only)."""
    return compiled(spec_text("id", "email", "org"))


def _pg_words(files: dict[str, str]) -> tuple[set[str], str]:
    unquoted = re.sub(r'"(?:[^"]|"")*"', '""', files[POSTGRES_SCRIPT])
    unquoted = "\n".join(line for line in unquoted.splitlines() if not line.startswith("-- "))
    return set(re.findall(r"[^\W\d]\w*", unquoted)), unquoted


def test_compile_is_deterministic_and_ignores_key_order():
    text = spec_text("id", "email", "org")
    data = yaml.safe_load(text)
    reordered = {k: data[k] for k in reversed(list(data))}
    reordered["entities"] = {k: data["entities"][k] for k in reversed(list(data["entities"]))}
    reordered["sources"] = {k: data["sources"][k] for k in reversed(list(data["sources"]))}
    other = yaml.safe_dump(reordered, allow_unicode=True, sort_keys=False)
    assert other != text
    a, b, c = compiled(text), compiled(text), compiled(other)
    assert a == b
    strip = {k: v for k, v in a.items() if k != "manifest.json"}  # the manifest pins the spec's own hash
    assert strip == {k: v for k, v in c.items() if k != "manifest.json"}


def test_every_statement_is_valid_duckdb():
    """EXPLAIN-free check: DuckDB parses each compiled statement (binding needs data, see e2e)."""
    con = duckdb.connect()
    for stmt in statements(compiled(spec_text("id", "email", "org"))):
        con.extract_statements(stmt)


@given(st.text(min_size=1, max_size=40))
@example("data/p.csv\nCREATE TABLE main.pwned AS SELECT 42;\n-- ")
@example("a\rb\u2028c\x85d")
@settings(max_examples=40, deadline=None)
def test_spec_values_in_comments_cannot_end_the_comment(path):
    data = yaml.safe_load(spec_text("id", "email", "org"))
    data["sources"]["people"]["path"] = path
    files = compiled(yaml.safe_dump(data, allow_unicode=True))
    plain = _plain()  # the same files with an ordinary path
    for name, text in files.items():
        if name.endswith(".sql"):
            head = text.split("\n\n", 1)[0]
            assert all(line.startswith("-- ") for line in head.split("\n")), head
            assert len(head.splitlines()) == len(plain[name].split("\n\n", 1)[0].splitlines())


def test_fold_macros_come_with_fuzzy_rules_and_run_in_duckdb():
    assert '"_ferry"."fold"' not in compiled(spec_text("id", "email", "org"))["000_prelude.sql"]
    data = yaml.safe_load(spec_text("id", "email", "org"))
    data["entities"]["person"]["dedup"] = {"fuzzy": [
        {"fields": ["email"], "threshold": 0.6, "block": ["age"], "method": "jaccard", "q": 3}]}
    files = compiled(yaml.safe_dump(data, allow_unicode=True))
    prelude = [s for s in statements({"000_prelude.sql": files["000_prelude.sql"]}) if "MACRO" in s]
    assert [s.split("(")[0] for s in prelude] == [
        'CREATE OR REPLACE MACRO "_ferry"."fold_common"', 'CREATE OR REPLACE MACRO "_ferry"."fold_rare"',
        'CREATE OR REPLACE MACRO "_ferry"."fold"']
    for stmt in prelude:  # fixed text round-trips through sqlglot like every other statement
        assert sqlglot.parse_one(stmt, read="duckdb").sql(dialect="duckdb", pretty=True) == stmt
    con = duckdb.connect()
    con.execute('CREATE SCHEMA "_ferry"')
    for stmt in prelude:
        con.execute(stmt)
    assert con.execute("SELECT _ferry.fold('Łódź Straße ǅemal')").fetchone() == ("Lodz Strasse Dzemal",)
    person = files[next(name for name in files if name.endswith("_person.sql"))]
    assert '"_ferry"."fold"(CAST("email" AS TEXT))' in person and 'SUBSTRING("x"."t0", "_ferry_i", 3)' in person
