"""`ferry push` to PostgreSQL against `psql \\copy` of the same records (``bench_postgres``).

In:  the full variant's spec, its compiled folder and the DuckDB target of its last run.
Out: medians of the push and of the floor, and their ratios (a dict for latest.json).
"""

from __future__ import annotations

import json
import os
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

import duckdb

ROOT = Path(__file__).resolve().parents[1]
FERRY = [sys.executable, "-m", "compiler"]


def timed(cmd: list[str], env: dict[str, str] | None = None) -> float:
    t0 = time.perf_counter()
    subprocess.run(cmd, check=True, cwd=ROOT, stdout=subprocess.DEVNULL, env=env)
    return time.perf_counter() - t0


def bench_postgres(spec: Path, out: Path, target: Path, repeat: int) -> dict:
    """`ferry push` against `psql \\copy` of the same records, same server, same session.

    The floor is the contact records and this spec's contact crosswalk rows exactly as ferry
    sends them on a first push (exported from the run's DuckDB file beforehand, untimed) copied by
    psql into tables with the same columns and no constraints. ferry's side is every step of the
    contact entity in a first push into an empty schema, as the push manifest times them: reading
    the server's records and resolving, its crosswalk, the records (DuckDB export streamed into
    COPY), the primary key and the ledger of what was written (a second copy of the records' values:
    the floor does not have it). The foreign keys' statements belong to no entity and are left out.
    Push again (an unchanged export right after) is compared with the same floor, a copy of
    everything, although it sends only the crosswalk rows and the records that moved (none here).
    The server is $FERRY_BENCH_PG_DSN, or the throwaway cluster of .ci/start-postgres."""
    dsn = os.environ.get("FERRY_BENCH_PG_DSN") or subprocess.run(
        [str(ROOT / ".ci" / "start-postgres")], capture_output=True, text=True).stdout.strip()
    if not dsn or not shutil.which("psql"):
        return {"skipped": "no PostgreSQL server or psql"}
    env = {**os.environ, "FERRY_BENCH_PG_DSN": dsn}
    records, crosswalk = target.with_name("contact_records.csv"), target.with_name("contact_crosswalk.csv")
    with duckdb.connect(str(target), read_only=True) as duck:
        duck.execute(f"COPY (SELECT * FROM main.contact WHERE id IN (SELECT id FROM _ferry.contact_crosswalk "
                     f"WHERE status = 'loaded')) TO '{records}' (FORMAT csv, HEADER false)")
        duck.execute(f"COPY (SELECT source, source_key, id, status, linked, spec FROM _ferry.contact_crosswalk "
                     f"WHERE spec = '{spec.stem}') TO '{crosswalk}' (FORMAT csv, HEADER false)")

    def psql(*commands: str) -> None:
        subprocess.run(["psql", dsn, "-q", "-v", "ON_ERROR_STOP=1", *(a for c in commands for a in ("-c", c))],
                       check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)

    def contact_seconds() -> float:
        steps = json.loads(target.with_name(f"{target.stem}.push.json").read_text("utf-8"))["steps"]
        return sum(s["seconds"] for s in steps if s["entity"] == "contact")

    rounds: dict[str, list[float]] = {"floor": [], "push": [], "contact": [], "push_again": [], "contact_again": []}
    for i in range(repeat):
        psql("DROP SCHEMA IF EXISTS bench_ferry CASCADE")
        rounds["push"].append(timed([*FERRY, "push", str(spec), "--out", str(out), "--target", str(target)], env))
        rounds["contact"].append(contact_seconds())
        rounds["push_again"].append(timed([*FERRY, "push", str(spec), "--out", str(out), "--target", str(target)],
                                          env))
        rounds["contact_again"].append(contact_seconds())
        psql("DROP SCHEMA IF EXISTS bench_floor CASCADE", "CREATE SCHEMA bench_floor",
             "CREATE TABLE bench_floor.contact (LIKE bench_ferry.contact)",
             "CREATE TABLE bench_floor.contact_crosswalk (LIKE bench_ferry._ferry_contact_crosswalk)")
        t0 = time.perf_counter()
        psql(f"\\copy bench_floor.contact FROM '{records}' CSV",
             f"\\copy bench_floor.contact_crosswalk FROM '{crosswalk}' CSV")
        rounds["floor"].append(time.perf_counter() - t0)
        print(f"  postgres round {i + 1}: psql \\copy {rounds['floor'][-1]:.2f}s  ferry push {rounds['push'][-1]:.2f}s "
              f"(contact steps {rounds['contact'][-1]:.2f}s; again {rounds['contact_again'][-1]:.2f}s)", flush=True)
    m = {k: statistics.median(v) for k, v in rounds.items()}
    ratios = {k: [c / f for c, f in zip(rounds[k], rounds["floor"])] for k in ("contact", "contact_again")}
    return {"rounds": repeat, "contact_ratio_min_max": [round(min(ratios["contact"]), 2), round(max(ratios["contact"]), 2)],
            "again_contact_ratio_min_max": [round(min(ratios["contact_again"]), 2),
                                            round(max(ratios["contact_again"]), 2)],"psql_copy_contacts_seconds": round(m["floor"], 3), "push_seconds": round(m["push"], 3),
            "push_contact_seconds": round(m["contact"], 3), "contact_ratio": round(m["contact"] / m["floor"], 2),
            "push_again_seconds": round(m["push_again"], 3),
            "push_again_contact_seconds": round(m["contact_again"], 3),
            "again_contact_ratio": round(m["contact_again"] / m["floor"], 2), "goal_ratio": 1.3}
