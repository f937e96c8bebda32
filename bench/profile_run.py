"""Where `ferry run` spends its time: per input, per compiled statement, per UDF.

    python bench/profile_run.py SPEC.yaml COMPILED_DIR TARGET [--top 15]

Runs ``compiler.run.execute`` in this process with its parts wrapped:

- ``prepare_input`` per source (hashing, conversions such as XML to NDJSON), wall and CPU
  (the XML parts' child processes included);
- every statement of every compiled step (``con.extract_statements``), wall and CPU, the slowest
  ``--top`` printed with their first line;
- the Python UDFs (``compiler.functions.FUNCTIONS``): calls and seconds spent inside them;
- what the run spends after its steps (delta, accounting, history).

``FERRY_EXPLAIN=<table>`` runs the statement that creates ``<table>`` under ``EXPLAIN ANALYZE`` and
prints its plan to stderr.
"""

from __future__ import annotations

import argparse
import collections
import functools
import os
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path[:0] = [str(HERE.parent)]


#: ``FERRY_EXPLAIN=_ferry_checked_contact``: that table's statement runs under EXPLAIN ANALYZE (plan to stderr).
EXPLAIN = os.environ.get("FERRY_EXPLAIN")


def _cpu() -> float:
    t = os.times()
    return t.user + t.system + t.children_user + t.children_system


def _explain(con, text: str) -> None:
    """Run ``text`` with DuckDB's JSON profiling on; print its operators' times, slowest first, to stderr."""
    import json
    plan = json.loads(con.execute("EXPLAIN (ANALYZE, FORMAT JSON) " + text).fetchall()[0][-1])
    ops = []

    def walk(node, depth):
        info = node.get("extra_info", {})
        what = " ".join(str(v) for v in info.values())[:300] if isinstance(info, dict) else str(info)[:300]
        ops.append((node.get("timing", 0.0), depth, node.get("name", "?"),
                    node.get("operator_cardinality", node.get("intermediate_rows", 0)), what))
        for child in node.get("children", ()):
            walk(child, depth + 1)

    for root in plan.get("operator", [plan]):
        walk(root, 0)
    for seconds, depth, name, rows, what in sorted(ops, key=lambda o: -o[0])[:25]:
        print(f"{seconds:7.3f} s  d{depth:<2d} {name:20s} {rows:>9} rows  {what}", file=sys.stderr)


class _Split:
    """A connection whose ``execute`` of a whole step runs and times it statement by statement."""

    def __init__(self, con, log, step):
        self._con, self._log, self._step = con, log, step

    def __getattr__(self, name):
        return getattr(self._con, name)

    def execute(self, query, *args):
        if args or not isinstance(query, str) or query.count(";") < 1 or not self._step:
            self._con.execute(query, *args)
            return self
        for statement in self._con.extract_statements(query):
            text = str(statement.query).strip()
            cpu, wall = _cpu(), time.perf_counter()
            if EXPLAIN and EXPLAIN in text.split("AS", 1)[0]:
                _explain(self._con, text)
            else:
                self._con.execute(statement)
            self._log.append((self._step[-1], time.perf_counter() - wall, _cpu() - cpu, text))
        return self

    def fetchone(self):
        return self._con.fetchone()

    def fetchall(self):
        return self._con.fetchall()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("spec", type=Path)
    parser.add_argument("compiled", type=Path)
    parser.add_argument("target", type=Path)
    parser.add_argument("--top", type=int, default=15)
    args = parser.parse_args()

    from compiler import functions, run, sources
    from compiler.load import load
    from compiler.validate import to_spec

    udf_calls: dict[str, list[float]] = collections.defaultdict(lambda: [0, 0.0])

    def counted(name, f):
        @functools.wraps(f)
        def call(*a):
            t = time.perf_counter()
            try:
                return f(*a)
            finally:
                u = udf_calls[name]
                u[0] += 1
                u[1] += time.perf_counter() - t
        return call

    functions.FUNCTIONS = {name: (counted(name, f), *rest) for name, (f, *rest) in functions.FUNCTIONS.items()}
    log: list[tuple[str, float, float, str]] = []
    step: list[str] = []
    inputs: list[tuple[str, float, float]] = []
    prepare = sources.prepare_input

    def timed_prepare(source, base, workdir):
        cpu, wall = _cpu(), time.perf_counter()
        try:
            return prepare(source, base, workdir)
        finally:
            inputs.append((source.name, time.perf_counter() - wall, _cpu() - cpu))

    sources.prepare_input = timed_prepare
    register = functions.register
    functions.register = lambda con: _Split(register(con), log, step)
    progress = lambda what, done, total: step.append(what)  # noqa: E731: the step's title

    spec = to_spec(load(args.spec))
    cpu, wall = _cpu(), time.perf_counter()
    manifest = run.execute(spec, args.compiled / spec.name, args.target, progress)
    cpu, wall = _cpu() - cpu, time.perf_counter() - wall
    steps_wall = sum(w for _, w, _, _ in log)
    print(f"run: {wall:.2f} s wall, {cpu:.2f} CPU s; statements {steps_wall:.2f} s wall "
          f"({len(log)}); inputs {sum(w for _, w, _ in inputs):.2f} s wall")
    for name, w, c in inputs:
        print(f"  input {name:12s} {w:7.2f} s wall {c:7.2f} CPU s")
    per_step = collections.defaultdict(lambda: [0.0, 0.0, 0])
    for title, w, c, _ in log:
        s = per_step[title]
        s[0], s[1], s[2] = s[0] + w, s[1] + c, s[2] + 1
    for title, (w, c, n) in per_step.items():
        if w > 0.05:
            print(f"  step {title[:40]:40s} {w:7.2f} s wall {c:7.2f} CPU s ({n} statements)")
    for name, (n, s) in udf_calls.items():
        print(f"  udf {name:20s} {n:8d} calls {s:7.2f} s ({1e6 * s / max(n, 1):.1f} us each)")
    print(f"  rest (delta, accounting, history): {wall - steps_wall - sum(w for _, w, _ in inputs):.2f} s")
    print(f"slowest {args.top} statements:")
    for title, w, c, text in sorted(log, key=lambda x: -x[1])[:args.top]:
        first = " ".join(text.split())[:150]
        print(f"  {w:6.2f} s {c:6.2f} CPU  [{title[:24]}] {first}")
    del manifest


if __name__ == "__main__":
    main()
