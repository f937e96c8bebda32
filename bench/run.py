"""End-to-end benchmark: ferry against the floor, a hand-written DuckDB script and a pandas script.

    python bench/run.py [--contacts 1000000] [--repeat 3] [--pandas-repeat 1] [--data DIR]

Generates (once, cached under bench/.data/) a seeded export of the example's shape
(``bench/generate.py``), or links an existing one (``--data``), writes the bench's
specs (``bench/variants.py``) and compiles them, then runs, alternating in each
round, every figure as its own process (wall time and peak RSS, ``bench/measure.py``):

- ``floor``: the files loaded into tables the plainest way (``bench/floor.py``), deals from XML
  included; ``floor3``: the same for the hand-written script's three files only;
- ``hand``: the hand-written DuckDB script for the issue's first row (``reference_duckdb.sql``);
- ``same``: ferry doing that same cleaning (the ``same_cleaning`` variant);
- ``full``: ferry running the example spec;
- ``pandas``: the pandas script with phonenumbers and email-validator (``reference_pandas.py``),
  in the first ``--pandas-repeat`` rounds only (it is the slowest figure by far);
- with ``--variants``, ``no_phone`` / ``no_dedup``: the example without phone/e-mail normalization
  or without dedup (what each costs; left out by default to keep the run short).

Before any ratio is printed, ``bench/compare.py`` checks that the references produced
ferry's records: the hand-written script's tables against the same-cleaning run (counts,
ids, a seeded sample of values), the pandas script's refused values and sampled values
against the full run. A mismatch is printed and the bench exits 1 (after writing results).
Then: duplicate-pair quality (``bench/quality.py``), PostgreSQL push (``bench/postgres.py``),
XML records/s (``bench/xmlrate.py``), ``ferry validate`` against a bare ``import compiler``, and the
phones and e-mails alone: ferry's compiled transforms against the pandas script's ``.apply`` on the same
values (``bench/phones_emails.py``; the whole-run ratio cannot show the issue's 10x, as the pandas script
is only ~8x the time of reading the files).

Absolute times on a shared 2-core machine are noise; the ratios of one run's alternating
rounds are the result (medians, with min and max). At the default 1M contacts the whole run
takes 15 to 30 minutes, as busy as the machine is (``--repeat``, ``--no-postgres`` shorten it). ``--contacts 5000000`` (for peak RSS at 5M) first generates the
export (a few minutes, 2.6 GB under bench/.data/); ``--repeat 1 --pandas-repeat 0
--no-postgres`` keeps the rest short.
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

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path[:0] = [str(HERE), str(ROOT)]
import compare  # noqa: E402
import postgres  # noqa: E402
import quality  # noqa: E402
import report  # noqa: E402
from measure import Measured, measure  # noqa: E402
from variants import EXAMPLE, bench_spec  # noqa: E402

PY = sys.executable
FERRY = [PY, "-m", "compiler"]


def load_generator():
    spec = importlib.util.spec_from_file_location("ferry_bench_generate", HERE / "generate.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def dataset(contacts: int, seed: int) -> Path:
    """The export's folder (``data/`` inside), generated unless cached for this generate.py."""
    gen = HERE / "generate.py"
    folder = HERE / ".data" / f"c{contacts}_s{seed}_xml"
    stamp = folder / ".generator-mtime"
    if stamp.is_file() and stamp.read_text() == str(gen.stat().st_mtime_ns):
        return folder
    shutil.rmtree(folder, ignore_errors=True)
    t0 = time.perf_counter()
    print(f"generating {contacts:,} contacts into {folder} ...", flush=True)
    load_generator().generate(folder / "data", contacts, seed, deals_format="xml", people=True)
    print(f"  generated in {time.perf_counter() - t0:.1f}s", flush=True)
    stamp.write_text(str(gen.stat().st_mtime_ns))
    return folder


def linked_dataset(data: Path) -> Path:
    """A folder under bench/.data whose ``data/`` holds hard links to an existing export's files
    (copies where linking fails), so the specs can sit beside it without writing into ``data``."""
    data = data.resolve()
    folder = HERE / ".data" / f"linked_{data.parent.name}_{data.name}"
    for path in sorted(data.rglob("*")):
        if path.is_file():
            link = folder / "data" / path.relative_to(data)
            if link.exists() and link.stat().st_size == path.stat().st_size:
                continue
            link.parent.mkdir(parents=True, exist_ok=True)
            link.unlink(missing_ok=True)
            try:
                os.link(path, link)
            except OSError:
                shutil.copy2(path, link)
    return folder


def figures(specs: dict[str, Path], data: Path, work: Path, out: Path) -> dict[str, list[str]]:
    """Figure -> the command that makes it, each writing its own ``work/<figure>.duckdb``."""
    def ferry(key: str) -> list[str]:
        return [*FERRY, "run", str(specs[key]), "--out", str(out), "--target", str(work / f"{key}.duckdb")]

    commands = {
        "floor": [PY, str(HERE / "floor.py"), str(work / "floor.duckdb"), str(data)],
        "floor3": [PY, str(HERE / "floor.py"), str(work / "floor3.duckdb"), str(data), "--no-deals"],
        "hand": [PY, str(HERE / "reference_duckdb.py"), str(work / "hand.duckdb"), str(data)],
        "same": ferry("same"),
        "full": ferry("full"),
        "pandas": [PY, str(HERE / "reference_pandas.py"), str(work / "pandas.duckdb"), str(data)],
    }
    return commands | {key: ferry(key) for key in specs if key not in commands}


def run_rounds(commands: dict[str, list[str]], work: Path, repeat: int, pandas_repeat: int) -> dict[str, list[Measured]]:
    """Every figure once per round, in order, ``repeat`` rounds (pandas in the first ``pandas_repeat``)."""
    rounds: dict[str, list[Measured]] = {key: [] for key in commands}
    for i in range(repeat):
        for key, cmd in commands.items():
            if key == "pandas" and i >= pandas_repeat:
                continue
            for old in work.glob(f"{key}.duckdb*"):  # the target, its WAL, the floor's scratch copies
                old.unlink()
            rounds[key].append(measure(cmd, ROOT))
            if key == "full" and (work / "full.run.json").is_file():  # its steps' seconds, per round
                shutil.copy(work / "full.run.json", work / f"full.run.{i}.json")
        print(f"  round {i + 1}: " + "  ".join(f"{k} {v[-1].seconds:.1f}s/{v[-1].peak_gib:.2f}G"
                                             for k, v in rounds.items() if len(v) > i), flush=True)
    return {key: values for key, values in rounds.items() if values}


def cleaning_alone(compiled: Path, full_run: Path, phases: dict[str, float]) -> dict | None:
    """The phones, e-mails, dates and NIP work alone: the pandas script's two clean phases (reading the files
    and writing the tables left out) against the full run's steps that read the companies and contacts
    sources (their mapping, checks, dedup and loading, and DuckDB's reading of those files, which happens
    inside these steps), in the round the pandas script ran in. Wall seconds, as the phases are timed."""
    if not phases or not full_run.is_file() or not compiled.is_file():
        return None
    reads = {f["name"]: f["reads"] for f in json.loads(compiled.read_text("utf-8"))["files"]}
    steps = [s for s in json.loads(full_run.read_text("utf-8"))["steps"]
             if reads.get(s["file"]) in ("companies", "contacts")]
    pandas_seconds = sum(v for k, v in phases.items() if k.startswith("clean "))
    ferry_seconds = sum(s["seconds"] for s in steps)
    if not steps or not pandas_seconds or not ferry_seconds:
        return None
    return {"pandas_clean_seconds": round(pandas_seconds, 3), "ferry_steps_seconds": round(ferry_seconds, 3),
            "ferry_steps": [s["file"] for s in steps], "ratio": round(pandas_seconds / ferry_seconds, 2),
            "goal": ">= 10", "met": pandas_seconds / ferry_seconds >= 10}


def check_records(work: Path, data: Path, ran: set[str]) -> dict:
    """The references' records against ferry's (``bench/compare.py``), for the figures that ran."""
    checks = {}
    if {"hand", "same"} <= ran:
        checks["same_cleaning"] = compare.same_cleaning(work / "hand.duckdb", work / "same.duckdb")
    if {"pandas", "full"} <= ran:
        checks["pandas"] = compare.pandas_script(work / "pandas.duckdb", work / "full.duckdb", data)
    return checks


def pandas_phases(pandas_target: Path) -> dict[str, float]:
    """Where the pandas script's last run spent its time (its ``timings`` table), or {} if it did not run."""
    if not pandas_target.exists():
        return {}
    with duckdb.connect(str(pandas_target), read_only=True) as con:
        return {phase: round(seconds, 2) for phase, seconds in con.execute("SELECT * FROM timings").fetchall()}


def xml_rounds(spec: Path, xml: Path, work: Path, repeat: int) -> dict[str, list[dict]]:
    """ferry's XML conversion and the pyexpat loop, alternating (``bench/xmlrate.py``)."""
    rounds: dict[str, list[dict]] = {"ferry": [], "pyexpat": []}
    for _ in range(repeat):
        for kind, args in (("ferry", [str(spec), "deals"]), ("pyexpat", [str(xml)])):
            scratch = Path(tempfile.mkdtemp(prefix="xml-", dir=work))
            done = subprocess.run([PY, str(HERE / "xmlrate.py"), kind, *args, str(scratch)], check=True, cwd=ROOT,
                                  capture_output=True, text=True)
            rounds[kind].append(json.loads(done.stdout))
            shutil.rmtree(scratch)
    return rounds


def startup_rounds(repeat: int = 5) -> dict[str, list[Measured]]:
    """`ferry validate` on the example against a bare interpreter importing ``compiler`` (and its CLI)."""
    commands = {"validate": [*FERRY, "validate", str(EXAMPLE)],
                "import_compiler": [PY, "-c", "import compiler"],
                "import_cli": [PY, "-c", "import compiler.cli"]}
    rounds: dict[str, list[Measured]] = {key: [] for key in commands}
    for _ in range(repeat):
        for key, cmd in commands.items():
            rounds[key].append(measure(cmd, ROOT))
    return rounds


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--contacts", type=int, default=1_000_000)
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument("--repeat", type=int, default=3, help="rounds of every figure but pandas")
    parser.add_argument("--pandas-repeat", type=int, default=1, help="rounds with the pandas script (0: none)")
    parser.add_argument("--data", type=Path, help="an existing export's data folder, instead of generating one")
    parser.add_argument("--variants", action="store_true", help="also run the no_phone and no_dedup variants")
    parser.add_argument("--no-postgres", action="store_true", help="leave out the PostgreSQL push")
    args = parser.parse_args()

    folder = linked_dataset(args.data) if args.data else dataset(args.contacts, args.seed)
    contacts = json.loads((folder / "data" / "truth" / "summary.json").read_text("utf-8"))["rows"]["contacts"]
    variants = ("same_cleaning", "full") + (("no_phone", "no_dedup") if args.variants else ())
    specs = {("same" if v == "same_cleaning" else v): bench_spec(folder, f"bench_{v}", v) for v in variants}
    work = Path(tempfile.mkdtemp(prefix="ferry-bench-"))
    out = work / "generated"
    try:
        for s in specs.values():
            subprocess.run([*FERRY, "compile", str(s), "--out", str(out)], check=True, cwd=ROOT,
                           stdout=subprocess.DEVNULL)
        rounds = run_rounds(figures(specs, folder / "data", work, out), work, args.repeat, args.pandas_repeat)
        checks = check_records(work, folder / "data", set(rounds))
        phases = pandas_phases(work / "pandas.duckdb")
        manifest = json.loads((work / "full.run.json").read_text("utf-8"))
        cleaning = cleaning_alone(out / "bench_full" / "manifest.json", work / "full.run.0.json", phases)
        scores = quality.pair_quality(work / "full.duckdb", folder / "data" / "truth")
        pg = {"skipped": "--no-postgres"} if args.no_postgres else \
            postgres.bench_postgres(specs["full"], out, work / "full.duckdb", args.repeat)
        xml = xml_rounds(specs["full"], folder / "data" / "deals.xml", work, args.repeat)
        startup = startup_rounds()
        # The phones and e-mails alone, against the pandas .apply (skipped with --pandas-repeat 0).
        alone = None
        if args.pandas_repeat:
            import phones_emails  # pandas: installed by make bench only (tests import this module)
            alone = phones_emails.measure(folder / "data", max(args.pandas_repeat, 2))
    finally:
        shutil.rmtree(work, ignore_errors=True)

    result = report.result(contacts, rounds, checks, manifest, scores, pg, xml, startup, phases, cleaning)
    print()
    result["phones_emails_alone"] = alone
    print(report.text(result))
    if alone:
        print(sys.modules["phones_emails"].text(alone))
    results = HERE / "results"
    results.mkdir(exist_ok=True)
    (results / "latest.json").write_text(json.dumps(result, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    if alone and not alone["same_counts"]:
        print("\nPHONE/E-MAIL COUNTS DIFFER between ferry's transforms and the pandas script (see "
              "'phones_emails_alone' in bench/results/latest.json).", file=sys.stderr)
        return 1
    if not all(c["ok"] for c in checks.values()):
        print("\nRECORDS DIFFER: the references did not produce ferry's records (see 'checks' in "
              "bench/results/latest.json); the ratios above compare different work.", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
