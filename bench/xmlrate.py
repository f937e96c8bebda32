"""Records per second of ferry's XML source conversion, and of a plain pyexpat loop.

    python bench/xmlrate.py ferry SPEC.yaml SOURCE WORKDIR
    python bench/xmlrate.py pyexpat DEALS.xml WORKDIR

Each prints one JSON object: ``seconds`` (wall time of the conversion alone, measured
inside the process, so interpreter start-up and imports are not in it), ``cpu_seconds`` (the
same span's CPU, the parts' child processes included: on a busy machine wall time says how
busy it was, CPU time what the conversion costs) and ``records``.

``ferry``: what ``ferry run`` does with an XML source before DuckDB reads it,
``compiler.sources.prepare_input`` (hash and scan the file, flatten the records to
NDJSON in WORKDIR), for the source named SOURCE of the spec. ``pyexpat``: the
floor's loop (``floor.deals_to_csv``): pyexpat callbacks building each <deal>'s
record and writing it as a CSV row, the fastest single-process standard-library route.
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path[:0] = [str(HERE), str(HERE.parent)]


def ferry_conversion(spec_path: Path, source_name: str, workdir: Path) -> dict:
    from compiler import sources, validate
    from compiler.load import load

    spec = validate.to_spec(load(spec_path))
    source = spec.source(source_name)
    t0, c0 = time.perf_counter(), _cpu()
    prepared = sources.prepare_input(source, spec_path.parent, workdir)
    seconds, cpu = time.perf_counter() - t0, _cpu() - c0
    with open(prepared.readable, "rb") as fh:
        records = sum(1 for _ in fh)
    return {"seconds": seconds, "cpu_seconds": cpu, "records": records}


def _cpu() -> float:
    """CPU seconds (user + system) of this process and of its waited-for children (the parts)."""
    import resource

    own, children = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


def pyexpat_loop(xml: Path, workdir: Path) -> dict:
    from floor import deals_to_csv

    t0, c0 = time.perf_counter(), _cpu()
    records = deals_to_csv(xml, workdir / "deals.csv")
    return {"seconds": time.perf_counter() - t0, "cpu_seconds": _cpu() - c0, "records": records}


if __name__ == "__main__":
    kind, *args = sys.argv[1:]
    if kind == "ferry":
        result = ferry_conversion(Path(args[0]), args[1], Path(args[2]))
    else:
        result = pyexpat_loop(Path(args[0]), Path(args[1]))
    print(json.dumps(result))
