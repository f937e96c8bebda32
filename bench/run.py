"""End-to-end benchmark: `ferry run` against plain DuckDB reading the same CSVs (the floor).

    python bench/run.py [--contacts 1000000] [--repeat 3]

Generates (once, cached under bench/.data/) a seeded export of the example's
shape, compiles the example spec against it, then alternates floor and ferry
runs and reports medians and the ratio ferry / floor. Absolute times on a
shared 2-core machine are noise; the ratio measured in one run is the result.

The floor reads the three CSVs into tables of a fresh DuckDB file with
``read_csv``, after transcoding the cp1250 companies file to UTF-8 in a
streaming Python step (DuckDB cannot decode cp1250 itself, so any tool pays
this). On top of that, ferry's run hashes every input, maps, checks, merges,
resolves references, writes crosswalks and accounts for every row.
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

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
EXAMPLE = ROOT / "specs" / "legacy_crm" / "legacy_crm.yaml"
FERRY = [sys.executable, "-m", "compiler"]

FLOOR = """
import codecs, duckdb, shutil, sys
con = duckdb.connect(sys.argv[1])
d = sys.argv[2]
utf8 = sys.argv[1] + ".companies.csv"
with open(f"{d}/companies.csv", encoding="cp1250", newline="") as src, open(utf8, "w", encoding="utf-8", newline="") as dst:
    shutil.copyfileobj(src, dst, 1 << 20)
con.execute(f"CREATE TABLE companies AS SELECT * FROM read_csv('{utf8}', delim=';', header=true, all_varchar=true)")
con.execute(f"CREATE TABLE contacts AS SELECT * FROM read_csv('{d}/contacts.csv', delim=',', header=true, all_varchar=true)")
con.execute(f"CREATE TABLE deals AS SELECT * FROM read_csv('{d}/deals.csv', delim=',', header=true, all_varchar=true)")
con.close()
"""


def load_generator():
    spec = importlib.util.spec_from_file_location("ferry_bench_generate", HERE / "generate.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def dataset(contacts: int, seed: int) -> Path:
    gen = HERE / "generate.py"
    folder = HERE / ".data" / f"c{contacts}_s{seed}"
    stamp = folder / ".generator-mtime"
    if stamp.is_file() and stamp.read_text() == str(gen.stat().st_mtime_ns):
        return folder
    shutil.rmtree(folder, ignore_errors=True)
    t0 = time.perf_counter()
    print(f"generating {contacts:,} contacts into {folder} ...", flush=True)
    load_generator().generate(folder / "data", contacts, seed)
    print(f"  generated in {time.perf_counter() - t0:.1f}s", flush=True)
    stamp.write_text(str(gen.stat().st_mtime_ns))
    return folder


PHONE = "transforms: [{phone: {region: PL, fallback: [DE, FR, UA]}}]"
EMAIL = "transforms: [email, lower]"


def bench_spec(folder: Path, name: str, phones: bool = True) -> Path:
    """The example spec, pointed at the generated data, under its own name (optionally without
    phone and email normalization, to measure what phonenumbers and email-validator cost)."""
    text = EXAMPLE.read_text("utf-8").replace("name: legacy_crm", f"name: {name}")
    assert PHONE in text and EMAIL in text, "the example spec no longer normalizes phones/emails as expected"
    if not phones:
        text = text.replace(PHONE, "transforms: [trim]").replace(EMAIL, "transforms: [trim, lower]")
    path = folder / f"{name}.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def timed(cmd: list[str]) -> float:
    t0 = time.perf_counter()
    subprocess.run(cmd, check=True, cwd=ROOT, stdout=subprocess.DEVNULL)
    return time.perf_counter() - t0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--contacts", type=int, default=1_000_000)
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()

    folder = dataset(args.contacts, args.seed)
    spec = bench_spec(folder, "bench_legacy_crm")
    spec_no_phone = bench_spec(folder, "bench_no_phone", phones=False)
    work = Path(tempfile.mkdtemp(prefix="ferry-bench-"))
    out = work / "generated"
    try:
        for s in (spec, spec_no_phone):
            subprocess.run([*FERRY, "compile", str(s), "--out", str(out)], check=True, cwd=ROOT,
                           stdout=subprocess.DEVNULL)
        floor, ferry, no_phone = [], [], []
        for i in range(args.repeat):
            for f in work.glob("*.duckdb*"):  # includes the floor's transcoded copy
                f.unlink()
            floor.append(timed([sys.executable, "-c", FLOOR, str(work / "floor.duckdb"), str(folder / "data")]))
            ferry.append(timed([*FERRY, "run", str(spec), "--out", str(out), "--target", str(work / "ferry.duckdb")]))
            no_phone.append(timed([*FERRY, "run", str(spec_no_phone), "--out", str(out),
                                   "--target", str(work / "no_phone.duckdb")]))
            print(f"  round {i + 1}: floor {floor[-1]:.2f}s  ferry run {ferry[-1]:.2f}s  "
                  f"without phone/email {no_phone[-1]:.2f}s", flush=True)
        manifest = json.loads((work / "ferry.run.json").read_text("utf-8"))
        validate = [timed([*FERRY, "validate", str(EXAMPLE)]) for _ in range(5)]
    finally:
        shutil.rmtree(work, ignore_errors=True)

    f_med, r_med, n_med = statistics.median(floor), statistics.median(ferry), statistics.median(no_phone)
    result = {
        "contacts": args.contacts,
        "rows_read": manifest["sources"],
        "floor_seconds": round(f_med, 3),
        "ferry_run_seconds": round(r_med, 3),
        "ratio": round(r_med / f_med, 2),
        "goal_ratio": 2.0,
        "without_phones_seconds": round(n_med, 3),
        "phones_ratio": round(r_med / n_med, 2),
        "validate_example_seconds": round(statistics.median(validate), 3),
        "steps": manifest["steps"],
        "entities": manifest["entities"],
    }
    print()
    print(f"end-to-end ferry run, {args.contacts:,} contacts (median of {args.repeat})")
    print(f"  floor (DuckDB read_csv -> tables): {f_med:8.2f} s")
    print(f"  ferry run                        : {r_med:8.2f} s")
    print(f"  ratio                            : {r_med / f_med:8.2f} x   (goal <= 2.0)")
    print(f"  ferry run without phone/email    : {n_med:8.2f} s")
    print(f"  full / without phone/email       : {r_med / n_med:8.2f} x   (what phone and email normalization cost)")
    print(f"  ferry validate (example spec)    : {result['validate_example_seconds']:8.2f} s")
    print("  slowest steps: " + ", ".join(f"{s['file']} {s['seconds']:.2f}s"
                                          for s in sorted(manifest["steps"], key=lambda s: -s["seconds"])[:4]))
    results = HERE / "results"
    results.mkdir(exist_ok=True)
    (results / "latest.json").write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
