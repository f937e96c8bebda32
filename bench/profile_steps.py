"""Where `ferry profile` spends its time: CPU seconds per profiler step and per DuckDB query.

    python bench/profile_steps.py FILE...        # e.g. the 1M bench export's contacts.csv companies.csv

Runs ``compiler.profile.profile`` in this process (interpreter start-up and imports are not in
it) with its steps wrapped: each step's CPU time (user + system: DuckDB's threads, and the
processes it waited for, such as the XML conversion's parts, included) and wall time and, for
the DuckDB queries, CPU time grouped by the step that sent them.
What a step spends outside its queries is Python (sqlglot trees, phonenumbers, conversions).
Steps nest (``refine`` holds ``_phones``), so their times are not to be summed.
"""

from __future__ import annotations

import collections
import functools
import os
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path[:0] = [str(HERE.parent)]

#: (module, function) pairs timed; the query log names the innermost of them on the stack.
STEPS = (
    ("compiler.profile", "expand"), ("compiler.profile.detect", "detect"), ("compiler.sources", "prepare_input"),
    ("compiler.profile.measure", "load"), ("compiler.profile.measure", "count"),
    ("compiler.profile.measure", "_grouped"), ("compiler.profile.measure", "_top_values"),
    ("compiler.profile.measure", "_shapes"), ("compiler.profile.refine", "refine"),
    ("compiler.profile.refine", "_phones"), ("compiler.profile.refine", "_phone_label"),
    ("compiler.profile.refine", "_accepted"), ("compiler.profile.refine", "_macro"),
    ("compiler.profile.ids", "check_digit"), ("compiler.profile.ids", "leading_zeros"),
    ("compiler.profile.countries", "country"), ("compiler.profile.countries", "names"),
    ("compiler.profile.relate", "exact_keys"), ("compiler.profile.relate", "duplicates"),
    ("compiler.profile.relate", "references"),
)


def _cpu() -> float:
    """This process's CPU seconds and those of the children it has waited for."""
    children = os.times()
    return time.process_time() + children.children_user + children.children_system


class _Timed:
    """A DuckDB connection whose ``execute`` is timed and attributed to the running step."""

    def __init__(self, con, log, stack):
        self._con, self._log, self._stack = con, log, stack

    def __getattr__(self, name):
        return getattr(self._con, name)

    def execute(self, *args):
        cpu, wall = time.process_time(), time.perf_counter()
        self._con.execute(*args)
        self._log.append((self._stack[-1] if self._stack else "-", time.process_time() - cpu,
                          time.perf_counter() - wall))
        return self

    def fetchone(self):
        return self._con.fetchone()

    def fetchall(self):
        return self._con.fetchall()


def main(paths: list[str]) -> None:
    import importlib

    import compiler.profile as profiler
    from compiler import functions

    spent: dict[str, float] = collections.defaultdict(float)
    walls: dict[str, float] = collections.defaultdict(float)
    calls: dict[str, int] = collections.defaultdict(int)
    stack: list[str] = []
    log: list[tuple[str, float, float]] = []

    def timed(label, f):
        @functools.wraps(f)
        def run(*args, **kwargs):
            stack.append(label)
            cpu, wall = _cpu(), time.perf_counter()
            try:
                return f(*args, **kwargs)
            finally:
                spent[label] += _cpu() - cpu
                walls[label] += time.perf_counter() - wall
                calls[label] += 1
                stack.pop()
        return run

    for module_name, name in STEPS:
        module = importlib.import_module(module_name)
        if not hasattr(module, name):
            continue
        original = getattr(module, name)
        wrapped = timed(f"{module_name.rsplit('.', 1)[-1]}.{name}", original)
        for other in list(sys.modules.values()):  # also where it was imported by name
            if getattr(other, "__name__", "").startswith("compiler") and getattr(other, name, None) is original:
                setattr(other, name, wrapped)
    register = functions.register
    profiler.functions.register = lambda con: _Timed(register(con), log, stack)
    cpu, wall = _cpu(), time.perf_counter()
    profiler.profile(tuple(Path(p) for p in paths))
    cpu, wall = _cpu() - cpu, time.perf_counter() - wall
    queries = collections.defaultdict(lambda: [0, 0.0, 0.0])
    for label, c, w in log:
        q = queries[label]
        q[0], q[1], q[2] = q[0] + 1, q[1] + c, q[2] + w
    print(f"profile: {cpu:.2f} CPU s, {wall:.2f} s wall; {len(log)} queries: "
          f"{sum(q[1] for q in queries.values()):.2f} CPU s")
    print(f"{'step':32s} {'calls':>5s} {'CPU s':>6s} {'wall s':>6s} {'queries':>7s} {'q CPU s':>7s}")
    for label in sorted(spent, key=lambda k: -spent[k]):
        n, c, _ = queries.get(label, (0, 0.0, 0.0))
        print(f"{label:32s} {calls[label]:5d} {spent[label]:6.2f} {walls[label]:6.2f} {n:7d} {c:7.2f}")


if __name__ == "__main__":
    main(sys.argv[1:])
