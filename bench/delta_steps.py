"""Where a run's time goes, statement by statement (issue 17: the delta's cost).

    python bench/delta_steps.py SPEC.yaml --out GENERATED --target TARGET.duckdb [--top 25]

In:  a compiled spec and a target (copy it first: the run writes it, as ``ferry run`` would).
Out: every statement the run executed (the compiled steps split with ``con.extract_statements``,
     and the delta's own statements), with its wall and process CPU seconds, sorted by CPU; and
     the totals per compiled file and for the delta's apply.

It wraps the run's DuckDB connection (``compiler.functions.register`` returns the wrapper), so it
measures the real ``compiler.run.execute`` without changing it.
"""

from __future__ import annotations

import argparse
import collections
import os
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path[:0] = [str(HERE.parent)]

import duckdb  # noqa: E402

from compiler import api, functions, run  # noqa: E402

TIMES: list[tuple[float, float, str, str]] = []  # cpu, wall, step, statement head
STEP = ["(before)"]
PROBE = bool(os.environ.get("PROBE_MAPPED"))


class Timed:
    """A connection whose ``execute`` runs each statement of a text alone and times it."""

    def __init__(self, con: duckdb.DuckDBPyConnection) -> None:
        self._con = con

    def __getattr__(self, name: str):
        return getattr(self._con, name)

    def execute(self, sql, params=None):
        statements = self._con.extract_statements(sql) if isinstance(sql, str) and params is None else [sql]
        result = None
        for statement in statements:
            if PROBE and 'WITH "mapped" AS MATERIALIZED' in str(getattr(statement, "query", "")):
                self._probe(str(statement.query))
            c0, w0 = time.process_time(), time.perf_counter()
            result = self._con.execute(statement) if params is None else self._con.execute(statement, params)
            head = " ".join(str(getattr(statement, "query", statement)).split())[:110]
            TIMES.append((time.process_time() - c0, time.perf_counter() - w0, STEP[0], head))
        return self if result is not None else result

    def _probe(self, sql: str) -> None:
        """Time the ``mapped`` CTE alone (the row-local transforms) into a scratch table."""
        import sqlglot
        from sqlglot import exp

        tree = sqlglot.parse_one(sql, read="duckdb")
        cte = next(c for c in tree.find_all(exp.CTE) if c.alias == "mapped")
        probe = f'CREATE OR REPLACE TEMPORARY TABLE "_probe" AS {cte.this.sql(dialect="duckdb")}'
        c0, w0 = time.process_time(), time.perf_counter()
        self._con.execute(probe)
        TIMES.append((time.process_time() - c0, time.perf_counter() - w0, "(probe: mapped alone)", sql[:110]))
        if os.environ.get("PROBE_TYPES"):
            print(sorted(set(r[1] for r in self._con.execute('DESCRIBE "_probe"').fetchall())), flush=True)
        self._con.execute('DROP TABLE "_probe"')

    def fetchone(self):
        return self._con.fetchone()

    def fetchall(self):
        return self._con.fetchall()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("spec", type=Path)
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--target", type=Path, required=True)
    parser.add_argument("--top", type=int, default=25)
    args = parser.parse_args()
    original = functions.register
    functions.register = lambda con: Timed(original(con))  # type: ignore[assignment]
    spec = api.validate_spec(args.spec, read_rows=False)
    report = lambda what, done, total: STEP.__setitem__(0, what)  # noqa: E731
    c0, w0 = time.process_time(), time.perf_counter()
    manifest = run.execute(spec, args.out / spec.name, args.target, report)
    cpu, wall = time.process_time() - c0, time.perf_counter() - w0
    print(f"run: {cpu:.1f} CPU s (this process), {wall:.1f} s wall; kind {manifest.delta.get('kind')}")
    per_step: dict[str, list[float]] = collections.defaultdict(lambda: [0.0, 0.0])
    for c, w, step, _ in TIMES:
        per_step[step][0] += c
        per_step[step][1] += w
    print("per step (CPU s, wall s):")
    for step, (c, w) in sorted(per_step.items(), key=lambda kv: -kv[1][0]):
        print(f"  {c:7.1f} {w:7.1f}  {step}")
    print(f"top {args.top} statements (CPU s, wall s):")
    for c, w, step, head in sorted(TIMES, reverse=True)[: args.top]:
        print(f"  {c:7.1f} {w:7.1f}  [{step[:28]}] {head}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
