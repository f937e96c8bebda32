"""``engines.spark.guards``: a guarded UDF's input is NULL exactly where the SQL does not reach the call.

Checked on DuckDB (no JVM): the guarded input is evaluated beside a marker of the branch the row
takes, over rows that take every branch. tests/spark/test_udf_calls.py counts the calls on Spark.
"""

from __future__ import annotations

import duckdb
import sqlglot
from sqlglot import exp

from compiler.engines.spark import guards

ROWS = [("a", None), ("b", "x"), (None, "x"), ("c", None), ("d", "y"), (None, None)]


def guarded_inputs(sql: str) -> list[exp.Expression]:
    tree = guards.guard(sqlglot.parse_one(sql, read="duckdb"))
    return [call.expressions[0] for call in tree.find_all(exp.Anonymous, bfs=False)
            if call.name.upper() in guards.GUARDED]


def evaluate(expressions: list[exp.Expression]) -> list[tuple]:
    con = duckdb.connect()
    con.execute("CREATE TABLE t (i INTEGER, a VARCHAR, b VARCHAR)")
    con.executemany("INSERT INTO t VALUES (?, ?, ?)", [(i, *row) for i, row in enumerate(ROWS)])
    select = exp.select(*expressions).from_("t").order_by("i")
    return con.execute(select.sql(dialect="duckdb")).fetchall()


def test_the_input_is_null_where_the_case_does_not_reach_the_call():
    reached = ("CASE WHEN a = 'a' THEN 'fast' WHEN b IS NULL THEN NULL ELSE CASE WHEN b = 'x' THEN 'x:' || a "
               "ELSE 'slow' END END")
    [inner] = guarded_inputs("SELECT CASE WHEN a = 'a' THEN 'fast' WHEN b IS NULL THEN NULL "
                             "ELSE CASE WHEN b = 'x' THEN ferry_email(a) END END AS v FROM t")
    rows = evaluate([sqlglot.parse_one(reached, read="duckdb"), inner])
    assert [r[1] for r in rows] == [r[0][2:] if r[0] is not None and r[0].startswith("x:") else None for r in rows]
    assert any(r[1] is not None for r in rows) and any(r[1] is None and r[0] is not None for r in rows)


def test_a_when_condition_guards_what_follows_and_an_if_its_branches():
    first, second, third = guarded_inputs(
        "SELECT CASE WHEN ferry_phone_e164(a, 'PL', '') IS NULL THEN 1 END, IF(b IS NULL, ferry_email(a), ferry_email(b)) "
        "FROM t")
    rows = evaluate([exp.column("a"), exp.column("b"), first, second, third])
    assert [r[2] for r in rows] == [r[0] for r in rows]  # a condition's call: every row reaches it
    assert [r[3] for r in rows] == [r[0] if r[1] is None else None for r in rows]
    assert [r[4] for r in rows] == [r[1] for r in rows]  # b, where b is not NULL


def test_a_condition_that_calls_a_udf_ends_the_guard():
    """The value's second call sits under a condition holding the first: guarded alike, they are one call."""
    inputs = guarded_inputs("SELECT CASE WHEN b IS NULL THEN NULL WHEN starts_with(CASE WHEN a <> 'b' THEN ferry_email(a) END, "
                            "'x') THEN CASE WHEN a <> 'b' THEN ferry_email(a) END END FROM t")
    assert len(inputs) == 2 and inputs[0] == inputs[1]
    assert "starts_with" not in inputs[1].sql(dialect="duckdb").lower()


def test_a_copied_condition_is_one_column_read_by_the_case_and_the_input():
    """Copied into the input, ``a <> 'zz' AND b IS NULL`` would stand twice: it is computed once, beneath."""
    select = guards.guard(sqlglot.parse_one(
        "SELECT CASE WHEN upper(s.a) <> 'ZZ' AND s.b IS NULL THEN 'fast' ELSE ferry_email(s.a) END AS v FROM t AS s",
        read="duckdb"))
    text = select.sql(dialect="spark")
    assert text.count("<> 'ZZ'") == 1 and text.count(guards.PREFIX) == 3  # defined once, read twice
    con = duckdb.connect()
    con.execute("CREATE TABLE t (a VARCHAR, b VARCHAR)")
    con.executemany("INSERT INTO t VALUES (?, ?)", [r for r in ROWS])
    [call] = [n for n in select.find_all(exp.Anonymous) if n.name.upper() in guards.GUARDED]
    call.replace(exp.DPipe(this=exp.Literal.string("slow:"), expression=call.expressions[0]))  # DuckDB has no UDF
    got = [r[0] for r in con.execute(select.sql(dialect="duckdb")).fetchall()]
    fast = [a is not None and a.upper() != "ZZ" and b is None for a, b in ROWS]
    assert sorted(got, key=str) == sorted(("fast" if f else "slow:" + a if a is not None else None
                                           for f, (a, _) in zip(fast, ROWS)), key=str)
    assert any(fast) and not all(fast)


def test_a_condition_that_can_fail_stays_where_it_was():
    select = guards.guard(sqlglot.parse_one(
        "SELECT CASE WHEN CAST(s.a AS INT) > 3 AND s.b IS NULL THEN 'x' ELSE ferry_email(s.a) END FROM t AS s",
        read="duckdb"))
    assert guards.PREFIX not in select.sql(dialect="spark")


def test_a_let_value_written_out_for_a_udf_is_one_column():
    """ferry's LET over a body that calls a UDF (which Spark refuses in a lambda) takes its value at each
    use: the three copies are one column ``_ferry_value_...`` of a layer beneath, with the same rows."""
    from compiler.engines.spark import lets, passes

    let = ("list_extract(list_transform([upper(s.a) || '!'], x -> CASE WHEN x = 'A!' THEN ferry_email(s.b) "
           "WHEN x = '!' THEN NULL ELSE x END), 1)")
    (select,) = passes.rewrite((sqlglot.parse_one(f"SELECT {let} AS v FROM t AS s", read="duckdb"),), None).statements
    text = select.sql(dialect="spark")
    assert text.count("|| '!'") == 1 and text.count(f"AS `{lets.PREFIX}") == 1
    assert "TRANSFORM" not in text.upper()  # no lambda: the UDF could not run in one
    con = duckdb.connect()
    con.execute("CREATE TABLE t (a VARCHAR, b VARCHAR)")
    con.executemany("INSERT INTO t VALUES (?, ?)", [*ROWS, ("", "z"), ("a", "x")])
    [call] = [n for n in select.find_all(exp.Anonymous) if n.name.upper() in guards.GUARDED]
    call.replace(exp.DPipe(this=exp.Literal.string("slow:"), expression=call.expressions[0]))  # DuckDB has no UDF
    got = sorted((r[0] for r in con.execute(select.sql(dialect="duckdb")).fetchall()), key=str)

    def want(a, b):
        value = None if a is None else a.upper() + "!"
        return ("slow:" + b if b is not None else None) if value == "A!" else None if value == "!" else value
    assert got == sorted((want(a, b) for a, b in [*ROWS, ("", "z"), ("a", "x")]), key=str)
    assert "slow:x" in got and None in got and "B!" in got
