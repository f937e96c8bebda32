"""The bench's results: medians, min and max per figure, the issue's ratios and goals, as JSON and text.

In:  the measured rounds of ``bench/run.py`` (wall time and peak RSS per figure and round), the
     record checks, the full run's manifest, dedup quality, PostgreSQL, XML and start-up rounds.
Out: ``result(...)``, the dict written to bench/results/latest.json; ``text(result)``, the table.

A ratio is the ratio of the two figures' medians over the rounds both ran in; ``low``/``high``
are the smallest and largest ratio within one round (both figures measured side by side), which
shows how much the machine's noise moves it.
"""

from __future__ import annotations

import statistics
from typing import Any

from measure import Measured

LABELS = {
    "floor": "floor: the four files into tables",
    "floor3": "floor: the three files of the same cleaning",
    "hand": "hand-written DuckDB script (same cleaning)",
    "same": "ferry, same cleaning",
    "full": "ferry, full example spec",
    "pandas": "pandas script (.apply phonenumbers/email)",
    "no_phone": "ferry, without phone/email normalization",
    "no_dedup": "ferry, without dedup rules and matching",
}

#: (name, numerator, denominator, comparison, goal) over wall times; comparison None: no goal.
TIME_RATIOS = (
    ("same cleaning: ferry / hand-written", "same", "hand", "<=", 1.2),
    ("same cleaning: ferry / floor (three files)", "same", "floor3", None, None),
    ("hand-written / floor (three files)", "hand", "floor3", None, None),
    ("full ferry / floor", "full", "floor", "<=", 3.0),
    ("pandas / full ferry", "pandas", "full", ">=", 10.0),
    ("full / without phone+email", "full", "no_phone", None, None),
    ("full / without dedup", "full", "no_dedup", "<=", 1.5),
)
#: The same over peak RSS.
PEAK_RATIOS = (
    ("peak RSS, same cleaning: ferry / hand-written", "same", "hand", "<=", 1.5),
    ("peak RSS, full ferry / floor", "full", "floor", None, None),
)
XML_GOAL = 120_000  # records/s
VALIDATE_GOAL = 0.5  # s
PEAK_GOAL_GIB = 2.0  # at 5M contacts


def _stats(values: list[float], digits: int = 3) -> dict[str, float]:
    return {"median": round(statistics.median(values), digits), "min": round(min(values), digits),
            "max": round(max(values), digits), "n": len(values)}


def _ratio(a: list[float], b: list[float], comparison: str | None, goal: float | None) -> dict[str, Any]:
    """Over the rounds both figures ran in (pandas runs in the first rounds only), so the machine's
    load was the same for both."""
    n = min(len(a), len(b))
    a, b = a[:n], b[:n]
    per_round = [x / y for x, y in zip(a, b)]
    value = statistics.median(a) / statistics.median(b)
    met = None if comparison is None else (value <= goal if comparison == "<=" else value >= goal)
    return {"ratio": round(value, 2), "low": round(min(per_round), 2), "high": round(max(per_round), 2), "rounds": n,
            "goal": None if goal is None else f"{comparison} {goal:g}", "met": met}


def _ratios(rounds: dict[str, list[Measured]], table, field: str) -> dict[str, dict]:
    out = {}
    for name, a, b, comparison, goal in table:
        if a in rounds and b in rounds:
            out[name] = _ratio([getattr(m, field) for m in rounds[a]], [getattr(m, field) for m in rounds[b]],
                               comparison, goal)
    return out


def result(contacts: int, rounds: dict[str, list[Measured]], checks: dict, manifest: dict, scores: dict,
           pg: dict, xml: dict[str, list[dict]], startup: dict[str, list[Measured]],
           pandas_phases: dict[str, float], cleaning: dict | None = None) -> dict[str, Any]:
    figures = {key: {"seconds": _stats([m.seconds for m in ms]), "peak_gib": _stats([m.peak_gib for m in ms]),
                     "cpu_seconds": _stats([m.cpu_seconds for m in ms])}
               for key, ms in rounds.items()}
    med = {key: f["seconds"]["median"] for key, f in figures.items()}
    rates = {kind: _stats([r["records"] / r["seconds"] for r in rs], 0) for kind, rs in xml.items()}
    records = xml["ferry"][0]["records"]
    validate = _stats([m.seconds for m in startup["validate"]])
    return {
        "contacts": contacts,
        "rows_read": manifest["sources"],
        "figures": figures,
        "ratios": _ratios(rounds, TIME_RATIOS, "seconds"),
        "cpu_ratios": _ratios(rounds, TIME_RATIOS, "cpu_seconds"),
        "peak_ratios": _ratios(rounds, PEAK_RATIOS, "peak_gib"),
        "pandas_phases": pandas_phases,
        # The same phones and e-mails (and dates, NIP) without reading and writing: see run.cleaning_alone.
        "cleaning_alone": cleaning,
        "peak_goal": {"gib": PEAK_GOAL_GIB, "at_contacts": 5_000_000,
                      "ferry_max_gib": round(max(figures[k]["peak_gib"]["max"] for k in ("same", "full")
                                                 if k in figures), 2)},
        "checks": checks,
        "xml": {"records": records, "records_per_second": rates, "goal": XML_GOAL,
                "met": rates["ferry"]["median"] >= XML_GOAL,
                "seconds": {kind: _stats([r["seconds"] for r in rs]) for kind, rs in xml.items()},
                # Records per CPU second (the parts included): what the conversion costs whatever the load.
                "records_per_cpu_second": {kind: _stats([r["records"] / r["cpu_seconds"] for r in rs], 0)
                                           for kind, rs in xml.items() if all("cpu_seconds" in r for r in rs)}},
        "startup": {"validate_example": validate, "goal": VALIDATE_GOAL, "met": validate["median"] <= VALIDATE_GOAL,
                    **{key: _stats([m.seconds for m in ms]) for key, ms in startup.items() if key != "validate"}},
        # The keys earlier versions wrote, kept for whoever reads them.
        "floor_seconds": med["floor"],
        "ferry_run_seconds": med["full"],
        "ratio": round(med["full"] / med["floor"], 2),
        "validate_example_seconds": validate["median"],
        "dedup_quality": scores,
        "dedup_stats": manifest.get("dedup", []),
        "postgres": pg,
        "steps": manifest["steps"],
        "entities": manifest["entities"],
    }


def _goal(entry: dict) -> str:
    if entry["goal"] is None:
        return ""
    return f"goal {entry['goal']}: {'met' if entry['met'] else 'NOT MET'}"


def _check_lines(checks: dict) -> list[str]:
    lines = []
    for name, check in checks.items():
        lines.append(f"  {name}: {'same records' if check['ok'] else 'RECORDS DIFFER'}")
        for rule, entry in check.get("rules", {}).items():
            flag = "" if entry["ok"] else (f"   <- differ: only pandas {entry['only_pandas']['examples']}, "
                                           f"only ferry {entry['only_ferry']['examples']}")
            lines.append(f"    refused {rule:<26} pandas {entry['pandas']:>8,}  ferry {entry['ferry']:>8,}{flag}")
        for field, entry in check.get("valid", {}).items():
            lines.append(f"    valid {field:<28} pandas {entry['pandas']:>8,}  ferry {entry['ferry']:>8,}"
                         f"  (of {entry['present']:,} non-blank)")
        for table, entry in check["tables"].items():
            counts = (f"reference {entry['reference']:,} / ferry {entry['ferry']:,}" if "reference" in entry
                      else f"loaded: pandas {entry['pandas_loaded']:,} / ferry {entry['ferry_loaded']:,} (not checked)")
            lines.append(f"    {table:<9} {counts}; {entry['sampled']} sampled ids, "
                         f"differing columns: {', '.join(entry['differing']) or 'none'}")
            for column, diff in entry["differing"].items():
                lines.append(f"      {column}: {diff['count']} of the sample, e.g. {diff['examples'][:2]}")
    return lines


def text(r: dict[str, Any]) -> str:
    """The table the bench prints."""
    lines = [f"ferry bench, {r['contacts']:,} contacts; each figure its own process, alternating "
             f"(median [min-max] of n rounds)", ""]
    lines.append(f"  {'figure':<44}{'wall seconds':>24}{'peak RSS GiB':>22}{'CPU s':>8}  n")
    for key, f in r["figures"].items():
        s, p = f["seconds"], f["peak_gib"]
        lines.append(f"  {LABELS.get(key, key):<44}{s['median']:>8.2f} [{s['min']:6.2f}-{s['max']:6.2f}]"
                     f"{p['median']:>8.2f} [{p['min']:5.2f}-{p['max']:5.2f}]{f['cpu_seconds']['median']:>8.1f}  {s['n']}")
    if r["pandas_phases"]:
        lines.append("  pandas script's last run: " + ", ".join(f"{k} {v:.1f}s" for k, v in r["pandas_phases"].items()))
    c = r.get("cleaning_alone")
    if c:
        lines.append(f"  cleaning alone (phones, e-mails, dates, NIP): pandas clean phases {c['pandas_clean_seconds']:.1f}s"
                     f" / ferry's company+contact steps {c['ferry_steps_seconds']:.1f}s (reading included)"
                     f" = {c['ratio']:.1f}x  goal {c['goal']}: {'met' if c['met'] else 'NOT MET'}")
    lines += ["", "  ratios of medians over the rounds both ran [lowest-highest ratio within a round] (rounds);"
              " CPU: the same over CPU seconds"]
    for name, entry in {**r["ratios"], **r["peak_ratios"]}.items():
        cpu = f"CPU {r['cpu_ratios'][name]['ratio']:.2f}" if name in r["cpu_ratios"] else ""
        lines.append(f"  {name:<46}{entry['ratio']:>7.2f} [{entry['low']:.2f}-{entry['high']:.2f}] ({entry['rounds']})"
                     f"  {cpu:<9}  {_goal(entry)}")
    peak = r["peak_goal"]
    lines.append(f"  {'peak RSS of ferry (same/full), largest':<46}{peak['ferry_max_gib']:>7.2f} GiB  "
                 f"(goal <= {peak['gib']:g} GiB at {peak['at_contacts']:,} contacts)")
    x = r["xml"]
    lines += ["", f"  XML deals ({x['records']:,} records), records/s, median [min-max]:"]
    for kind, s in x["records_per_second"].items():
        per_cpu = x.get("records_per_cpu_second", {}).get(kind)
        lines.append(f"    {kind:<10}{s['median']:>10,.0f} [{s['min']:,.0f}-{s['max']:,.0f}]   "
                     f"{x['seconds'][kind]['median']:.2f} s"
                     + (f"   {per_cpu['median']:,.0f} records per CPU second" if per_cpu else ""))
    lines.append(f"    ferry goal >= {x['goal']:,}: {'met' if x['met'] else 'NOT MET'}")
    st = r["startup"]
    v = st["validate_example"]
    lines += ["", f"  ferry validate (example), median of {v['n']}: {v['median']:.2f} s [{v['min']:.2f}-{v['max']:.2f}]"
              f"  goal <= {st['goal']:g} s: {'met' if st['met'] else 'NOT MET'}",
              f"  python -c 'import compiler': {st['import_compiler']['median']:.2f} s; "
              f"'import compiler.cli': {st['import_cli']['median']:.2f} s"]
    lines += ["", "  records checked against ferry's:"] + _check_lines(r["checks"])
    for entity, sc in r["dedup_quality"].items():
        lines.append(f"  duplicate pairs {entity:<9}: precision {sc['precision']:.4f}  recall {sc['recall']:.4f}  "
                     f"F1 {sc['f1']:.4f}  ({sc['true_positives']}/{sc['truth_pairs']} true pairs, "
                     f"{sc['found_pairs']} found)")
    lines += _postgres_lines(r["postgres"])
    lines.append("  slowest steps (full): " + ", ".join(
        f"{s['file']} {s['seconds']:.2f}s" for s in sorted(r["steps"], key=lambda s: -s["seconds"])[:4]))
    return "\n".join(lines)


def _postgres_lines(pg: dict) -> list[str]:
    if "skipped" in pg:
        return [f"  postgres: skipped ({pg['skipped']})"]
    return [f"  psql \\copy of the contact records    : {pg['psql_copy_contacts_seconds']:8.2f} s (floor)",
            f"  ferry push, contact steps (first)   : {pg['push_contact_seconds']:8.2f} s   "
            f"({pg['contact_ratio']:.2f} x, goal <= 1.3)",
            f"  ferry push, contact steps (again)   : {pg['push_again_contact_seconds']:8.2f} s   "
            f"({pg['again_contact_ratio']:.2f} x)",
            f"  ferry push, all entities + keys     : {pg['push_seconds']:8.2f} s first, "
            f"{pg['push_again_seconds']:.2f} s again"]
