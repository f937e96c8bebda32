"""The phones and e-mails alone: ferry's compiled transforms against the pandas script's ``.apply``.

    python bench/phones_emails.py DATA_DIR [--repeat 3]

The bench's whole-run ratio "pandas / full ferry" compares a script that reads four files and cleans two
with a run that also converts the XML deals, resolves references and deduplicates on two keys; and the
pandas script itself is only ~8x the time of reading the files. This isolates the work the issue names:
the contacts' and companies' phones (E.164, region PL, fallback DE/FR/UA, valid numbers only, ambiguous
refused) and the contacts' e-mails (email-validator's rules, lower-cased), on the export's own values.

Both sides start from the same strings in memory (read once, with the pandas script's own reader, so
reading is in neither figure):

* ``pandas``: ``reference_pandas.phone_e164`` and ``normalized_email`` through ``Series.apply``, as the
  script does them;
* ``ferry``: one DuckDB query computing each field's value once with the transforms ``ferry compile``
  builds (``compiler.sqlgen.transforms``: the SQL route, then the phonenumbers/email-validator functions
  for what the SQL leaves), the functions' caches cleared first; a present value without an output is
  refused (the compiled step's reject condition, which it derives from the same shared value).

Alternating rounds; CPU seconds of this process (DuckDB's threads included) and wall seconds. The two
sides must agree on every count (converted and refused per field), or the ratio means nothing: the
script exits 1 when they differ.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from pathlib import Path
from typing import Any, Callable

HERE = Path(__file__).resolve().parent
sys.path[:0] = [str(HERE), str(HERE.parent)]

import duckdb  # noqa: E402
import pandas as pd  # noqa: E402
from sqlglot import exp  # noqa: E402

import reference_pandas as ref  # noqa: E402
from compiler import functions  # noqa: E402
from compiler.sqlgen.transforms import TRANSFORMS  # noqa: E402

PHONE_ARGS = {"region": ref.PHONE_REGION, "fallback": ref.PHONE_FALLBACK}
#: (table, column, kind): the values both sides clean.
FIELDS = (("contacts", "phone", "phone"), ("companies", "telefon", "phone"), ("contacts", "email", "email"))


def read(data: Path) -> dict[str, pd.DataFrame]:
    return {"contacts": ref.read_csv(data / "contacts.csv", sep=",", encoding="utf-8-sig",
                                     usecols=["phone", "email"]),
            "companies": ref.read_csv(data / "companies.csv", sep=";", encoding="cp1250", usecols=["telefon"])}


def _applied(kind: str, column: str):
    value = exp.column(column)
    if kind == "phone":
        return TRANSFORMS["phone"](value, PHONE_ARGS)
    checked = TRANSFORMS["email"](value, {})
    lowered = TRANSFORMS["lower"](checked.value, {})
    return type(checked)(lowered.value, checked.invalid, checked.rule, checked.also)


def ferry_query(table: str) -> str:
    """Per field of ``table``: how many values came out, and how many present values were refused. Each
    value is computed once, as the compiled step computes it once (a shared column) and derives its reject
    reasons from it: a present value that gives no output is refused (invalid or ambiguous)."""
    inner, outer = [], []
    for t, column, kind in FIELDS:
        if t != table:
            continue
        out = f"_{column}_out"
        inner += [exp.column(column), exp.alias_(_applied(kind, column).value, out)]
        present = exp.not_(exp.Is(this=exp.func("nullif", exp.func("trim", exp.column(column)), exp.Literal.string("")),
                                  expression=exp.null()))
        outer += [exp.alias_(exp.Count(this=exp.column(out)), f"{column}_converted"),
                  exp.alias_(exp.func("count_if", exp.and_(present, exp.Is(this=exp.column(out), expression=exp.null()))),
                             f"{column}_refused")]
    return exp.select(*outer).from_(exp.select(*inner).from_(table).subquery("v")).sql("duckdb")


def ferry_counts(con: duckdb.DuckDBPyConnection) -> dict[str, int]:
    functions.phone_e164.cache_clear()
    for name in dir(functions):  # every cached function starts cold, as in a fresh run
        clear = getattr(getattr(functions, name), "cache_clear", None)
        if callable(clear):
            clear()
    counts: dict[str, int] = {}
    for table in ("contacts", "companies"):
        cursor = con.execute(ferry_query(table))
        names = [d[0] for d in cursor.description]
        counts.update(dict(zip(names, cursor.fetchone())))
    return counts


def pandas_counts(frames: dict[str, pd.DataFrame]) -> dict[str, int]:
    counts: dict[str, int] = {}
    for table, column, kind in FIELDS:
        clean = ref.phone_e164 if kind == "phone" else ref.normalized_email
        value, problem = ref.split_result(frames[table][column].apply(clean))
        counts[f"{column}_converted"] = int(value.notna().sum())
        counts[f"{column}_refused"] = int(problem.notna().sum())
    return counts


def _timed(run: Callable[[], dict[str, int]]) -> tuple[float, float, dict[str, int]]:
    wall, cpu = time.perf_counter(), time.process_time()
    counts = run()
    return time.perf_counter() - wall, time.process_time() - cpu, counts


def measure(data: Path, repeat: int) -> dict[str, Any]:
    frames = read(data)
    con = functions.register(duckdb.connect())
    for table, frame in frames.items():
        con.register(f"{table}_frame", frame)
        con.execute(f"CREATE TABLE {table} AS SELECT * FROM {table}_frame")
    rounds: dict[str, list[tuple[float, float]]] = {"ferry": [], "pandas": []}
    counts: dict[str, dict[str, int]] = {}
    for i in range(repeat):
        for side, run in (("ferry", lambda: ferry_counts(con)), ("pandas", lambda: pandas_counts(frames))):
            wall, cpu, counts[side] = _timed(run)
            rounds[side].append((wall, cpu))
        print(f"  phones/e-mails round {i + 1}: ferry {rounds['ferry'][-1][1]:.2f} CPU s, "
              f"pandas {rounds['pandas'][-1][1]:.2f} CPU s", flush=True)
    med = {side: (statistics.median(w for w, _ in r), statistics.median(c for _, c in r)) for side, r in rounds.items()}
    return {"values": {t: len(f) for t, f in frames.items()},
            "seconds": {side: round(m[0], 3) for side, m in med.items()},
            "cpu_seconds": {side: round(m[1], 3) for side, m in med.items()},
            "ratio_cpu": round(med["pandas"][1] / med["ferry"][1], 1),
            "ratio_wall": round(med["pandas"][0] / med["ferry"][0], 1),
            "per_round_cpu": [round(p[1] / f[1], 1) for f, p in zip(rounds["ferry"], rounds["pandas"])],
            "rounds": repeat, "counts": counts, "same_counts": counts["ferry"] == counts["pandas"],
            "goal": ">= 10", "met": med["pandas"][1] / med["ferry"][1] >= 10}


def text(r: dict[str, Any]) -> str:
    lines = [f"  phones and e-mails alone ({r['values']['contacts']:,} contacts, {r['values']['companies']:,} companies;"
             f" reading in neither figure), median of {r['rounds']}:",
             f"    ferry's compiled transforms {r['cpu_seconds']['ferry']:.2f} CPU s ({r['seconds']['ferry']:.2f} s wall);"
             f" pandas .apply {r['cpu_seconds']['pandas']:.2f} CPU s ({r['seconds']['pandas']:.2f} s wall)",
             f"    pandas / ferry: CPU {r['ratio_cpu']:.1f}x {r['per_round_cpu']}, wall {r['ratio_wall']:.1f}x"
             f"  goal {r['goal']}: {'met' if r['met'] else 'NOT MET'}",
             "    same counts: " + ("yes " + json.dumps(r["counts"]["ferry"]) if r["same_counts"] else
                                    f"NO, ferry {r['counts']['ferry']} pandas {r['counts']['pandas']}")]
    return "\n".join(lines)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("data", type=Path, help="the export's data folder (contacts.csv, companies.csv)")
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    result = measure(args.data, args.repeat)
    print(text(result))
    return 0 if result["same_counts"] else 1


if __name__ == "__main__":
    sys.exit(main())
