"""A second, later export of a bench export (issue 17's cutover bench), in proportions.

In:  an export ``bench/generate.py`` made (companies, contacts, deals as XML, owners, activities).
Out: the same files in another folder, in their own formats (``bench/export_files.py``: untouched
     rows keep their bytes), with per source (owners, a team list, are copied as they are):
     ``changed`` of the rows changed in one field the spec maps (contacts: city, last name or notes;
     companies: name, city or status; deals: title, amount or stage; activities: notes or
     duration), ``gone`` of the rows gone, and ``new`` new rows appended (copies of random rows
     of the export with new ids and their references to first-export records; a tenth of the
     new contacts and companies are duplicates of a migrated record by the spec's keys: the
     e-mail in capitals with the same phone, the NIP written as ``PL`` and its digits; a fifth
     of the new activities hang off new deals). ``truth/cutover.json`` lists the ids.

Seeded and streamed (a row's fate is drawn as it is read); at 1M contacts it takes about a minute.

    python bench/cutover_export.py FIRST_DATA_DIR OUT_DIR [--seed 17] [--changed 0.01] [--new 0.005] [--gone 0.005]
"""

from __future__ import annotations

import argparse
import json
import random
import re
import shutil
import sys
import time
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
import export_files as files  # noqa: E402

#: source -> (file, id column, options); the order is the order they are written (deals before activities).
SOURCES = {
    "companies": ("companies.csv", "firma_id", {"encoding": "cp1250", "delimiter": ";"}),
    "contacts": ("contacts.csv", "contact_id", {"encoding": "utf-8", "delimiter": ","}),
    "deals": ("deals.xml", "id", {}),
    "activities": ("activities.ndjson", "activity_id", {}),
}
CITIES = ("Gdańsk", "Sopot", "Olsztyn", "Opole", "Zielona Góra", "Elbląg", "Płock", "Tarnów")
NOTES = ("Nowy adres od lutego", "Zmiana osoby kontaktowej", "Prosi o fakturę elektroniczną")
RESERVOIR = 20_000  # rows kept as templates for new ones
DUPLICATE_SHARE = 0.1  # of the new contacts and companies
NEW_DEAL_SHARE = 0.2  # of the new activities


def _other_city(rng: random.Random, current: str) -> str:
    return rng.choice([c for c in CITIES if c != current])


def _change(source: str, record: dict[str, Any], rng: random.Random) -> tuple[str, Any]:
    """(column, new value): one field the example spec maps, changed so that it stays valid."""
    pick = rng.random()
    if source == "contacts":
        if pick < 0.4:
            return "city", _other_city(rng, record["city"])
        return ("last_name", record["last_name"] + "-Nowak") if pick < 0.7 else ("notes", rng.choice(NOTES))
    if source == "companies":
        if pick < 0.4:
            return "miasto", _other_city(rng, record["miasto"])
        if pick < 0.7:
            return "nazwa", record["nazwa"] + " (dawniej)"
        return "status", "nieaktywny" if record["status"] != "nieaktywny" else "aktywny"
    if source == "deals":
        if pick < 0.4 and re.fullmatch(r"\d+\.\d\d", record.get("amount", "")):
            return "amount", f"{float(record['amount']) * 1.1:.2f}"
        if pick < 0.7 and record.get("stage") in ("nowa", "w toku"):
            return "stage", "w toku" if record["stage"] == "nowa" else "nowa"
        return "title", record.get("title", "") + " (aneks)"
    if pick < 0.5:
        return "notes", (record.get("notes") or "") + " Klient potwierdził."
    return "duration_min", rng.choice((10, 25, 40, 55))


class _Source:
    """One source's second export: each row's fate drawn as it streams, new rows made after it."""

    def __init__(self, source: str, rng: random.Random, rates: dict[str, float], new_deals: list[str]):
        self.source, self.rng, self.rates, self.new_deals = source, rng, rates, new_deals
        self.id_col = SOURCES[source][1]
        self.changed: dict[str, dict[str, list]] = {}
        self.gone: list[str] = []
        self.new: list[str] = []
        self.duplicates: list[dict[str, str]] = []
        self.templates: list[dict] = []
        self.seen = 0
        self.max_id = 0

    def decide(self, record: dict) -> dict | None:
        key = "" if record[self.id_col] is None else str(record[self.id_col])
        if key.isdigit():
            self.max_id = max(self.max_id, int(key))
        x = self.rng.random()
        if key and x < self.rates["gone"]:
            self.gone.append(key)
            return None
        self.seen += 1
        if len(self.templates) < RESERVOIR:  # reservoir sampling of templates for the new rows
            self.templates.append(record)
        elif (j := self.rng.randrange(self.seen)) < RESERVOIR:
            self.templates[j] = record
        if key and x < self.rates["gone"] + self.rates["changed"]:
            column, value = _change(self.source, record, self.rng)
            self.changed[key] = {column: [record.get(column), value]}
            new = {k: v for k, v in record.items() if k != files.RAW}
            new[column] = value
            return new
        return record

    def appended(self, count: int):
        """``count`` new rows (a generator: it runs after the stream, when max_id is known)."""
        for n in range(count):
            template = {k: v for k, v in self.rng.choice(self.templates).items() if k != files.RAW}
            new_id = self.max_id + 1 + n
            of = str(template[self.id_col])
            key = new_id if self.source == "activities" else str(new_id)
            row = {self.id_col: key, **{k: v for k, v in template.items() if k != self.id_col}}
            duplicate = self.rng.random() < DUPLICATE_SHARE
            if self.source == "contacts":
                row.update(created_at="2026-02-02", notes="")
                if duplicate and row["email"]:
                    row["email"] = row["email"].upper()
                    self.duplicates.append({"id": str(new_id), "of": of, "by": "email"})
                else:
                    local, _, domain = row["email"].partition("@")
                    row["email"] = f"{local}.{new_id}@{domain}" if domain else ""
                    row["phone"] = ""
            elif self.source == "companies":
                digits = re.sub(r"\D", "", row["nip"])
                row.update(data_utworzenia="2026-02-02", firma_nadrzedna="")
                if duplicate and len(digits) == 10:
                    row["nip"] = f"PL{digits}"
                    self.duplicates.append({"id": str(new_id), "of": of, "by": "nip"})
                else:
                    row["nip"] = ""
            elif self.source == "deals":
                self.new_deals.append(str(new_id))
            elif self.new_deals and self.rng.random() < NEW_DEAL_SHARE:
                row["deal_id"] = int(self.rng.choice(self.new_deals))
            self.new.append(str(new_id))
            yield row

    def truth(self, first_rows: int) -> dict:
        return {"rows": {"first": first_rows, "second": first_rows - len(self.gone) + len(self.new)},
                "changed": self.changed, "gone": self.gone, "new": self.new, "duplicates": self.duplicates}


def write(first: Path, out: Path, seed: int = 17, rates: dict[str, float] | None = None) -> dict:
    """The second export of ``first`` in ``out`` (owners copied); returns the truth (also truth/cutover.json)."""
    rates = rates or {"changed": 0.01, "new": 0.005, "gone": 0.005}
    out.mkdir(parents=True, exist_ok=True)
    truth: dict[str, Any] = {"generator": "bench/cutover_export.py", "seed": seed, "first_export": str(first),
                             "rates": rates, "sources": {}}
    new_deals: list[str] = []
    for source, (name, _, options) in SOURCES.items():
        t0 = time.perf_counter()
        state = _Source(source, random.Random(f"ferry-cutover:{seed}:{source}"), rates, new_deals)
        counter = {"rows": 0}

        def decide(record, state=state, counter=counter):
            counter["rows"] += 1
            return state.decide(record)

        def appended(state=state, counter=counter):
            yield from state.appended(round(counter["rows"] * rates["new"]))

        files.rewrite(first / name, out / name, decide, appended(), options)
        truth["sources"][source] = state.truth(counter["rows"])
        print(f"  {source}: {counter['rows']:,} rows, {len(state.changed):,} changed, {len(state.gone):,} gone, "
              f"{len(state.new):,} new ({time.perf_counter() - t0:.1f}s)", flush=True)
    shutil.copyfile(first / "owners.xlsx", out / "owners.xlsx")
    (out / "truth").mkdir(exist_ok=True)
    (out / "truth" / "cutover.json").write_text(json.dumps(truth, ensure_ascii=False) + "\n", encoding="utf-8")
    return truth


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("first", type=Path)
    parser.add_argument("out", type=Path)
    parser.add_argument("--seed", type=int, default=17)
    for rate, default in (("changed", 0.01), ("new", 0.005), ("gone", 0.005)):
        parser.add_argument(f"--{rate}", type=float, default=default)
    args = parser.parse_args()
    write(args.first, args.out, args.seed, {"changed": args.changed, "new": args.new, "gone": args.gone})
    return 0


if __name__ == "__main__":
    sys.exit(main())
