"""Linkage between two systems: the example's rules and the match model on contacts split in two.

    python bench/linkage.py [--contacts 300000] [--data DIR] [--repeat 1]

The generator's contacts (cached like bench/run.py's, or ``--data``: a folder with contacts.csv and
truth/duplicates.csv) are split by a hash of the id into two systems: ``crm`` keeps the CSV as it
is, ``shop`` is written as NDJSON with its own column names. A person typed twice may land in one
system or in both, so the truth has pairs across the systems (linkage) and within each (dedup).
Three specs read both as one contact entity with ``sources:`` (bench/model.py's contact entity:
its fields, computed fields and rules): ``rules`` (exact keys and fuzzy rules, link and dedup),
``model`` (the match model, link and dedup) and ``model_link`` (the model with ``link: only``).
The report gives, per variant, pairwise precision, recall and F1 across the systems and over all
pairs (``model_link`` is scored across the systems only), the pairs compared, and the seconds of
the contact step. Results go to bench/results/linkage.json.
"""

from __future__ import annotations

import argparse
import copy
import importlib.util
import json
import shutil
import statistics
import sys
from pathlib import Path

import duckdb
import yaml

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from compiler import api  # noqa: E402

HERE = Path(__file__).resolve().parent
#: The shop's names for the CRM's columns.
RENAMED = {"contact_id": "customer_no", "first_name": "given_name", "last_name": "family_name", "email": "mail",
           "phone": "tel", "company_id": "firm", "reports_to": "manager", "created_at": "since", "city": "town",
           "notes": "remarks", "street": "address", "postcode": "zip"}
IN_SHOP = "hash(contact_id) % 2 = 1"


def _module(name: str):
    spec = importlib.util.spec_from_file_location(f"ferry_bench_{name}", HERE / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def split(data: Path, work: Path) -> None:
    """crm.csv, shop.ndjson and truth.csv (source, id, cluster) under ``work``."""
    con = duckdb.connect()
    try:
        con.execute("CREATE TABLE c AS SELECT * FROM read_csv(?, header = true, all_varchar = true)",
                    [str(data / "contacts.csv")])
        con.execute(f"COPY (SELECT * FROM c WHERE NOT ({IN_SHOP}) ORDER BY contact_id::BIGINT) TO ? (HEADER)",
                    [str(work / "crm.csv")])
        renamed = ", ".join(f'"{old}" AS "{new}"' for old, new in RENAMED.items())
        con.execute(f"COPY (SELECT {renamed} FROM c WHERE {IN_SHOP} ORDER BY contact_id::BIGINT) TO ? (FORMAT json)",
                    [str(work / "shop.ndjson")])
        con.execute(f"""COPY (
            SELECT CASE WHEN {IN_SHOP} THEN 'shop' ELSE 'crm' END AS source, c.contact_id AS id,
                   coalesce(d.cluster_id, c.contact_id) AS cluster
            FROM c LEFT JOIN (SELECT source_id, cluster_id FROM read_csv(?, header = true, all_varchar = true)
                              WHERE entity = 'contact') d ON d.source_id = c.contact_id) TO ? (HEADER)""",
                    [str(data / "truth" / "duplicates.csv"), str(work / "truth.csv")])
    finally:
        con.close()


def _shop_field(field):
    """A field of the CRM's mapping, reading the shop's columns."""
    if isinstance(field, str):
        return RENAMED.get(field, field)
    field = copy.deepcopy(field)
    if "sql" in field:
        for old, new in RENAMED.items():
            field["sql"] = field["sql"].replace(f"({old})", f"({new})").replace(f"({old},", f"({new},")
    elif isinstance(field.get("from"), list):
        field["from"] = [RENAMED.get(c, c) for c in field["from"]]
    else:
        field["from"] = RENAMED.get(field["from"], field["from"])
    for key in ("type", "rules", "on_error", "precision", "scale"):
        field.pop(key, None)
    return field


def write_spec(folder: Path, variant: str) -> Path:
    model = _module("model")
    scratch = folder / "one_source"
    scratch.mkdir(exist_ok=True)
    one = yaml.safe_load(model.write_spec(scratch, folder, "rules" if variant == "rules" else "model").read_text("utf-8"))
    contact = one["entities"]["contact"]
    contact.pop("source")
    contact["sources"] = {"crm": {}, "shop": {"fields": {n: _shop_field(f) for n, f in contact["fields"].items()}}}
    if variant == "model_link":
        contact["dedup"]["link"] = "only"
    spec = {"version": 1, "name": f"linkage_{variant}",
            "sources": {"crm": {"path": str(folder / "crm.csv"), "id": "contact_id"},
                        "shop": {"path": str(folder / "shop.ndjson"), "id": "customer_no"}},
            "entities": {"contact": contact}, "target": {"kind": "duckdb", "path": f"build/{variant}.duckdb"}}
    path = folder / f"{variant}.yaml"
    path.write_text(yaml.safe_dump(spec, allow_unicode=True, sort_keys=False), "utf-8")
    return path


_QUALITY = """
WITH truth AS (SELECT source, id, cluster FROM read_csv(?, header = true, all_varchar = true)),
found AS (SELECT source, source_key AS id, id::VARCHAR AS cluster FROM t._ferry.contact_crosswalk),
tp AS (SELECT a.source AS sa, b.source AS sb, a.id AS a, b.id AS b FROM truth a JOIN truth b
       ON a.cluster = b.cluster AND (a.source, a.id) < (b.source, b.id)),
fp AS (SELECT a.source AS sa, b.source AS sb, a.id AS a, b.id AS b FROM found a JOIN found b
       ON a.cluster = b.cluster AND (a.source, a.id) < (b.source, b.id))
SELECT (SELECT count(*) FROM tp WHERE {w}), (SELECT count(*) FROM fp WHERE {w}),
       (SELECT count(*) FROM tp JOIN fp USING (sa, sb, a, b) WHERE {w})
"""


def quality(target: Path, truth: Path, across: bool) -> dict[str, float]:
    con = duckdb.connect()
    try:
        con.execute("ATTACH ? AS t (READ_ONLY)", [str(target)])
        expected, found, hit = con.execute(_QUALITY.format(w="sa <> sb" if across else "true"),
                                           [str(truth)]).fetchall()[0]
    finally:
        con.close()
    return _module("quality")._scores(expected, found, hit)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--contacts", type=int, default=300_000)
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument("--data", type=Path, help="a generated data folder (contacts.csv, truth/)")
    parser.add_argument("--repeat", type=int, default=1)
    args = parser.parse_args(argv)
    data = (args.data or _module("run").dataset(args.contacts, args.seed) / "data").resolve()
    work = HERE / ".data" / "linkage"
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir(parents=True)
    split(data, work)
    variants = ("rules", "model", "model_link")
    specs = {v: write_spec(work, v) for v in variants}
    options = api.Options(out=work / "generated", allow_outside=True)
    for spec in specs.values():
        api.compile_spec_files(spec, options)
    seconds: dict[str, list[float]] = {v: [] for v in variants}
    runs = {}
    for _ in range(args.repeat):
        for variant, spec in specs.items():
            for old in (work / "build").glob(f"{variant}.duckdb*"):
                old.unlink()  # a fresh target each round: on last round's, a run is a delta run
            runs[variant] = api.run_spec(spec, options)
            seconds[variant].append(next(s.seconds for s in runs[variant].steps if s.file.endswith("_contact.sql")))
    report = {"rows": dict(runs["rules"].sources), "data": str(data), "variants": {}}
    for variant, run in runs.items():
        target = Path(run.target["path"])
        compared = sum(d["pairs_compared"] or 0 for d in run.dedup
                       if d["rule"] == "model" or d["rule"].startswith("fuzzy"))
        allowed = sum(d["pairs_compared"] or 0 for d in run.dedup if d["rule"].startswith("model:block"))
        report["variants"][variant] = {
            "linkage": quality(target, work / "truth.csv", True),
            **({} if variant == "model_link" else {"all": quality(target, work / "truth.csv", False)}),
            "pairs_compared": compared, "pairs_blocking_allows": allowed or None,
            "contact_step_seconds": statistics.median(seconds[variant])}
    for name, v in report["variants"].items():
        shown = "  ".join(f"{k} P {s['precision']:.4f} R {s['recall']:.4f} F1 {s['f1']:.4f}"
                          for k in ("linkage", "all") if (s := v.get(k)))
        print(f"{name:10} {shown}  pairs compared {v['pairs_compared']:,}  contact step {v['contact_step_seconds']:.1f}s")
    results = HERE / "results"
    results.mkdir(exist_ok=True)
    (results / "linkage.json").write_text(json.dumps(report, indent=2) + "\n", "utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
