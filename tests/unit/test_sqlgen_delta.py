"""``sqlgen.delta``'s resolution, run in DuckDB on every combination of written (W), target (T) and computed (C)
values of two fields, against the rule as the README states it (a model in Python)."""

from __future__ import annotations

import itertools

import duckdb
import pytest
from sqlglot import exp

from compiler.sqlgen import delta as sql
from compiler.sqlgen import names

VALUES = ("a", "b", None)  # three values: enough for a field where W, T and C all differ


def expected(policy: str, fields: list[tuple]) -> list:
    """Per field (w, t, c): the value the record ends with, when it is in the ledger and the target."""
    conflict = [c != w and t != w and t != c for w, t, c in fields]
    out = []
    for (w, t, c), clash in zip(fields, conflict):
        edited = t != w
        if policy == "target_wins":
            out.append(t if edited else c)
        elif policy == "source_wins":
            out.append(t if edited and not clash else c)
        else:  # reject: a record with any conflict keeps every value of the target's
            out.append(t if any(conflict) or edited else c)
    return out


@pytest.mark.parametrize("policy", sorted(sql.RESOLUTION))
def test_each_policy_resolves_every_combination_as_documented(policy):
    triples = list(itertools.product(VALUES, repeat=3))
    rows = [(i, f0, f1) for i, (f0, f1) in enumerate(itertools.product(triples, repeat=2))]
    con = duckdb.connect()
    columns = ["id", "in_w", "in_b"] + [f"{p}_{k}" for k in range(2) for p in ("c", "w", "b")]
    con.execute(f"CREATE TABLE j ({', '.join(c + (' INTEGER' if c == 'id' else ' BOOLEAN' if c.startswith('in') else ' VARCHAR') for c in columns)})")
    con.executemany(f"INSERT INTO j VALUES ({', '.join('?' for _ in columns)})",
                    [(i, True, True, f0[2], f0[0], f0[1], f1[2], f1[0], f1[1]) for i, f0, f1 in rows])
    query = sql.resolution(exp.to_table("j"), policy, 2).order_by(exp.column("id"))
    got = con.execute(exp.select("id", "v_0", "v_1", "conflicted", "moved").from_(query.subquery()).sql("duckdb")).fetchall()
    assert len(got) == len(rows)
    for (i, f0, f1), (gi, v0, v1, conflicted, moved) in zip(rows, got):
        assert gi == i
        want = expected(policy, [f0, f1])
        assert [v0, v1] == want, (policy, f0, f1)
        assert conflicted == any(c != w and t != w and t != c for w, t, c in (f0, f1))
        assert moved == (want != [f0[1], f1[1]])


def test_a_new_record_takes_the_computed_values_whatever_the_policy():
    con = duckdb.connect()
    con.execute("CREATE TABLE j (id INTEGER, in_w BOOLEAN, in_b BOOLEAN, c_0 VARCHAR, w_0 VARCHAR, b_0 VARCHAR)")
    con.execute("INSERT INTO j VALUES (1, false, false, 'new', NULL, NULL), (2, true, false, 'x', 'y', NULL)")
    for policy in sql.RESOLUTION:
        query = exp.select("id", "v_0").from_(sql.resolution(exp.to_table("j"), policy, 1).subquery()).order_by("id")
        assert con.execute(query.sql("duckdb")).fetchall() == [(1, "new"), (2, "x")]


@pytest.mark.parametrize("policy", sql.GONE_POLICIES)
def test_gone_records_are_merged_deleted_in_target_or_under_the_policy(policy):
    con = duckdb.connect()
    con.execute("CREATE TABLE w (_ferry_spec VARCHAR, id INTEGER); CREATE TABLE b (id INTEGER);"
                "CREATE TABLE old (source VARCHAR, source_key VARCHAR, id INTEGER, status VARCHAR);"
                "CREATE TABLE x (source VARCHAR, source_key VARCHAR, id INTEGER, status VARCHAR, spec VARCHAR, linked BOOLEAN)")
    con.execute("INSERT INTO w VALUES ('s', 1), ('s', 2), ('s', 3), ('s', 4), ('other', 5)")
    con.execute("INSERT INTO b VALUES (1), (2), (4)")  # 3 was deleted in the target
    con.execute("INSERT INTO old VALUES ('a', 'k1', 1, 'loaded'), ('a', 'k2', 2, 'loaded'), ('a', 'k3', 3, 'loaded'),"
                "('a', 'k4', 4, 'loaded')")
    # this run: 1 stays, k2 now belongs to record 1 (merged), 3 and 4 are gone
    con.execute("INSERT INTO x VALUES ('a', 'k1', 1, 'loaded', 's', false), ('a', 'k2', 1, 'merged', 's', false)")
    s = sql.Sides("s", (), exp.to_table("b"), sql.computed_ids("s", exp.to_table("x")), exp.to_table("w"),
                  exp.to_table("b"), frozenset({"id"}))
    got = con.execute(sql.gone(s, exp.to_table("old"), exp.to_table("x"), policy).order_by(names.col("id"))
                      .sql("duckdb")).fetchall()
    assert got == [(2, "k2", 1, True, "merged"), (3, "k3", None, False, "deleted_in_target"), (4, "k4", None, True, policy)]
