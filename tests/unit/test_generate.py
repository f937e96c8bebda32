"""bench/generate.py: deterministic, correctly encoded, and truthful about the defects it injects."""

from __future__ import annotations

import csv
import importlib.util
import json
from collections import defaultdict
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE_DATA = ROOT / "specs" / "legacy_crm" / "data"
FILES = ("companies.csv", "contacts.csv", "deals.csv", "truth/duplicates.csv", "truth/orphans.csv",
         "truth/invalid.csv", "truth/summary.json")
NIP_WEIGHTS = (6, 5, 7, 2, 3, 4, 5, 6, 7)

_spec = importlib.util.spec_from_file_location("ferry_bench_generate", ROOT / "bench" / "generate.py")
gen = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(gen)


def read(path: Path, encoding: str, delimiter: str = ",") -> list[dict[str, str]]:
    with path.open(encoding=encoding, newline="") as fh:
        return list(csv.DictReader(fh, delimiter=delimiter))


def load(folder: Path) -> dict[str, list[dict[str, str]]]:
    return {
        "companies": read(folder / "companies.csv", "cp1250", ";"),
        "contacts": read(folder / "contacts.csv", "utf-8-sig"),
        "deals": read(folder / "deals.csv", "utf-8"),
        "duplicates": read(folder / "truth/duplicates.csv", "utf-8"),
        "orphans": read(folder / "truth/orphans.csv", "utf-8"),
        "invalid": read(folder / "truth/invalid.csv", "utf-8"),
    }


@pytest.fixture(scope="module")
def data(tmp_path_factory) -> tuple[Path, dict]:
    folder = tmp_path_factory.mktemp("gen") / "out"
    summary = gen.generate(folder, 500, seed=3)
    return folder, summary


def test_same_seed_same_bytes_other_seed_other_bytes(tmp_path):
    for name, seed in (("a", 7), ("b", 7), ("c", 8)):
        gen.generate(tmp_path / name, 500, seed)
    for f in FILES:
        assert (tmp_path / "a" / f).read_bytes() == (tmp_path / "b" / f).read_bytes(), f
    for f in ("companies.csv", "contacts.csv", "deals.csv"):
        assert (tmp_path / "a" / f).read_bytes() != (tmp_path / "c" / f).read_bytes(), f


def test_encodings_delimiters_and_headers(data):
    folder, _ = data
    raw = (folder / "companies.csv").read_bytes()
    raw.decode("cp1250")
    assert any(b > 0x7F for b in raw)
    with pytest.raises(UnicodeDecodeError):
        raw.decode("utf-8")
    assert raw.startswith(";".join(gen.COMPANY_HEADER).encode() + b"\r\n")
    assert raw.count(b"\n") == raw.count(b"\r\n")          # CRLF throughout

    contacts = (folder / "contacts.csv").read_bytes()
    assert contacts.startswith(b"\xef\xbb\xbf" + ",".join(gen.CONTACT_HEADER).encode() + b"\n")
    assert b"\r" not in contacts
    deals = (folder / "deals.csv").read_bytes()
    assert deals.startswith(",".join(gen.DEAL_HEADER).encode() + b"\n")


def test_every_nip_has_a_valid_checksum_and_only_polish_companies_have_one(data):
    companies = load(data[0])["companies"]
    seen = 0
    for c in companies:
        digits = "".join(ch for ch in c["nip"] if ch.isdigit())
        if c["kraj"] != "PL":
            assert digits == ""
            continue
        assert len(digits) == 10
        assert sum(w * int(d) for w, d in zip(NIP_WEIGHTS, digits)) % 11 == int(digits[9])
        seen += 1
    assert seen > 50


def test_ids_are_unique_and_references_resolve_or_are_recorded_orphans(data):
    t = load(data[0])
    company_ids = [c["firma_id"] for c in t["companies"]]
    contact_ids = [c["contact_id"] for c in t["contacts"] if c["contact_id"]]
    deal_ids = [d["deal_id"] for d in t["deals"]]
    for ids in (company_ids, contact_ids, deal_ids):
        assert len(ids) == len(set(ids))
    ids = {"company": set(company_ids), "contact": set(contact_ids)}
    target_of = {"company_id": "company", "firma_nadrzedna": "company", "contact_id": "contact"}

    orphans = {(o["entity"], o["source_id"], o["column"]): o["missing_id"] for o in t["orphans"]}
    for (entity, _, column), missing in orphans.items():
        assert missing not in ids[target_of[column]]
    assert {column for _, _, column in orphans} == {"company_id", "firma_nadrzedna", "contact_id"}

    found = {}
    for entity, rows, key, columns in (
            ("company", t["companies"], "firma_id", ("firma_nadrzedna",)),
            ("contact", t["contacts"], "contact_id", ("company_id",)),
            ("deal", t["deals"], "deal_id", ("company_id", "contact_id"))):
        for row in rows:
            for column in columns:
                value = row[column]
                if value and value not in ids[target_of[column]]:
                    found[(entity, row[key], column)] = value
    assert found == orphans


def test_self_references_point_backwards(data):
    t = load(data[0])
    contacts = {c["contact_id"]: c for c in t["contacts"] if c["contact_id"]}
    parents = [c for c in t["companies"] if c["firma_nadrzedna"] in {x["firma_id"] for x in t["companies"]}]
    assert parents and all(int(c["firma_nadrzedna"]) < int(c["firma_id"]) for c in parents)
    bosses = [c for c in contacts.values() if c["reports_to"]]
    assert bosses
    for c in bosses:
        boss = contacts[c["reports_to"]]
        assert int(boss["contact_id"]) < int(c["contact_id"])
        assert boss["company_id"] == c["company_id"] != ""


def test_duplicate_clusters_are_real_and_nothing_else_collides(data):
    t = load(data[0])
    clusters: dict[tuple[str, str], set[str]] = defaultdict(set)
    kinds: dict[tuple[str, str], set[str]] = defaultdict(set)
    for row in t["duplicates"]:
        clusters[(row["entity"], row["cluster_id"])].add(row["source_id"])
        kinds[(row["entity"], row["cluster_id"])].add(row["kind"])
    assert clusters and all(len(m) >= 2 and cid in m for (_, cid), m in clusters.items())
    assert all(len(k) == 1 for k in kinds.values())
    assert {k for ks in kinds.values() for k in ks} == {"nip_format", "email_case", "fuzzy"}
    cluster_of = {(e, m): cid for (e, cid), members in clusters.items() for m in members}

    # Companies: a NIP (digits) is shared only within one nip_format cluster, written differently.
    by_nip = defaultdict(list)
    for c in t["companies"]:
        digits = "".join(ch for ch in c["nip"] if ch.isdigit())
        if digits:
            by_nip[digits].append(c)
    for rows in by_nip.values():
        if len(rows) > 1:
            assert len({cluster_of.get(("company", r["firma_id"])) for r in rows} - {None}) == 1
            assert all(("company", r["firma_id"]) in cluster_of for r in rows)
            assert len({r["nip"] for r in rows}) > 1

    # Contacts: trimmed, lower-cased e-mails are shared only within one email_case cluster.
    contacts = {c["contact_id"]: c for c in t["contacts"] if c["contact_id"]}
    by_email = defaultdict(list)
    for c in contacts.values():
        if c["email"].strip():
            by_email[c["email"].strip().lower()].append(c["contact_id"])
    for ids in by_email.values():
        if len(ids) > 1:
            owners = {cluster_of.get(("contact", i)) for i in ids}
            assert len(owners) == 1 and None not in owners
            assert kinds[("contact", owners.pop())] == {"email_case"}
    for (entity, cid), members in clusters.items():
        if entity != "contact":
            continue
        original = contacts[cid]
        for m in members - {cid}:
            copy = contacts[m]
            if kinds[(entity, cid)] == {"email_case"}:
                assert copy["email"] != original["email"]
                assert copy["email"].strip().lower() == original["email"].strip().lower() != ""
            else:
                assert (copy["first_name"], copy["last_name"]) != (original["first_name"], original["last_name"])
                assert copy["email"].strip().lower() != original["email"].strip().lower() or not original["email"]


def test_invalid_rows_are_exactly_the_recorded_ones(data):
    t = load(data[0])
    recorded = {(i["entity"], int(i["row"])): i for i in t["invalid"]}
    for n, c in enumerate(t["contacts"], 1):
        assert (c["contact_id"] == "") == (("contact", n) in recorded)
    for n, d in enumerate(t["deals"], 1):
        bad = ("deal", n) in recorded
        try:
            float(d["amount"])
            numeric = True
        except ValueError:
            numeric = False
        assert numeric != bad
        if bad:
            assert recorded[("deal", n)]["value"] == d["amount"]
            assert recorded[("deal", n)]["source_id"] == d["deal_id"]
    assert {i["reason"] for i in t["invalid"]} == {"missing_source_id", "invalid_decimal"}


def test_summary_counts_match_the_files(data):
    folder, returned = data
    t = load(folder)
    summary = json.loads((folder / "truth/summary.json").read_text("utf-8"))
    assert summary == returned
    assert summary["rows"] == {"companies": len(t["companies"]), "contacts": len(t["contacts"]),
                               "deals": len(t["deals"])}
    assert summary["rows"] == {"companies": round(0.35 * 500), "contacts": 500, "deals": round(0.65 * 500)}
    copies = defaultdict(int)
    for row in t["duplicates"]:
        if row["source_id"] != row["cluster_id"]:
            copies[(row["entity"], row["kind"])] += 1
    for entity, by_kind in summary["duplicates"].items():
        for kind, n in by_kind.items():
            assert copies[(entity, kind)] == n["duplicate_rows"]
    orphans = defaultdict(int)
    for row in t["orphans"]:
        orphans[f"{row['entity']}.{row['column']}"] += 1
    assert orphans == summary["orphans"]
    invalid = defaultdict(int)
    for row in t["invalid"]:
        invalid[f"{row['entity']}.{row['column']}"] += 1
    assert invalid == summary["invalid"]


def test_checked_in_example_is_the_generators_output(tmp_path):
    """specs/legacy_crm/data is `generate.py ... --contacts 300 --seed 2026`; regenerate it if this fails."""
    gen.generate(tmp_path, 300, 2026)
    for f in FILES:
        assert (tmp_path / f).read_bytes() == (EXAMPLE_DATA / f).read_bytes(), f
    s = json.loads((EXAMPLE_DATA / "truth/summary.json").read_text("utf-8"))
    assert s["duplicates"]["company"]["nip_format"]["duplicate_rows"] >= 3
    assert s["duplicates"]["contact"]["email_case"]["duplicate_rows"] >= 6
    assert s["duplicates"]["contact"]["fuzzy"]["duplicate_rows"] >= 4
    assert min(s["orphans"].values()) >= 2
    assert s["invalid"]["deal.amount"] >= 2 and s["invalid"]["contact.contact_id"] >= 1
    assert min(s["self_references"].values()) >= 2
    assert min(s["languages"].values()) >= 1 and s["notes"]["with_newline"] >= 1
