"""The match model against the example's exact and fuzzy rules, on the generator's contacts and truth.

    python bench/model.py [--contacts 300000] [--data DIR] [--repeat 2]

Two specs read the same contacts.csv (generated and cached like bench/run.py's, or ``--data``, a
folder with contacts.csv and truth/duplicates.csv) with the same fields: the example's contact
entity, without references (so no other entity is needed), with ``on_error: null`` on e-mails
and phones (a rejected row would count against both variants alike, and this measures the
dedup), and three computed fields (the e-mail's user part, the phone's last nine digits, the
company id). ``rules`` deduplicates as the example does (exact keys e-mail and phone, two
blocked fuzzy rules on the names); ``model`` with a match model; ``none`` not at all (the same
run without dedup: what the model's time is measured against). They run alternately,
``--repeat`` times each; the report gives each one's pairwise precision, recall and F1 against
the truth (bench/quality.py), the pairs compared, and the median seconds of the contact step.
For the model it also gives the pairs its blocking rules allow (the sum over its rules in
``_ferry.dedup_stats``: each pair is compared once, for the first rule that finds it) and the
random pairs it scores to estimate u (``estimate.sample``, at most (n-1)/2 per row), and the
ratios model/none and model/rules of the contact step's seconds and of the whole run's CPU
seconds (this process's, DuckDB's threads included: steadier than wall time on a busy machine). Results go to bench/results/model.json.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import shutil
import statistics
import sys
import time
from pathlib import Path

import yaml

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from compiler import api  # noqa: E402
from compiler.load import load  # noqa: E402

HERE = Path(__file__).resolve().parent
EXAMPLE = HERE.parent / "specs" / "legacy_crm" / "legacy_crm.yaml"

MODEL = {
    # Colleagues share a company: it blocks with a first letter of a name (accents folded, either
    # name), so the model compares a person's namesakes at work, not every colleague.
    "block": ["l.phone_digits = r.phone_digits", "l.email_user = r.email_user",
              "l.company = r.company AND lower(strip_accents(left(l.first_name, 1))) = "
              "lower(strip_accents(left(r.first_name, 1)))",
              "l.company = r.company AND lower(strip_accents(left(l.last_name, 1))) = "
              "lower(strip_accents(left(r.last_name, 1)))",
              # One home: the postcode and the house number (and flat) agree, however the street
              # was spelt, and the first name's first letter (as for colleagues: namesakes at home,
              # not neighbours at the same number of another street). Finds a person typed twice
              # with nothing else in common; scored, not learnt from (its relatives would teach
              # the model that a family is a match).
              {"on": "l.postcode = r.postcode AND l.house = r.house AND lower(strip_accents(left(l.first_name, 1))) = "
                     "lower(strip_accents(left(r.first_name, 1)))", "train": False}],
    "compare": {
        "first_name": ["exact", {"jaro_winkler": 0.92}, {"jaro_winkler": 0.8}],
        "last_name": {"levels": ["exact", {"jaro_winkler": 0.92}, {"jaro_winkler": 0.8}], "frequency": True},
        "email_user": ["exact", {"jaro_winkler": 0.9}],
        "phone_digits": ["exact", {"edits": 1}],
        "city": {"levels": ["exact"], "frequency": True},
        "company": ["exact"],
        # Postcode with house number and flat: one piece of evidence (where someone lives), not
        # one per field (agreeing on a postcode and on a house number are not independent).
        "address": {"fields": ["postcode", "house"], "levels": ["exact", {"edits": 1}]},
        "created_on": ["exact", {"within": 30}],
    },
    "threshold": 0.99,
    "review": 0.5,
}


def _module(name: str):
    spec = importlib.util.spec_from_file_location(f"ferry_bench_{name}", HERE / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def write_spec(folder: Path, data: Path, variant: str) -> Path:
    example = load(EXAMPLE).data
    contact = example["entities"]["contact"]
    contact.pop("references", None)
    fields = contact["fields"]
    for name in ("email", "all_emails", "phone"):
        fields[name]["on_error"] = "null"
    fields["email_user"] = {"sql": "nullif(split_part(lower(trim(email)), '@', 1), '')"}
    fields["phone_digits"] = {"sql": "nullif(right(regexp_replace(phone, '[^0-9]', '', 'g'), 9), '')"}
    fields["company"] = "company_id"
    # The postal address (generate.py's people columns): the postcode's and the street line's
    # digits (house number, flat) compare however they were written ("00-950" / "00950", "12/4" /
    # "12 m. 4", "ul." / "ulica", "Str." / "Straße").
    fields["postcode"] = {"from": "postcode", "transforms": ["digits", "blank_as_null"]}
    fields["house"] = {"from": "street", "transforms": ["digits", "blank_as_null"]}
    if variant == "model":
        contact["dedup"] = {"model": MODEL, **{k: v for k, v in contact["dedup"].items() if k in ("survivor", "fields")}}
    elif variant == "none":
        contact.pop("dedup")
    spec = {"version": 1, "name": f"bench_{variant}",
            "sources": {"contacts": {**example["sources"]["contacts"], "path": str(data / "contacts.csv")}},
            "entities": {"contact": contact}, "target": {"kind": "duckdb", "path": f"build/{variant}.duckdb"}}
    path = folder / f"{variant}.yaml"
    path.write_text(yaml.safe_dump(spec, allow_unicode=True, sort_keys=False), "utf-8")
    return path


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--contacts", type=int, default=300_000)
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument("--data", type=Path, help="a generated data folder (contacts.csv, truth/)")
    parser.add_argument("--repeat", type=int, default=2)
    args = parser.parse_args(argv)
    data = args.data or _module("run").dataset(args.contacts, args.seed) / "data"
    work = HERE / ".data" / "model"
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir(parents=True)
    specs = {v: write_spec(work, data.resolve(), v) for v in ("none", "rules", "model")}
    options = {v: api.Options(out=work / "generated", allow_outside=True) for v in specs}
    for variant, spec in specs.items():
        api.compile_spec_files(spec, options[variant])
    seconds: dict[str, list[float]] = {v: [] for v in specs}
    cpu: dict[str, list[float]] = {v: [] for v in specs}
    runs = {}
    for _ in range(args.repeat):
        for variant, spec in specs.items():
            for old in (work / "build").glob(f"{variant}.duckdb*"):
                old.unlink()  # a fresh target each round: on last round's, a run is a delta run
            start = time.process_time()  # every thread of this process: DuckDB's too
            run = api.run_spec(spec, options[variant])
            cpu[variant].append(round(time.process_time() - start, 2))
            seconds[variant].append(next(s.seconds for s in run.steps if s.file.endswith("_contact.sql")))
            runs[variant] = run
    quality = _module("quality")
    report = {"contacts": sum(runs["rules"].sources.values()), "data": str(data), "variants": {}}
    for variant, run in runs.items():
        scores = quality.pair_quality(Path(run.target["path"]), data / "truth")["contact"]
        compared = sum(d["pairs_compared"] or 0 for d in run.dedup
                       if d["rule"] == "model" or d["rule"].startswith("fuzzy"))
        report["variants"][variant] = {**scores, "pairs_compared": compared,
                                       "contact_step_seconds": statistics.median(seconds[variant]),
                                       "runs": seconds[variant], "run_cpu_seconds": statistics.median(cpu[variant]),
                                       "cpu_runs": cpu[variant]}
        if variant == "model":
            rows = sum(run.sources.values())
            report["variants"][variant].update(
                pairs_blocking_allows=sum(d["pairs_compared"] or 0 for d in run.dedup if d["rule"].startswith("model:block")),
                rows_in_skipped_blocks=sum(d["rows_in_skipped_blocks"] or 0 for d in run.dedup
                                           if d["rule"].startswith("model:block")),
                pairs_sampled_for_u=rows * min(max(MODEL.get("sample", 1_000_000) // rows, 1), (rows - 1) // 2))
    none, rules, model = (report["variants"][v] for v in ("none", "rules", "model"))
    report["time_ratio"] = round(model["contact_step_seconds"] / rules["contact_step_seconds"], 2)
    report["time_ratio_without_dedup"] = round(model["contact_step_seconds"] / none["contact_step_seconds"], 2)
    report["cpu_ratio"] = round(model["run_cpu_seconds"] / rules["run_cpu_seconds"], 2)
    report["cpu_ratio_without_dedup"] = round(model["run_cpu_seconds"] / none["run_cpu_seconds"], 2)
    for name, v in report["variants"].items():
        print(f"{name:6} precision {v['precision']:.4f} recall {v['recall']:.4f} F1 {v['f1']:.4f} "
              f"pairs compared {v['pairs_compared']:,} contact step {v['contact_step_seconds']:.1f}s "
              f"whole run {v['run_cpu_seconds']:.1f} CPU s")
    print(f"model: pairs its blocking rules allow {model['pairs_blocking_allows']:,} "
          f"(rows in skipped blocks {model['rows_in_skipped_blocks']:,}), random pairs for u {model['pairs_sampled_for_u']:,}")
    print(f"model / rules: contact step {report['time_ratio']}x, whole run CPU {report['cpu_ratio']}x; "
          f"model / no dedup: {report['time_ratio_without_dedup']}x, CPU {report['cpu_ratio_without_dedup']}x")
    results = HERE / "results"
    results.mkdir(exist_ok=True)
    (results / "model.json").write_text(json.dumps(report, indent=2) + "\n", "utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
