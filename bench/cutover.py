"""Cutover bench (issue 17): the first run, a full re-run and the delta run of a second export.

    python bench/cutover.py [--data DIR | --contacts 1000000 --seed 2026] [--repeat 1] [--cutover-seed 17]

In:  a bench export (``--data``, e.g. /work/benchdata/c1000000_s2026_xml/data, read only and
     hard-linked; or the one ``bench/run.py`` generates and caches), and its second export
     (``bench/cutover_export.py``: 1% of the rows changed, 0.5% new, 0.5% gone; written once into
     ``bench/.data/cutover_<name>_s<seed>/export2``).
Out: per figure, alternating in each round, CPU (user + system), wall time and peak RSS of the
     ``ferry run`` process (``bench/measure.py``), and the rows per entity from each run's manifest;
     ``bench/results/cutover.json``.

The figures share one spec (the example, named ``bench_cutover``) compiled once; ``data`` beside it
is a link switched between the two exports, so every run reads the same paths:
- ``first``: export 1 into a fresh target;
- ``full``: export 2 into a fresh target (a full re-run);
- ``delta``: export 2 into a copy of this round's ``first`` target (and its run manifest).

The harness calls the CLI, so it works against any ferry. A ferry without delta runs replaces its
own records on an existing target: then ``delta`` measures that re-run, and the output says so
(it looks for delta counts in the delta run's manifest).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path[:0] = [str(HERE), str(ROOT)]
import cutover_export  # noqa: E402
from measure import Measured, measure  # noqa: E402
from variants import bench_spec  # noqa: E402

PY = sys.executable
FERRY = [PY, "-m", "compiler"]
NAME = "bench_cutover"
FILES = ("companies.csv", "contacts.csv", "deals.xml", "owners.xlsx", "activities.ndjson")
#: Manifest keys a delta run adds (the ``delta`` branch's names, and plausible others).
DELTA_KEYS = ("inserted", "updated", "unchanged", "gone", "conflicts", "deleted", "kept")


def _link_export(data: Path, folder: Path) -> Path:
    """``folder`` with hard links to ``data``'s files (copies where linking fails); never writes ``data``."""
    folder.mkdir(parents=True, exist_ok=True)
    for name in FILES:
        link = folder / name
        if link.exists() and link.stat().st_size == (data / name).stat().st_size:
            continue
        link.unlink(missing_ok=True)
        try:
            os.link(data / name, link)
        except OSError:
            shutil.copy2(data / name, link)
    return folder


def prepare(data: Path, seed: int) -> Path:
    """The bench folder: export1 (links), export2 (written once), the spec, ``data`` -> export1."""
    data = data.resolve()
    folder = HERE / ".data" / f"cutover_{data.parent.name}_{data.name}_s{seed}"
    _link_export(data, folder / "export1")
    done = folder / "export2" / "truth" / "cutover.json"
    if not done.is_file():
        shutil.rmtree(folder / "export2", ignore_errors=True)
        t0 = time.perf_counter()
        print(f"writing the second export into {folder / 'export2'} ...", flush=True)
        cutover_export.write(folder / "export1", folder / "export2.tmp", seed)
        (folder / "export2.tmp").rename(folder / "export2")
        print(f"  written in {time.perf_counter() - t0:.1f}s", flush=True)
    use(folder, "export1")
    bench_spec(folder, NAME)
    return folder


def use(folder: Path, export: str) -> None:
    """Point ``folder/data`` at ``export`` (a relative symlink, replaced atomically)."""
    tmp = folder / "data.new"
    tmp.unlink(missing_ok=True)
    tmp.symlink_to(export, target_is_directory=True)
    os.replace(tmp, folder / "data")


def _run(folder: Path, out: Path, target: Path) -> list[str]:
    return [*FERRY, "run", str(folder / f"{NAME}.yaml"), "--out", str(out), "--target", str(target)]


def _fresh(target: Path) -> None:
    for old in target.parent.glob(f"{target.stem}.*"):  # the target, its WAL, its run manifest
        old.unlink()


def one_round(folder: Path, out: Path, work: Path) -> dict[str, tuple[Measured, dict]]:
    """first, full, delta once each; (measurement, run manifest) per figure."""
    done: dict[str, tuple[Measured, dict]] = {}
    for figure, export in (("first", "export1"), ("full", "export2"), ("delta", "export2")):
        target = work / f"{figure}.duckdb"
        _fresh(target)
        if figure == "delta":  # the first run's target and manifest, copied (not timed)
            shutil.copyfile(work / "first.duckdb", target)
            shutil.copyfile(work / "first.run.json", work / "delta.run.json")
        use(folder, export)
        measured = measure(_run(folder, out, target), ROOT)
        done[figure] = measured, json.loads((work / f"{figure}.run.json").read_text("utf-8"))
        print(f"  {figure}: {measured.cpu_seconds:.1f} CPU s, {measured.seconds:.1f} s wall, "
              f"{measured.peak_gib:.2f} GiB", flush=True)
    use(folder, "export1")
    return done


def rows(manifest: dict) -> dict[str, dict[str, int]]:
    """entity -> its counts in the manifest (every integer the entity's entry holds)."""
    return {e["entity"]: {k: v for k, v in e.items() if isinstance(v, int) and not isinstance(v, bool)}
            for e in manifest.get("entities", ())}


def is_delta(manifest: dict) -> bool:
    if "delta" in manifest or str(manifest.get("mode", "")).lower() == "delta":
        return True
    return any(k in counts for counts in rows(manifest).values() for k in DELTA_KEYS)


def summary(rounds: list[dict[str, tuple[Measured, dict]]]) -> dict:
    figures = {}
    for figure in ("first", "full", "delta"):
        ms = [r[figure][0] for r in rounds]
        figures[figure] = {"cpu_s": [round(m.cpu_seconds, 1) for m in ms], "wall_s": [round(m.seconds, 1) for m in ms],
                           "peak_gib": [round(m.peak_gib, 2) for m in ms],
                           "rows": rows(rounds[-1][figure][1])}
    med = {f: (statistics.median(v["cpu_s"]), statistics.median(v["wall_s"])) for f, v in figures.items()}
    ratios = {f"delta/{other}": {"cpu": round(med["delta"][0] / med[other][0], 3),
                                 "wall": round(med["delta"][1] / med[other][1], 3)} for other in ("full", "first")}
    return {"figures": figures, "ratios": ratios, "delta_run": is_delta(rounds[-1]["delta"][1])}


def text(result: dict) -> str:
    lines = [f"cutover bench, {result['rounds']} round(s), export 2: {result['export2']}",
             "figure  CPU s (user+sys)  wall s  peak GiB"]
    for figure, v in result["figures"].items():
        lines.append(f"{figure:<7} {statistics.median(v['cpu_s']):>17.1f}  {statistics.median(v['wall_s']):>6.1f}  "
                     f"{max(v['peak_gib']):>8.2f}")
    for name, r in result["ratios"].items():
        goal = " (issue 17's goal: <= 0.30)" if name == "delta/full" else ""
        lines.append(f"{name}: CPU {r['cpu']:.2f}x, wall {r['wall']:.2f}x{goal}")
    lines.append("rows per entity (the last round's run manifests):")
    for figure, v in result["figures"].items():
        for entity, counts in v["rows"].items():
            lines.append(f"  {figure:<6} {entity:<9} " + " ".join(f"{k}={n:,}" for k, n in counts.items()))
    lines.append("the delta run's manifest reports delta counts: this ferry ran a delta." if result["delta_run"] else
                 "NOTE: the delta run's manifest has no delta counts: this ferry has no delta runs, so 'delta' "
                 "is a re-run that replaces the first run's records in the existing target.")
    return "\n".join(lines)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, help="an existing bench export's data folder (read only)")
    parser.add_argument("--contacts", type=int, default=1_000_000, help="without --data: bench/run.py's export")
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument("--cutover-seed", type=int, default=17)
    parser.add_argument("--repeat", type=int, default=1, help="rounds (each: first, full, delta)")
    args = parser.parse_args()
    if args.data is None:
        import run
        args.data = run.dataset(args.contacts, args.seed) / "data"
    folder = prepare(args.data, args.cutover_seed)
    work = Path(tempfile.mkdtemp(prefix="ferry-cutover-"))
    out = work / "generated"
    try:
        subprocess.run([*FERRY, "compile", str(folder / f"{NAME}.yaml"), "--out", str(out)], check=True, cwd=ROOT,
                       stdout=subprocess.DEVNULL)
        rounds = []
        for i in range(args.repeat):
            print(f"round {i + 1}", flush=True)
            rounds.append(one_round(folder, out, work))
    finally:
        shutil.rmtree(work, ignore_errors=True)
    truth = json.loads((folder / "export2" / "truth" / "cutover.json").read_text("utf-8"))
    result = {"rounds": args.repeat, "data": str(args.data), "ferry": _revision(),
              "export2": {s: {k: len(v[k]) for k in ("changed", "gone", "new")} for s, v in truth["sources"].items()},
              **summary(rounds)}
    print()
    print(text(result))
    results = HERE / "results"
    results.mkdir(exist_ok=True)
    (results / "cutover.json").write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
    return 0


def _revision() -> str:
    done = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True)
    return done.stdout.strip() or "unknown"


if __name__ == "__main__":
    sys.exit(main())
