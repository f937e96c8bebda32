"""Spark row of the bench: ``ferry run --engine spark`` on local[2] against the DuckDB engine.

    python bench/spark.py [--contacts 1000000 ...] [--data DIR ...] [--repeat 1] [--master local[2]]
    python bench/spark.py --contacts 1000000 5000000     # both rows and how each engine grows (~2 h here)
    make bench BENCH_SPARK_SIZES="1000000 5000000"       # the same from make bench (default: 1000000)

The example spec over a generated export (by default bench/run.py's 1M-contact one, cached under
bench/.data/; ``--contacts 10000`` for a quick look) or an existing one (``--data``), compiled once, then each round runs both engines as their
own processes (alternating): wall time and peak RSS. From the Spark run's manifest: its
start-up (reported apart), the Spark stages per source, and the publish (the DuckDB steps over
the Parquet files; the rest of the run's wall time, outside Spark and those steps, is reading and
hashing the inputs and converting xlsx/XML). The DuckDB run's steps are summed the same way. The
two targets' tables are compared (rows, ids included) before any figure is printed; a difference
exits 1. Several sizes (``--contacts`` with several, or ``--data`` repeated) run in turn and end with
one table, a row per export, and the growth of each engine from the first export to the last.
Results: bench/.data/spark-<contacts or export folder>.json.
Skipped, with the reason, when pyspark or Java is missing (``make setup-spark``).
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import statistics
import sys
from pathlib import Path

import duckdb

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))
sys.path.insert(0, str(HERE))

from measure import measure  # noqa: E402
from variants import bench_spec  # noqa: E402

from compiler.engines.spark import session  # noqa: E402

PY = sys.executable


def _bench_run():
    spec = importlib.util.spec_from_file_location("ferry_bench_run", HERE / "run.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def differing_tables(a: Path, b: Path) -> list[str]:
    con = duckdb.connect()
    con.execute(f"ATTACH '{a}' AS a (READ_ONLY)")
    con.execute(f"ATTACH '{b}' AS b (READ_ONLY)")
    out = []
    for schema, table in con.execute("SELECT table_schema, table_name FROM information_schema.tables "
                                     "WHERE table_catalog = 'a' ORDER BY ALL").fetchall():
        if table.endswith(("_rowhash", "_rowdedup")) or table == "rowhash_runs":
            continue  # the row hashes a DuckDB run keeps for the next delta; a Spark run stores none
        columns = [c for (c,) in con.execute(
            "SELECT column_name FROM information_schema.columns WHERE table_catalog = 'a' AND table_schema = ? "
            "AND table_name = ? ORDER BY ordinal_position", [schema, table]).fetchall()
            if c not in {"_ferry_run", "manifest", "started_at"}]
        select = ", ".join(f'"{c}"' for c in columns)
        query = f'(SELECT {select} FROM a."{schema}"."{table}" EXCEPT ALL SELECT {select} FROM b."{schema}"."{table}") ' \
                f'UNION ALL (SELECT {select} FROM b."{schema}"."{table}" EXCEPT ALL SELECT {select} FROM a."{schema}"."{table}")'
        if con.execute(f"SELECT count(*) FROM ({query})").fetchone()[0]:
            out.append(f"{schema}.{table}")
    return out


def one_export(folder: Path, label: str, contacts: int | str, args: argparse.Namespace) -> dict | None:
    """Both engines on one export, ``args.repeat`` alternating rounds: the figures, or None when the tables differ."""
    spec = bench_spec(folder, "bench_spark")
    work, out = folder / "spark-work", folder / "spark-generated"
    work.mkdir(exist_ok=True)
    measure([PY, "-m", "compiler", "compile", str(spec), "--out", str(out)], HERE.parent)
    duck_target, spark_target = work / "duck.duckdb", work / "spark.duckdb"
    run = [PY, "-m", "compiler", "run", str(spec), "--out", str(out), "--full"]
    rounds: dict[str, list] = {"duckdb": [], "spark": []}
    phases: list[dict[str, float]] = []
    for _ in range(args.repeat):
        for target in (duck_target, spark_target):
            target.unlink(missing_ok=True)
        rounds["duckdb"].append(measure([*run, "--target", str(duck_target)], HERE.parent))
        rounds["spark"].append(measure([*run, "--target", str(spark_target), "--engine", "spark",
                                        "--master", args.master], HERE.parent))
        manifest = json.loads(spark_target.with_name("spark.run.json").read_text("utf-8"))
        phases.append({s["file"].removeprefix("spark: "): s["seconds"] for s in manifest["steps"]
                       if s["file"].startswith("spark: ")})
        phases[-1]["publish steps"] = round(sum(s["seconds"] for s in manifest["steps"]
                                                if not s["file"].startswith("spark: ")), 1)
        duck_manifest = json.loads(duck_target.with_name("duck.run.json").read_text("utf-8"))
        phases[-1]["duckdb steps"] = round(sum(s["seconds"] for s in duck_manifest["steps"]), 1)
    differ = differing_tables(duck_target, spark_target)
    if differ:
        print(f"{label}: the engines' tables differ: {', '.join(differ)}")
        return None
    duck = statistics.median(m.seconds for m in rounds["duckdb"])
    spark = statistics.median(m.seconds for m in rounds["spark"])
    start = statistics.median(p["start-up"] for p in phases)
    computed = statistics.median(p["spark"] for p in phases)
    summary = folder / "data" / "truth" / "summary.json"
    rows = sum(json.loads(summary.read_text("utf-8"))["rows"].values()) if summary.is_file() else None
    result = {"contacts": contacts, "rows": rows, "master": args.master, "rounds": args.repeat,
              "duckdb_s": round(duck, 1), "spark_s": round(spark, 1), "spark_startup_s": round(start, 1),
              "spark_stages_s": round(computed - start, 1), "publish_s": round(spark - computed, 1),
              "ratio_without_startup": round((spark - start) / duck, 2),
              # user + system of each run's process tree; Spark's JVM is not reaped by the run, so not counted
              "cpu_s_jvm_not_counted": {k: round(statistics.median(m.cpu_seconds for m in v), 1)
                                        for k, v in rounds.items()},
              "peak_gib": {k: round(max(m.peak_gib for m in v), 2) for k, v in rounds.items()},
              "per_source_s": phases[-1]}
    print(json.dumps(result, indent=2), flush=True)
    (HERE / ".data" / f"spark-{label}.json").write_text(json.dumps(result, indent=2))
    return result


def table(results: dict[str, dict]) -> str:
    """The Spark rows of the bench, one per export, and how each engine grew from the first to the last."""
    head = f"{'export':<28} {'rows':>11} {'DuckDB s':>9} {'Spark s':>9} {'start-up':>9} {'stages':>8} " \
           f"{'publish':>8} {'ratio*':>7}"
    lines = [f"Spark engine ({next(iter(results.values()))['master']}) against the DuckDB engine, wall seconds "
             "(median of the rounds); ratio* = (Spark - start-up) / DuckDB", head]
    for label, r in results.items():
        rows = f"{r['rows']:,}" if r["rows"] else "?"
        lines.append(f"{label:<28} {rows:>11} {r['duckdb_s']:>9.1f} {r['spark_s']:>9.1f} {r['spark_startup_s']:>9.1f} "
                     f"{r['spark_stages_s']:>8.1f} {r['publish_s']:>8.1f} {r['ratio_without_startup']:>6.2f}x")
    if len(results) > 1:
        (a_label, a), (b_label, b) = list(results.items())[0], list(results.items())[-1]
        grew = lambda key: f"{b[key] / a[key]:.2f}x" if a[key] else "?"  # noqa: E731
        rows = f"{b['rows'] / a['rows']:.2f}x rows" if a["rows"] and b["rows"] else "rows ?"
        lines.append(f"growth {a_label} -> {b_label} ({rows}): DuckDB {grew('duckdb_s')}, Spark without start-up "
                     f"{(b['spark_s'] - b['spark_startup_s']) / (a['spark_s'] - a['spark_startup_s']):.2f}x "
                     f"(stages {grew('spark_stages_s')}, publish {grew('publish_s')})")
    return "\n".join(lines)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--contacts", type=int, nargs="+", default=[],
                        help="generated exports of these sizes (bench/run.py's generator); default 1000000")
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument("--data", type=Path, action="append", default=[],
                        help="an existing export's data folder, instead of generating one (repeatable)")
    parser.add_argument("--repeat", type=int, default=1)
    parser.add_argument("--master", default="local[2]")
    args = parser.parse_args()
    reason = session.unavailable()
    if reason is not None:
        print(f"bench/spark.py skipped: {reason}")
        return 0
    bench = _bench_run()
    exports = [(bench.dataset(n, args.seed), str(n), n) for n in args.contacts or ([] if args.data else [1_000_000])]
    exports += [(bench.linked_dataset(d), d.resolve().parent.name, str(d)) for d in args.data]
    results: dict[str, dict] = {}
    for folder, label, contacts in exports:
        result = one_export(folder, label, contacts, args)
        if result is None:
            return 1
        results[label] = result
    print()
    print(table(results))
    return 0


if __name__ == "__main__":
    sys.exit(main())
