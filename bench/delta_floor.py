"""The floor of any delta run (issue 17): staging every source of an export and hashing each row.

    python bench/delta_floor.py SPEC.yaml --out GENERATED

In:  a spec compiled into GENERATED (``ferry compile SPEC --out GENERATED``) whose sources point at the
     export to measure (the cutover bench's ``data`` link).
Out: CPU (user + system, DuckDB's threads included) and wall seconds of what every delta must do before
     it can know which rows changed: each source prepared as a run prepares it (hashing the file,
     transcoding, XML flattening), its compiled ``*_stage_*`` step, and one ``hash()`` per row over
     its key and raw columns, materialized. Nothing is written: an in-memory database.
"""

from __future__ import annotations

import argparse
import json
import resource
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path[:0] = [str(HERE.parent)]

import duckdb  # noqa: E402

from compiler import api, functions, sources, tuning  # noqa: E402
from compiler.run import read_compiled  # noqa: E402


def _cpu() -> float:
    return sum(r.ru_utime + r.ru_stime for r in (resource.getrusage(resource.RUSAGE_SELF),
                                                 resource.getrusage(resource.RUSAGE_CHILDREN)))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("spec", type=Path)
    parser.add_argument("--out", type=Path, required=True)
    args = parser.parse_args()
    spec = api.load_spec(args.spec) if hasattr(api, "load_spec") else api.validate_spec(args.spec)
    manifest, texts = read_compiled(spec, args.out / spec.name)
    c0, w0 = _cpu(), time.perf_counter()
    rows = {}
    with tempfile.TemporaryDirectory() as tmp:
        con = functions.register(duckdb.connect())
        tuning.configure(con, Path(tmp))
        ready = {}
        for entry in manifest["sources"]:
            ready[entry["name"]] = sources.prepare_input(spec.source(entry["name"]), Path(spec.path).parent, Path(tmp))
            sources.bind(con, spec.source(entry["name"]), ready[entry["name"]])
        prep = _cpu() - c0
        stages = {e["name"]: e for e in manifest["sources"]}
        for entry in manifest["files"]:
            if entry.get("reads") not in stages or "_stage_" not in entry["name"]:
                continue
            con.execute(texts[entry["name"]])
            stage = stages[entry["reads"]]["stage_table"]
            key = spec.source(entry["reads"]).id_column
            con.execute(f'CREATE TEMPORARY TABLE "h_{entry["reads"]}" AS SELECT trim("{key}") AS k, '
                        f'hash(COLUMNS(* EXCLUDE ("_ferry_row"))) AS h FROM "{stage}"')
            rows[entry["reads"]] = con.execute(f'SELECT count(*) FROM "h_{entry["reads"]}"').fetchone()[0]
        con.close()
    result = {"cpu_s": round(_cpu() - c0, 2), "wall_s": round(time.perf_counter() - w0, 2),
              "prepare_cpu_s": round(prep, 2), "rows": rows}
    print(json.dumps(result, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
