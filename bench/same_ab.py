"""The same-cleaning figure for two checkouts of ferry, alternating, beside the hand-written script.

    python bench/same_ab.py DATA_DIR BEFORE_ROOT [AFTER_ROOT] [--rounds 2]

For a change to the compiled SQL: each checkout (its own ``.venv``) compiles the bench's
``same_cleaning`` spec and runs it on the export in ``DATA_DIR``; the hand-written DuckDB script
(``reference_duckdb.py``) runs beside them. The three run in alternating order, round by round,
each in its own process (``measure``: wall, CPU seconds, peak RSS); the medians of CPU seconds are
the ratios printed. Then the two targets are compared table by table (``EXCEPT ALL`` both ways,
run ids and times aside): a change that is only faster leaves every row as it was.

Measured (session 10, 1M export, 2 rounds, load 7-15 on 2 cores): the date transform parsed once
(main 988845b -> xml14): ferry 23.37 CPU s median (22.30-24.44) -> 21.53 (21.15-21.91), the
hand-written script 7.77 (7.62-7.93): 3.01x -> 2.77x; every table the same. The contact step's
main statement alone (``_ferry_rows_contact``, over the staged 1M rows in a table, 4 alternating
rounds in one process): 3.00 CPU s median (2.80-3.27) -> 2.11 (1.97-2.22). At 300k (1 round) the
whole run moved 7.99 -> 7.92 CPU s: within the noise of a shared machine.
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path[:0] = [str(HERE)]

from measure import measure  # noqa: E402
from run import linked_dataset  # noqa: E402
from variants import bench_spec  # noqa: E402

#: Columns that name a run or a moment: they differ between any two runs.
_PER_RUN = {"_ferry_run", "run", "run_id", "started_at", "finished_at", "seconds", "manifest", "at", "loaded_at"}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("data", type=Path)
    parser.add_argument("before", type=Path)
    parser.add_argument("after", type=Path, nargs="?", default=HERE.parent)
    parser.add_argument("--rounds", type=int, default=2)
    args = parser.parse_args()
    folder = linked_dataset(args.data)
    spec = bench_spec(folder, "bench_same_cleaning", "same_cleaning")
    work = folder / "same_ab"
    work.mkdir(exist_ok=True)
    roots = {"before": args.before.resolve(), "after": args.after.resolve()}
    for key, root in roots.items():
        subprocess.run([str(root / ".venv/bin/python"), "-m", "compiler", "compile", str(spec), "--out", str(work / key)],
                       cwd=root, check=True, capture_output=True)
    commands = {"hand": ([sys.executable, str(HERE / "reference_duckdb.py"), str(work / "hand.duckdb"), str(folder / "data")],
                         HERE.parent)}
    commands |= {key: ([str(root / ".venv/bin/python"), "-m", "compiler", "run", str(spec), "--out", str(work / key),
                        "--target", str(work / f"{key}.duckdb")], root) for key, root in roots.items()}
    cpu: dict[str, list[float]] = {key: [] for key in commands}
    for r in range(args.rounds):
        for key in (list(commands) if r % 2 == 0 else list(commands)[::-1]):
            for old in work.glob(f"{key}.duckdb*"):
                old.unlink()
            m = measure(*commands[key])
            cpu[key].append(m.cpu_seconds)
            print(f"round {r + 1} {key:6} {m.seconds:6.1f} s wall {m.cpu_seconds:6.1f} CPU s {m.peak_gib:.2f} GiB", flush=True)
    for key, values in cpu.items():
        print(f"{key:6} CPU s median {statistics.median(values):.2f} (min {min(values):.2f}, max {max(values):.2f})")
    hand = statistics.median(cpu["hand"])
    print("  ".join(f"{key}: {statistics.median(cpu[key]) / hand:.2f}x the hand-written script" for key in roots))
    print(f"tables that differ: {differing(work / 'before.duckdb', work / 'after.duckdb') or 'none'}")


def differing(before: Path, after: Path) -> list[str]:
    """Tables of ``before`` whose rows (per-run columns aside) are not exactly those of ``after``."""
    import duckdb

    con = duckdb.connect()
    con.execute(f"ATTACH '{before}' AS b (READ_ONLY)")
    con.execute(f"ATTACH '{after}' AS a (READ_ONLY)")
    tables = con.execute("SELECT table_schema, table_name FROM information_schema.tables "
                         "WHERE table_catalog = 'b' AND table_type = 'BASE TABLE' ORDER BY 1, 2").fetchall()
    out = []
    for schema, table in tables:
        columns = [c for (c,) in con.execute("SELECT column_name FROM information_schema.columns WHERE table_catalog = 'b' "
                                             "AND table_schema = ? AND table_name = ? ORDER BY ordinal_position",
                                             [schema, table]).fetchall() if c not in _PER_RUN]
        listed = ", ".join(f'"{c}"' for c in columns)
        name = f'"{schema}"."{table}"'
        query = (f"SELECT count(*) FROM (SELECT {listed} FROM b.{name} EXCEPT ALL SELECT {listed} FROM a.{name}) "
                 f"UNION ALL SELECT count(*) FROM (SELECT {listed} FROM a.{name} EXCEPT ALL SELECT {listed} FROM b.{name})")
        if any(n for (n,) in con.execute(query).fetchall()):
            out.append(f"{schema}.{table}")
    return out


if __name__ == "__main__":
    main()
