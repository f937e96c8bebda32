"""End-to-end benchmark: `ferry run` against plain DuckDB reading the same CSVs (the floor).

    python bench/run.py [--contacts 1000000] [--repeat 3]

Generates (once, cached under bench/.data/) a seeded export of the example's
shape, compiles the example spec against it, then alternates floor and ferry
runs and reports medians and the ratio ferry / floor. Absolute times on a
shared 2-core machine are noise; the ratio measured in one run is the result.

The floor loads the same files into tables of a fresh DuckDB file the plainest
way: ``read_csv`` after transcoding the cp1250 companies file to UTF-8 in a
streaming Python step (DuckDB cannot decode cp1250 itself, so any tool pays
this), ``read_json`` for the NDJSON activities, and the XML deals flattened to
CSV with pyexpat callbacks (the fastest standard-library route). The small xlsx
sheet is left out. On top of that, ferry's run hashes every input, maps,
checks, deduplicates, resolves references, writes crosswalks and accounts for
every row. Variants of the spec without phone/email normalization and without
dedup show what each costs, and the run's duplicate pairs are scored against
the generator's truth (``bench/quality.py``).
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import yaml

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from compiler.load import load  # noqa: E402

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
EXAMPLE = ROOT / "specs" / "legacy_crm" / "legacy_crm.yaml"
FERRY = [sys.executable, "-m", "compiler"]

FLOOR = """
import codecs, csv, duckdb, shutil, sys
from xml.parsers import expat
con = duckdb.connect(sys.argv[1])
d = sys.argv[2]
utf8 = sys.argv[1] + ".companies.csv"
with open(f"{d}/companies.csv", encoding="cp1250", newline="") as src, open(utf8, "w", encoding="utf-8", newline="") as dst:
    shutil.copyfileobj(src, dst, 1 << 20)
con.execute(f"CREATE TABLE companies AS SELECT * FROM read_csv('{utf8}', delim=';', header=true, all_varchar=true)")
con.execute(f"CREATE TABLE contacts AS SELECT * FROM read_csv('{d}/contacts.csv', delim=',', header=true, all_varchar=true)")
con.execute(f"CREATE TABLE activities AS SELECT * FROM read_json('{d}/activities.ndjson', format='newline_delimited')")
# deals.xml: flat records (attributes and child elements) to CSV with pyexpat callbacks, the fastest
# standard-library route, then read_csv.
COLUMNS = ["id", "stage", "title", "amount", "amount.currency", "company_id", "contact_id", "close_date", "owner_id"]
deals = sys.argv[1] + ".deals.csv"
with open(deals, "w", encoding="utf-8", newline="") as out:
    w = csv.writer(out)
    w.writerow(COLUMNS)
    rec, text, tag = None, [], None
    def start(name, attrs):
        global rec, text, tag
        if name == "deal":
            rec = dict(attrs)
        elif rec is not None:
            tag, text = name, []
            for k, v in attrs.items():
                rec[f"{name}.{k}"] = v
    def chars(data):
        text.append(data)
    def end(name):
        global rec
        if name == "deal":
            w.writerow([rec.get(c) for c in COLUMNS])
            rec = None
        elif rec is not None:
            rec[name] = "".join(text)
    p = expat.ParserCreate()
    p.buffer_text = True
    p.StartElementHandler, p.EndElementHandler, p.CharacterDataHandler = start, end, chars
    with open(f"{d}/deals.xml", "rb") as fh:
        p.ParseFile(fh)
con.execute(f"CREATE TABLE deals AS SELECT * FROM read_csv('{deals}', header=true, all_varchar=true)")
con.close()
"""


def _load(name: str):
    spec = importlib.util.spec_from_file_location(f"ferry_bench_{name}", HERE / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


quality = _load("quality")


def load_generator():
    spec = importlib.util.spec_from_file_location("ferry_bench_generate", HERE / "generate.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def dataset(contacts: int, seed: int) -> Path:
    gen = HERE / "generate.py"
    folder = HERE / ".data" / f"c{contacts}_s{seed}_xml"
    stamp = folder / ".generator-mtime"
    if stamp.is_file() and stamp.read_text() == str(gen.stat().st_mtime_ns):
        return folder
    shutil.rmtree(folder, ignore_errors=True)
    t0 = time.perf_counter()
    print(f"generating {contacts:,} contacts into {folder} ...", flush=True)
    load_generator().generate(folder / "data", contacts, seed, deals_format="xml")
    print(f"  generated in {time.perf_counter() - t0:.1f}s", flush=True)
    stamp.write_text(str(gen.stat().st_mtime_ns))
    return folder


def bench_spec(folder: Path, name: str, variant: str = "full") -> Path:
    """The example spec, pointed at the generated data, under its own name; variants drop one
    feature to measure what it costs: ``no_phone`` (phone and email normalization become
    trim/lower) and ``no_dedup`` (no dedup rules, natural keys or matching)."""
    spec = load(EXAMPLE).data  # ferry's own reader: keys such as `on` stay text
    spec["name"] = name
    spec.setdefault("target", {})["postgres"] = {"schema": "bench_ferry", "dsn_env": "FERRY_BENCH_PG_DSN"}
    for entity in spec["entities"].values():
        if variant == "no_dedup":
            for key in ("key", "dedup", "match"):
                entity.pop(key, None)
        if variant == "no_phone":
            for field in entity["fields"].values():
                if not isinstance(field, dict):
                    continue
                names = [t if isinstance(t, str) else next(iter(t)) for t in field.get("transforms", ())]
                if "phone" in names:
                    field["transforms"] = ["trim"]
                elif "email" in names:
                    field["transforms"] = ["trim", "lower"]
    path = folder / f"{name}.yaml"
    path.write_text(yaml.safe_dump(spec, allow_unicode=True, sort_keys=False), encoding="utf-8")
    return path


def timed(cmd: list[str], env: dict[str, str] | None = None) -> float:
    t0 = time.perf_counter()
    subprocess.run(cmd, check=True, cwd=ROOT, stdout=subprocess.DEVNULL, env=env)
    return time.perf_counter() - t0


def bench_postgres(spec: Path, out: Path, target: Path, repeat: int) -> dict:
    """`ferry push` against `psql \\copy` of the same records, same server, same session.

    The floor is the contact records exactly as ferry sends them (exported from the run's
    DuckDB file beforehand, untimed) copied by psql into a table with the same columns and
    no constraints. ferry's side is every step of the contact entity in a first push into an
    empty schema: its crosswalk, the records (DuckDB export streamed into COPY), the primary
    key; a second push (everything already there) is reported beside it.
    The server is $FERRY_BENCH_PG_DSN, or the throwaway cluster of .ci/start-postgres."""
    import os

    import duckdb
    dsn = os.environ.get("FERRY_BENCH_PG_DSN") or subprocess.run(
        [str(ROOT / ".ci" / "start-postgres")], capture_output=True, text=True).stdout.strip()
    if not dsn or not shutil.which("psql"):
        return {"skipped": "no PostgreSQL server or psql"}
    env = {**os.environ, "FERRY_BENCH_PG_DSN": dsn}
    records = target.with_name("contact_records.csv")
    with duckdb.connect(str(target), read_only=True) as duck:
        duck.execute(f"COPY (SELECT * FROM main.contact WHERE id IN (SELECT id FROM _ferry.contact_crosswalk "
                     f"WHERE status = 'loaded')) TO '{records}' (FORMAT csv, HEADER false)")

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
             "CREATE TABLE bench_floor.contact (LIKE bench_ferry.contact)")
        t0 = time.perf_counter()
        psql(f"\\copy bench_floor.contact FROM '{records}' CSV")
        rounds["floor"].append(time.perf_counter() - t0)
        print(f"  postgres round {i + 1}: psql \\copy {rounds['floor'][-1]:.2f}s  ferry push {rounds['push'][-1]:.2f}s "
              f"(contact steps {rounds['contact'][-1]:.2f}s; again {rounds['contact_again'][-1]:.2f}s)", flush=True)
    m = {k: statistics.median(v) for k, v in rounds.items()}
    return {"psql_copy_contacts_seconds": round(m["floor"], 3), "push_seconds": round(m["push"], 3),
            "push_contact_seconds": round(m["contact"], 3), "contact_ratio": round(m["contact"] / m["floor"], 2),
            "push_again_seconds": round(m["push_again"], 3),
            "push_again_contact_seconds": round(m["contact_again"], 3),
            "again_contact_ratio": round(m["contact_again"] / m["floor"], 2), "goal_ratio": 1.3}


VARIANTS = {
    "ferry": ("full", "ferry run (the example spec)"),
    "no_phone": ("no_phone", "without phone/email normalization"),
    "no_dedup": ("no_dedup", "without dedup rules and matching"),
}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--contacts", type=int, default=1_000_000)
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()

    folder = dataset(args.contacts, args.seed)
    specs = {key: bench_spec(folder, f"bench_{key}", variant) for key, (variant, _) in VARIANTS.items()}
    work = Path(tempfile.mkdtemp(prefix="ferry-bench-"))
    out = work / "generated"
    times: dict[str, list[float]] = {"floor": [], **{key: [] for key in VARIANTS}}
    try:
        for s in specs.values():
            subprocess.run([*FERRY, "compile", str(s), "--out", str(out)], check=True, cwd=ROOT,
                           stdout=subprocess.DEVNULL)
        for i in range(args.repeat):
            for f in work.glob("*.duckdb*"):  # includes the floor's transcoded copy
                f.unlink()
            times["floor"].append(timed([sys.executable, "-c", FLOOR, str(work / "floor.duckdb"),
                                         str(folder / "data")]))
            for key, s in specs.items():
                times[key].append(timed([*FERRY, "run", str(s), "--out", str(out),
                                         "--target", str(work / f"{key}.duckdb")]))
            print(f"  round {i + 1}: " + "  ".join(f"{k} {v[-1]:.2f}s" for k, v in times.items()), flush=True)
        manifest = json.loads((work / "ferry.run.json").read_text("utf-8"))
        scores = quality.pair_quality(work / "ferry.duckdb", folder / "data" / "truth")
        postgres = bench_postgres(specs["ferry"], out, work / "ferry.duckdb", args.repeat)
        validate = [timed([*FERRY, "validate", str(EXAMPLE)]) for _ in range(5)]
    finally:
        shutil.rmtree(work, ignore_errors=True)

    med = {k: statistics.median(v) for k, v in times.items()}
    dedup_steps = sum(s["seconds"] for s in manifest["steps"] if s["file"].endswith(("_company.sql", "_contact.sql")))
    result = {
        "contacts": args.contacts,
        "rows_read": manifest["sources"],
        "floor_seconds": round(med["floor"], 3),
        "ferry_run_seconds": round(med["ferry"], 3),
        "ratio": round(med["ferry"] / med["floor"], 2),
        "without_phones_seconds": round(med["no_phone"], 3),
        "phones_ratio": round(med["ferry"] / med["no_phone"], 2),
        "without_dedup_seconds": round(med["no_dedup"], 3),
        "dedup_ratio": round(med["ferry"] / med["no_dedup"], 2),
        "goal_dedup_ratio": 1.5,
        "dedup_quality": scores,
        "dedup_stats": manifest.get("dedup", []),
        "validate_example_seconds": round(statistics.median(validate), 3),
        "postgres": postgres,
        "steps": manifest["steps"],
        "entities": manifest["entities"],
    }
    print()
    print(f"end-to-end ferry run, {args.contacts:,} contacts (median of {args.repeat})")
    print(f"  floor (DuckDB read_csv -> tables)   : {med['floor']:8.2f} s")
    for key, (_, label) in VARIANTS.items():
        print(f"  {label:<37}: {med[key]:8.2f} s   ({med[key] / med['floor']:.2f} x floor)")
    print(f"  full / without phone/email          : {med['ferry'] / med['no_phone']:8.2f} x")
    print(f"  full / without dedup                : {med['ferry'] / med['no_dedup']:8.2f} x   (goal <= 1.5)")
    print(f"  company + contact steps (full run)  : {dedup_steps:8.2f} s")
    for entity, sc in scores.items():
        print(f"  duplicate pairs {entity:<9}: precision {sc['precision']:.4f}  recall {sc['recall']:.4f}  "
              f"F1 {sc['f1']:.4f}  ({sc['true_positives']}/{sc['truth_pairs']} true pairs, {sc['found_pairs']} found)")
    print(f"  ferry validate (example spec)       : {result['validate_example_seconds']:8.2f} s")
    if "skipped" in postgres:
        print(f"  postgres: skipped ({postgres['skipped']})")
    else:
        print(f"  psql \\copy of the contact records    : {postgres['psql_copy_contacts_seconds']:8.2f} s (floor)")
        print(f"  ferry push, contact steps (first)   : {postgres['push_contact_seconds']:8.2f} s   "
              f"({postgres['contact_ratio']:.2f} x, goal <= 1.3)")
        print(f"  ferry push, contact steps (again)   : {postgres['push_again_contact_seconds']:8.2f} s   "
              f"({postgres['again_contact_ratio']:.2f} x)")
        print(f"  ferry push, all entities + keys     : {postgres['push_seconds']:8.2f} s first, "
              f"{postgres['push_again_seconds']:.2f} s again")
    print("  slowest steps: " + ", ".join(f"{s['file']} {s['seconds']:.2f}s"
                                          for s in sorted(manifest["steps"], key=lambda s: -s["seconds"])[:4]))
    results = HERE / "results"
    results.mkdir(exist_ok=True)
    (results / "latest.json").write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
