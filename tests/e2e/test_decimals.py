"""Decimals end to end: locale numbers, precision and scale, casts that never round, exact bounds;
the same column types and values in DuckDB and, pushed, in PostgreSQL."""

from __future__ import annotations

import os
import uuid
from decimal import Decimal

import duckdb
import pytest

from compiler import api
from compiler.errors import FerryError

pytestmark = pytest.mark.slow
DSN = os.environ.get("FERRY_TEST_PG_DSN", "")
SCHEMA = f"t_{uuid.uuid4().hex[:12]}"

SPEC = f"""\
version: 1
name: decimals
sources:
  deals: {{path: deals.csv, id: id, options: {{delimiter: ";"}}}}
entities:
  deal:
    source: deals
    fields:
      amount: {{from: kwota, type: decimal, precision: 8, scale: 2, transforms: [{{decimal: {{separator: ","}}}}],
               rules: [{{min: 0.005}}]}}
      rate: {{from: rate, type: decimal, rules: [{{max: 0.00015}}]}}
      qty: {{from: qty, type: integer, rules: [{{max: 1.5}}]}}
      open: {{from: open, type: boolean}}
target: {{path: out.duckdb, postgres: {{schema: {SCHEMA}, dsn_env: FERRY_TEST_PG_DSN}}}}
"""

ROWS = """\
id;kwota;rate;qty;open
1;1 234,50 zł;0.0001;1;true
2;76222.54;0.0001;1;true
3;12,345;0.0001;1;yes
4;1.234.567,00;0.0001;1;no
5;0,00;0.00001;2;1
6;1,00;0.0002;1.5;t
7;€ -999 999,99;0.00010000; 1 ;maybe
8;1,5;-0.1230;-7;N
"""


@pytest.fixture(scope="module")
def project(tmp_path_factory):
    folder = tmp_path_factory.mktemp("decimals")
    (folder / "deals.csv").write_text(ROWS, encoding="utf-8")
    spec = folder / "decimals.yaml"
    spec.write_text(SPEC, encoding="utf-8")
    options = api.Options(out=folder / "generated")
    api.compile_spec_files(spec, options)
    api.run_spec(spec, options)
    return spec, options


def test_nothing_is_rounded_or_guessed(project):
    spec, _ = project
    con = duckdb.connect(str(spec.parent / "out.duckdb"), read_only=True)
    rejects = dict(con.execute("SELECT source_key, [r.rule || '/' || coalesce(r.field, '') || '=' || "
                               "coalesce(r.value, '') for r in reasons] FROM _ferry.rejects").fetchall())
    assert rejects == {
        "2": ["invalid_decimal/amount=76222.54"],  # ',' is the decimal mark: '.' only groups thousands
        "3": ["decimal_rounding/amount=12.345"],  # scale 2
        "4": ["decimal_overflow/amount=1234567.00"],  # precision 8 - scale 2 = 6 digits before the point
        # Bounds are exact: 0.00 < 0.005, and 2 > 1.5 (cast to the field's type they were 0.00 and 2).
        # Reasons come field by field, in the spec's order.
        "5": ["min/amount=0.00", "decimal_rounding/rate=0.00001", "max/qty=2"],
        "6": ["max/rate=0.0002", "invalid_integer/qty=1.5"],
        "7": ["min/amount=-999999.99", "invalid_boolean/open=maybe"],  # 6 digits fit; blanks around 1 too
    }
    assert con.execute("SELECT id IS NOT NULL, amount, rate, qty, open FROM deal ORDER BY amount").fetchall() == [
        (True, Decimal("1.50"), Decimal("-0.1230"), -7, False), (True, Decimal("1234.50"), Decimal("0.0001"), 1, True)]
    types = dict(con.execute("SELECT column_name, data_type FROM information_schema.columns "
                             "WHERE table_name = 'deal'").fetchall())
    assert (types["amount"], types["rate"], types["qty"], types["open"]) == (
        "DECIMAL(8,2)", "DECIMAL(18,4)", "BIGINT", "BOOLEAN")


@pytest.mark.skipif(not DSN, reason="no PostgreSQL: set FERRY_TEST_PG_DSN, or run `make test` as root")
def test_postgres_gets_the_same_types_and_values(project):
    import psycopg

    spec, options = project
    api.push_spec(spec, options)
    try:
        with psycopg.connect(DSN) as pg:
            columns = pg.execute("SELECT column_name, data_type, numeric_precision, numeric_scale "
                                 "FROM information_schema.columns WHERE table_schema = %s AND table_name = 'deal' "
                                 "AND column_name IN ('amount', 'rate', 'qty')", [SCHEMA]).fetchall()
            rows = pg.execute(f'SELECT amount, rate, qty, open FROM "{SCHEMA}".deal ORDER BY amount').fetchall()
    finally:
        with psycopg.connect(DSN, autocommit=True) as pg:
            pg.execute(f'DROP SCHEMA IF EXISTS "{SCHEMA}" CASCADE')
    assert sorted(columns) == [("amount", "numeric", 8, 2), ("qty", "bigint", 64, 0), ("rate", "numeric", 18, 4)]
    assert rows == [(Decimal("1.50"), Decimal("-0.1230"), -7, False), (Decimal("1234.50"), Decimal("0.0001"), 1, True)]


def test_a_column_of_another_type_from_an_earlier_run_stops_the_run(tmp_path):
    """DECIMAL(8, 2) from an earlier run would round a scale-3 value on insert: the run stops instead."""
    (tmp_path / "deals.csv").write_text(ROWS, encoding="utf-8")
    spec = tmp_path / "decimals.yaml"
    options = api.Options(out=tmp_path / "generated")
    for text in (SPEC, SPEC.replace("precision: 8, scale: 2", "precision: 9, scale: 3")):
        spec.write_text(text, encoding="utf-8")
        api.compile_spec_files(spec, options)
        if text is SPEC:
            api.run_spec(spec, options)
    with pytest.raises(FerryError) as failure:
        api.run_spec(spec, options)
    message = "column main.deal.amount is DECIMAL(8,2) in the target but the spec makes it DECIMAL(9,3)"
    assert message in str(failure.value)
    con = duckdb.connect(str(tmp_path / "out.duckdb"), read_only=True)
    assert con.execute("SELECT count(*), min(amount) FROM deal").fetchall() == [(2, Decimal("1.50"))]  # rolled back


@pytest.mark.skipif(not DSN, reason="no PostgreSQL: set FERRY_TEST_PG_DSN, or run `make test` as root")
def test_a_postgres_column_of_another_type_stops_the_push(tmp_path):
    """numeric(8,2) from an earlier push would round scale-3 values: the push stops, and nothing changes."""
    import psycopg

    schema = f"t_{uuid.uuid4().hex[:12]}"
    (tmp_path / "deals.csv").write_text(ROWS, encoding="utf-8")
    spec = tmp_path / "decimals.yaml"
    options = api.Options(out=tmp_path / "generated")
    first = SPEC.replace(SCHEMA, schema)
    second = first.replace("precision: 8, scale: 2", "precision: 9, scale: 3").replace("out.duckdb", "out2.duckdb")
    try:
        for text in (first, second):
            spec.write_text(text, encoding="utf-8")
            api.compile_spec_files(spec, options)
            api.run_spec(spec, options)
            if text is first:
                api.push_spec(spec, options)
        with pytest.raises(FerryError) as failure:
            api.push_spec(spec, options)
        assert "amount is numeric(8,2) in the target but the spec makes it numeric(9,3)" in str(failure.value)
        with psycopg.connect(DSN) as pg:
            assert pg.execute(f'SELECT count(*), min(amount) FROM "{schema}".deal').fetchall() == [(2, Decimal("1.50"))]
    finally:
        with psycopg.connect(DSN, autocommit=True) as pg:
            pg.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')
