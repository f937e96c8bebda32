"""`ferry plan`'s comparison stage against a bare DuckDB FULL OUTER JOIN with row hashes.

    python bench/plan.py [--contacts 1000000] [--repeat 3]

The spec is the example's contact entity alone (no dedup, references or phone/e-mail
normalization: the run is not what is measured here), over the generated contacts
(``bench/run.py``'s dataset, cached in bench/.data/). The target is that spec run on a
*previous* export derived from the same file: 1 in 40 contacts not there yet (inserts),
1 in 20 with another city (updates), 1 in 40 present under an extra old id (deletes),
the rest the same. So the plan sees ~1M staged rows against a ~1M-row target.

Measured in one session, alternating, median of --repeat: ferry's comparison stage
(``plan.compare``: attach both files, one FULL OUTER JOIN per entity on id with a hash
of the compared columns, counts, previous rejects/archives, samples with field-level
changes) against the floor: a fresh connection attaching both files and counting
inserts/updates/deletes with one FULL OUTER JOIN on id with the same row hashes. The
scratch run is done once and timed separately, and one whole `ferry plan --format json`
is run too for its own phase timings.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import duckdb
import yaml

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from compiler import plan as plan_module, run as run_module, validate as validation  # noqa: E402
from compiler.load import load  # noqa: E402

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
EXAMPLE = ROOT / "specs" / "legacy_crm" / "legacy_crm.yaml"
FERRY = [sys.executable, "-m", "compiler"]

CHANGE_CITY = "UPDATE prev SET city = coalesce(city, '') || ' (old)' WHERE hash(contact_id) % 20 = 1"

FLOOR = """
SELECT count(*) FILTER (WHERE t.id IS NULL), count(*) FILTER (WHERE s.id IS NULL),
       count(*) FILTER (WHERE s.h <> t.h)
FROM (SELECT id, hash({cols}) AS h FROM after.main.contact WHERE id IS NOT NULL) AS s
FULL OUTER JOIN (SELECT id, hash({cols}) AS h FROM before.main.contact WHERE id IS NOT NULL) AS t ON s.id = t.id
"""


def _load_run_bench():
    spec = importlib.util.spec_from_file_location("ferry_bench_run", HERE / "run.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def contact_spec(name: str, folder: Path, csv_path: Path) -> Path:
    spec = load(EXAMPLE).data
    contact = spec["entities"]["contact"]
    for key in ("key", "dedup", "match", "references"):
        contact.pop(key, None)
    for field in contact["fields"].values():
        if isinstance(field, dict):
            names = [t if isinstance(t, str) else next(iter(t)) for t in field.get("transforms", ())]
            if "phone" in names or "email" in names:
                field["transforms"] = ["trim", "lower"]
    spec["name"] = name
    spec["sources"] = {"contacts": {**spec["sources"]["contacts"], "path": os.path.relpath(csv_path, folder)}}
    spec["entities"] = {"contact": contact}
    spec["target"] = {"kind": "duckdb", "path": "build/target.duckdb"}
    path = folder / f"{name}.yaml"
    path.write_text(yaml.safe_dump(spec, allow_unicode=True, sort_keys=False), encoding="utf-8")
    return path


def prepare(contacts: int, seed: int) -> tuple[Path, Path, Path]:
    """(spec over the current export, its compiled folder, the target built from the previous export); cached."""
    data = _load_run_bench().dataset(contacts, seed) / "data"
    folder = HERE / ".data" / f"plan_c{contacts}_s{seed}"
    stamp = folder / ".stamp"
    key = f"{(data / 'contacts.csv').stat().st_mtime_ns} {Path(__file__).stat().st_mtime_ns}"
    out = folder / "generated"
    current = contact_spec("bench_plan", folder, data / "contacts.csv") if folder.is_dir() else None
    if stamp.is_file() and stamp.read_text() == key and current is not None:
        return current, out / "bench_plan", folder / "build" / "target.duckdb"
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    print(f"preparing the previous export and the target in {folder} ...", flush=True)
    con = duckdb.connect()
    source = str(data / "contacts.csv")
    con.execute("CREATE TABLE prev AS SELECT * FROM read_csv(?, header = true, all_varchar = true)", [source])
    con.execute(CHANGE_CITY)
    con.execute("DELETE FROM prev WHERE hash(contact_id) % 40 = 0")
    con.execute("INSERT INTO prev SELECT * REPLACE ('old-' || contact_id AS contact_id) FROM read_csv(?, "
                "header = true, all_varchar = true) WHERE hash(contact_id) % 40 = 2", [source])
    previous_csv = folder / "previous.csv"
    con.execute(f"COPY (SELECT * FROM prev) TO '{previous_csv}' (HEADER, DELIMITER ',')")
    con.close()
    previous = contact_spec("bench_plan_prev", folder, previous_csv)
    current = contact_spec("bench_plan", folder, data / "contacts.csv")
    for spec in (previous, current):
        subprocess.run([*FERRY, "compile", str(spec), "--out", str(out)], check=True, cwd=ROOT, stdout=subprocess.DEVNULL)
    t0 = time.perf_counter()
    subprocess.run([*FERRY, "run", str(previous), "--out", str(out)], check=True, cwd=ROOT, stdout=subprocess.DEVNULL)
    print(f"  target built in {time.perf_counter() - t0:.1f}s", flush=True)
    stamp.write_text(key)
    return current, out / "bench_plan", folder / "build" / "target.duckdb"


def floor(target: Path, scratch: Path, columns: list[str]) -> tuple[int, int, int]:
    con = duckdb.connect()
    try:
        con.execute(f"ATTACH '{scratch}' AS after (READ_ONLY)")
        con.execute(f"ATTACH '{target}' AS before (READ_ONLY)")
        cols = ", ".join(f'"{c}"' for c in columns)
        return con.execute(FLOOR.format(cols=cols)).fetchone()
    finally:
        con.close()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--contacts", type=int, default=1_000_000)
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()

    spec_path, compiled_dir, target = prepare(args.contacts, args.seed)
    spec = validation.to_spec(load(spec_path))
    compiled, _ = run_module.read_compiled(spec, compiled_dir)
    before = run_module.run_manifest_path(target).read_bytes()

    t0 = time.perf_counter()
    whole = subprocess.run([*FERRY, "plan", str(spec_path), "--out", str(compiled_dir.parent), "--format", "json"],
                           cwd=ROOT, capture_output=True, text=True)
    whole_seconds = time.perf_counter() - t0
    if whole.returncode != 2:
        print(whole.stderr, file=sys.stderr)
        return 1
    whole_plan = json.loads(whole.stdout)

    ferry_t, floor_t = [], []
    with tempfile.TemporaryDirectory(prefix="ferry-bench-plan-") as tmp:
        t0 = time.perf_counter()
        scratch, manifest = plan_module.scratch_run(spec, compiled_dir, target, Path(tmp))
        scratch_seconds = time.perf_counter() - t0
        columns = [c for c, in duckdb.connect(str(scratch), read_only=True).execute(
            "SELECT column_name FROM duckdb_columns() WHERE table_name = 'contact' AND schema_name = 'main' "
            "ORDER BY column_index").fetchall() if c != "id"]
        for i in range(args.repeat):
            t0 = time.perf_counter()
            entities = plan_module.compare(target, scratch, compiled, manifest, sample=5)
            ferry_t.append(time.perf_counter() - t0)
            t0 = time.perf_counter()
            bare = floor(target, scratch, columns)
            floor_t.append(time.perf_counter() - t0)
            print(f"  round {i + 1}: ferry compare {ferry_t[-1]:.2f}s  floor {floor_t[-1]:.2f}s", flush=True)
    contact = entities[0]
    assert (contact.insert, contact.delete, contact.update) == tuple(bare), (contact, bare)
    assert run_module.run_manifest_path(target).read_bytes() == before, "the plan wrote to the target"

    med_ferry, med_floor = statistics.median(ferry_t), statistics.median(floor_t)
    result = {
        "contacts": args.contacts,
        "staged_rows": manifest.entities[0].read,
        "target_rows": contact.unchanged + contact.update + contact.delete + contact.untouched,
        "insert": contact.insert, "update": contact.update, "unchanged": contact.unchanged, "delete": contact.delete,
        "compare_seconds": round(med_ferry, 3),
        "floor_full_outer_join_seconds": round(med_floor, 3),
        "ratio": round(med_ferry / med_floor, 2),
        "goal_ratio": 1.5,
        "scratch_run_seconds": round(scratch_seconds, 3),
        "whole_plan_seconds": round(whole_seconds, 3),
        "whole_plan_timings": whole_plan["timings"],
        "repeat": args.repeat,
    }
    print()
    print(f"ferry plan, {result['staged_rows']:,} staged rows against a {result['target_rows']:,}-row target "
          f"(+{contact.insert:,} ~{contact.update:,} -{contact.delete:,} ={contact.unchanged:,}), median of {args.repeat}")
    print(f"  floor: FULL OUTER JOIN on id with row hashes : {med_floor:8.2f} s")
    print(f"  ferry plan's comparison stage                : {med_ferry:8.2f} s   ({result['ratio']:.2f} x, goal <= 1.5)")
    print(f"  scratch run (copy target + run the SQL)      : {scratch_seconds:8.2f} s")
    print(f"  whole `ferry plan --format json`             : {whole_seconds:8.2f} s   "
          f"(its phases: run {whole_plan['timings']['run_in_scratch_seconds']:.2f} s, "
          f"compare {whole_plan['timings']['compare_seconds']:.2f} s)")
    results = HERE / "results"
    results.mkdir(exist_ok=True)
    (results / "plan.json").write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
