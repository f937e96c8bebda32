"""sqlgen.shared: a repeated subexpression every row computes anyway becomes one column beneath the
select; one computed only for some rows (a THEN, a later WHEN, a COALESCE fallback, a lambda) stays
where it is, so no row computes more than before; a column's name depends only on what it holds."""

from __future__ import annotations

import duckdb
import sqlglot
from sqlglot import exp

from compiler.sqlgen import names, shared


def _select(*projections: str) -> exp.Select:
    return sqlglot.parse_one(f"SELECT {', '.join(projections)} FROM t AS s", read="duckdb")


def _shared(select: exp.Select) -> list[exp.Alias]:
    return [a for a in select.find_all(exp.Alias) if a.alias.startswith(names.SHARED)]


def test_a_value_computed_for_every_row_is_built_once_and_read_everywhere():
    out = shared.share(_select("upper(trim(s.a) || 'x') AS v",
                               "CASE WHEN upper(trim(s.a) || 'x') = '' THEN s.a END AS bad"), [[0, 1]])
    (column,) = _shared(out)
    assert column.this.sql() == "UPPER(TRIM(s.a) || 'x')"
    assert out.sql().count("UPPER(") == 1


def test_what_only_some_rows_compute_is_not_hoisted():
    expensive = "my_udf(trim(s.a) || 'x')"
    out = shared.share(_select(f"CASE WHEN s.b THEN {expensive} WHEN s.c THEN {expensive} END AS v",
                               f"COALESCE(s.d, {expensive}) AS w",
                               f"list_transform([1], lambda x: {expensive}) AS l"), [[0, 1, 2]])
    assert out.sql().count("MY_UDF(") == 4
    assert not _shared(out)


def test_a_shared_value_inside_another_sits_a_layer_lower_and_the_rows_are_the_same():
    select = _select("length(lower(trim(s.a)) || lower(trim(s.a))) AS n",
                     "CASE WHEN length(lower(trim(s.a)) || lower(trim(s.a))) > 2 THEN lower(trim(s.a)) END AS m")
    out = shared.share(select, [[0, 1]])
    assert len(_shared(out)) == 2
    assert len(list(out.find_all(exp.Subquery))) == 2  # two layers
    con = duckdb.connect()
    con.execute("CREATE TABLE t AS SELECT * FROM (VALUES (' Ab '), (NULL), ('x')) v(a)")
    assert con.execute(out.sql("duckdb")).fetchall() == con.execute(select.sql("duckdb")).fetchall()


def test_a_groups_text_does_not_depend_on_the_other_groups():
    alone = shared.share(_select("lower(trim(s.a)) || lower(trim(s.a)) AS x"), [[0]])
    beside = shared.share(_select("lower(trim(s.b)) || lower(trim(s.b)) AS y",
                                  "lower(trim(s.a)) || lower(trim(s.a)) AS x"), [[0], [1]])
    assert alone.expressions[0].sql() == beside.expressions[1].sql()


def test_volatile_calls_stay_two():
    out = shared.share(_select("random() + length(trim(s.a)) AS x", "random() + length(trim(s.a)) AS y"), [[0, 1]])
    assert out.sql().count("RAND()") == 2  # the rest of the sum is shared
