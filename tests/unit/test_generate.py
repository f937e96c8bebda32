"""bench/generate.py: deterministic, correctly encoded, and truthful about the defects it injects."""

from __future__ import annotations

import csv
import hashlib
import importlib.util
import json
import re
import zipfile
from collections import defaultdict
from datetime import datetime
from pathlib import Path
from xml.etree import ElementTree

import openpyxl
import pytest

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE_DATA = ROOT / "specs" / "legacy_crm" / "data"
FILES = ("companies.csv", "contacts.csv", "deals.csv", "truth/duplicates.csv", "truth/orphans.csv",
         "truth/invalid.csv", "truth/summary.json")
NEW_FILES = ("owners.xlsx", "activities.ndjson")
# deals.xml's columns, as ferry's XML reader names them, for each deals.csv column
XML_NAME = {"deal_id": "id", "currency": "amount.currency"}
PLAIN_EMAIL = re.compile(r"^[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}$")
NIP_WEIGHTS = (6, 5, 7, 2, 3, 4, 5, 6, 7)

_spec = importlib.util.spec_from_file_location("ferry_bench_generate", ROOT / "bench" / "generate.py")
gen = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(gen)


def read(path: Path, encoding: str, delimiter: str = ",") -> list[dict[str, str]]:
    with path.open(encoding=encoding, newline="") as fh:
        return list(csv.DictReader(fh, delimiter=delimiter))


def read_owners(path: Path) -> list[dict]:
    """owners.xlsx as ferry reads it: sheet "Users", header at row 3, read-only mode."""
    book = openpyxl.load_workbook(path, read_only=True)
    try:
        rows = list(book["Users"].iter_rows(min_row=3, values_only=True))
    finally:
        book.close()
    return [dict(zip(rows[0], row)) for row in rows[1:]]


def read_ndjson(path: Path) -> list[dict]:
    with path.open(encoding="utf-8") as fh:
        return [json.loads(line) for line in fh]


def read_xml_deals(path: Path) -> list[dict[str, str]]:
    """Each <deal> flattened the way ferry's XML reader does: the record's attributes by name, a
    child's text by tag, a child's attributes as "<child>.<attr>", grandchildren as "<child>.<gc>"."""
    records = []
    for _, element in ElementTree.iterparse(path):
        if element.tag != "deal":
            continue
        record = dict(element.attrib)
        for child in element:
            if child.text and child.text.strip():
                record[child.tag] = child.text
            record.update({f"{child.tag}.{k}": v for k, v in child.attrib.items()})
            record.update({f"{child.tag}.{g.tag}": g.text for g in child})
        records.append(record)
        element.clear()
    return records


def load(folder: Path) -> dict[str, list[dict[str, str]]]:
    return {
        "companies": read(folder / "companies.csv", "cp1250", ";"),
        "contacts": read(folder / "contacts.csv", "utf-8-sig"),
        "deals": read(folder / "deals.csv", "utf-8"),
        "owners": read_owners(folder / "owners.xlsx"),
        "activities": read_ndjson(folder / "activities.ndjson"),
        "duplicates": read(folder / "truth/duplicates.csv", "utf-8"),
        "orphans": read(folder / "truth/orphans.csv", "utf-8"),
        "invalid": read(folder / "truth/invalid.csv", "utf-8"),
    }


@pytest.fixture(scope="module")
def data(tmp_path_factory) -> tuple[Path, dict]:
    folder = tmp_path_factory.mktemp("gen") / "out"
    summary = gen.generate(folder, 500, seed=3)
    return folder, summary


@pytest.fixture(scope="module")
def xml_data(tmp_path_factory) -> tuple[Path, dict]:
    """The same seed and size as `data`, deals written as XML."""
    folder = tmp_path_factory.mktemp("gen") / "xml"
    summary = gen.generate(folder, 500, seed=3, deals_format="xml")
    return folder, summary


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_same_seed_same_bytes_other_seed_other_bytes(tmp_path):
    for name, seed in (("a", 7), ("b", 7), ("c", 8)):
        gen.generate(tmp_path / name, 500, seed)
    for f in FILES + NEW_FILES:
        assert sha256(tmp_path / "a" / f) == sha256(tmp_path / "b" / f), f
    for f in ("companies.csv", "contacts.csv", "deals.csv") + NEW_FILES:
        assert sha256(tmp_path / "a" / f) != sha256(tmp_path / "c" / f), f


def test_xml_form_is_deterministic_and_changes_only_the_deals_file(tmp_path, data):
    for name in ("a", "b"):
        gen.generate(tmp_path / name, 500, 3, deals_format="xml")
    assert sha256(tmp_path / "a/deals.xml") == sha256(tmp_path / "b/deals.xml")
    assert not (tmp_path / "a/deals.csv").exists()
    for f in FILES + NEW_FILES:
        if f not in ("deals.csv", "truth/summary.json"):
            assert sha256(tmp_path / "a" / f) == sha256(data[0] / f), f
    # writing the other form into the same folder replaces the deals file
    gen.generate(tmp_path / "a", 500, 3)
    assert (tmp_path / "a/deals.csv").exists() and not (tmp_path / "a/deals.xml").exists()


def test_xlsx_carries_no_clock(data):
    """Same bytes at any time: the document dates and every zip entry's time are EXPORTED_AT."""
    stamp = gen.EXPORTED_AT
    with zipfile.ZipFile(data[0] / "owners.xlsx") as z:
        assert {info.date_time for info in z.infolist()} == {stamp.timetuple()[:6]}
        core = z.read("docProps/core.xml").decode()
    assert core.count(stamp.strftime("%Y-%m-%dT%H:%M:%S")) == 2    # created, modified


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
    activities = [{k: "" if v is None else str(v) for k, v in a.items()} for a in t["activities"]]
    company_ids = [c["firma_id"] for c in t["companies"]]
    contact_ids = [c["contact_id"] for c in t["contacts"] if c["contact_id"]]
    deal_ids = [d["deal_id"] for d in t["deals"]]
    owner_ids = [str(o["user_id"]) for o in t["owners"]]
    activity_ids = [a["activity_id"] for a in activities]
    for ids in (company_ids, contact_ids, deal_ids, owner_ids, activity_ids):
        assert len(ids) == len(set(ids))
    ids = {"company": set(company_ids), "contact": set(contact_ids), "deal": set(deal_ids),
           "owner": set(owner_ids)}
    target_of = {"company_id": "company", "firma_nadrzedna": "company", "contact_id": "contact",
                 "owner_id": "owner", "deal_id": "deal"}

    orphans = {(o["entity"], o["source_id"], o["column"]): o["missing_id"] for o in t["orphans"]}
    for (entity, _, column), missing in orphans.items():
        assert missing not in ids[target_of[column]]
    assert {(entity, column) for entity, _, column in orphans} == {
        ("company", "firma_nadrzedna"), ("contact", "company_id"), ("deal", "company_id"),
        ("deal", "contact_id"), ("deal", "owner_id"), ("activity", "deal_id")}

    found = {}
    for entity, rows, key, columns in (
            ("company", t["companies"], "firma_id", ("firma_nadrzedna",)),
            ("contact", t["contacts"], "contact_id", ("company_id",)),
            ("deal", t["deals"], "deal_id", ("company_id", "contact_id", "owner_id")),
            ("activity", activities, "activity_id", ("deal_id", "contact_id"))):
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
    for n, o in enumerate(t["owners"], 1):
        bad = ("owner", n) in recorded
        assert bool(PLAIN_EMAIL.match(o["email"])) != bad, o
        if bad:
            assert recorded[("owner", n)]["value"] == o["email"]
            assert recorded[("owner", n)]["source_id"] == str(o["user_id"])
    assert {i["reason"] for i in t["invalid"]} == {"missing_source_id", "invalid_decimal", "invalid_email"}
    assert sum(i["entity"] == "owner" for i in t["invalid"]) == 1


def test_nothing_cites_a_row_the_truth_calls_invalid_and_activities_cite_only_clean_deals(data):
    """So a migration that rejects the truth's invalid rows leaves no dangling reference behind."""
    t = load(data[0])
    invalid_owner = {i["source_id"] for i in t["invalid"] if i["entity"] == "owner"}
    assert invalid_owner and not invalid_owner & {d["owner_id"] for d in t["deals"]}
    flawed = {i["source_id"] for i in t["invalid"] if i["entity"] == "deal"}
    flawed |= {o["source_id"] for o in t["orphans"] if o["entity"] == "deal"}
    cited = {str(a["deal_id"]) for a in t["activities"]}
    assert cited and not cited & flawed
    assert sum(d["owner_id"] == "" for d in t["deals"]) >= gen.MIN["deal_no_owner"]
    # one defect per row: no deal is in the truth twice, and an empty owner_id is the row's only flaw
    assert len(flawed) == sum(r["entity"] == "deal" for r in t["invalid"] + t["orphans"])
    assert not flawed & {d["deal_id"] for d in t["deals"] if d["owner_id"] == ""}


def test_summary_counts_match_the_files(data):
    folder, returned = data
    t = load(folder)
    summary = json.loads((folder / "truth/summary.json").read_text("utf-8"))
    assert summary == returned
    assert summary["rows"] == {"companies": len(t["companies"]), "contacts": len(t["contacts"]),
                               "deals": len(t["deals"]), "owners": len(t["owners"]),
                               "activities": len(t["activities"])}
    assert summary["rows"] == {"companies": round(0.35 * 500), "contacts": 500, "deals": round(0.65 * 500),
                               "owners": 12, "activities": len(t["activities"])}
    assert summary["deals_format"] == "csv"
    assert summary["owners"] == {"inactive": sum(not o["active"] for o in t["owners"]),
                                 "deals_without_owner": sum(d["owner_id"] == "" for d in t["deals"])}
    acts = summary["activities"]
    assert sum(acts["by_type"].values()) == sum(acts["occurred_at"].values()) == len(t["activities"])
    assert acts["without_notes"] == sum("notes" not in a for a in t["activities"])
    assert acts["with_meta"] == sum("meta" in a for a in t["activities"])
    assert acts["without_contact"] == sum(a["contact_id"] is None for a in t["activities"])
    assert acts["duration_min"]["text"] == sum(isinstance(a["duration_min"], str) for a in t["activities"])
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


def test_owner_defects_go_only_on_rows_without_another_defect():
    recorded = []
    truth = type("Truth", (), {"orphan": staticmethod(recorded.append)})
    counts = {"orphans": defaultdict(int), "owners": defaultdict(int)}
    owners, bad = gen._plan_owners(5, 12)
    owner_of = gen._DealOwners(5, 2000, owners, bad, truth, counts)
    valid = {o[0] for i, o in enumerate(owners) if i != bad}
    assert all(owner_of(j, j, False) in {(v, False) for v in valid} for j in range(1000))
    results = [owner_of(j, j, True) for j in range(1000, 2000)]
    assert {owner for owner, orphan in results if orphan} == {o[3] for o in recorded} != set()
    assert any(owner == "" for owner, _ in results)


def test_xml_deals_are_the_csv_deals(data, xml_data):
    raw = (xml_data[0] / "deals.xml").read_bytes()
    assert raw.startswith(b'<?xml version="1.0" encoding="UTF-8"?>\n<export system="legacy-crm" generated="')
    raw.decode("utf-8")
    root = ElementTree.fromstring(raw)
    assert [child.tag for child in root] == ["deals"]
    records = read_xml_deals(xml_data[0] / "deals.xml")
    deals = load(data[0])["deals"]
    assert len(records) == len(deals) == xml_data[1]["rows"]["deals"] == data[1]["rows"]["deals"]
    for record, row in zip(records, deals):
        assert record == {XML_NAME.get(k, k): v for k, v in row.items() if v != ""}
    columns = {c for r in records for c in r}
    assert columns == {"id", "stage", "title", "amount", "amount.currency", "company_id", "contact_id",
                       "close_date", "owner_id"}
    assert any("contact_id" not in r for r in records) and any("owner_id" not in r for r in records)
    assert any('"' in r["title"] for r in records)


def test_xml_escapes_text_and_attributes_and_leaves_out_empty_values():
    row = (7, 'R&D <"Premium"> \'x\'', "", "EUR", 'a"b&c<', "", 5, "2025-01-01", "")
    element = ElementTree.fromstring(gen._deal_element(row))
    assert element.attrib == {"id": "7", "stage": 'a"b&c<'}
    assert element.findtext("title") == 'R&D <"Premium"> \'x\''
    assert element.find("amount").attrib == {"currency": "EUR"} and not element.find("amount").text
    assert element.find("company_id") is None and element.find("owner_id") is None
    assert element.findtext("contact_id") == "5"


def test_activities_are_one_json_object_per_line_with_mixed_shapes(data):
    folder, summary = data
    raw = (folder / "activities.ndjson").read_bytes()
    lines = raw.decode("utf-8").split("\n")
    assert lines[-1] == "" and all(lines[:-1])
    activities = [json.loads(line) for line in lines[:-1]]
    assert len(activities) == summary["rows"]["activities"]
    deals = summary["rows"]["deals"]
    assert 1.2 * deals < len(activities) < 1.8 * deals
    ids = [a["activity_id"] for a in activities]
    assert ids == list(range(gen.FIRST_ACTIVITY_ID, gen.FIRST_ACTIVITY_ID + len(ids)))
    contacts = {int(c["contact_id"]) for c in load(folder)["contacts"] if c["contact_id"]}
    iso = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:00$")
    dotted = re.compile(r"^\d\d\.\d\d\.\d{4} \d\d:\d\d$")
    keys = ["activity_id", "type", "deal_id", "contact_id", "occurred_at", "duration_min", "notes", "meta"]
    for a in activities:
        assert [k for k in keys if k in a] == list(a)
        assert type(a["deal_id"]) is int and type(a["activity_id"]) is int
        assert a["contact_id"] is None or a["contact_id"] in contacts
        assert iso.match(a["occurred_at"]) or dotted.match(a["occurred_at"])
        d = a["duration_min"]
        assert type(d) in (int, float) or (type(d) is str and d.isdigit())
        if "meta" in a:
            assert set(a["meta"]) == {"source", "tags"} and isinstance(a["meta"]["tags"], list)
    labels = {a["type"] for a in activities}
    assert {"telefon", "Anruf"} <= labels and len(labels) > 8
    assert {type(a["duration_min"]) for a in activities} == {int, float, str}
    assert any("notes" not in a for a in activities) and any(a["contact_id"] is None for a in activities)
    assert any("\n" in a.get("notes", "") and '"' in a.get("notes", "") for a in activities)
    assert any(set(a.get("notes", "")) & set("ąęłśżź") for a in activities)
    assert any(set(a.get("notes", "")) & set("ієїґ") for a in activities)
    assert any(a.get("meta", {}).get("tags") for a in activities)
    assert "\\u" not in raw.decode("utf-8")                # ensure_ascii=False


def test_owners_sheet_has_a_title_an_empty_row_and_typed_cells(data):
    book = openpyxl.load_workbook(data[0] / "owners.xlsx", read_only=True)
    try:
        assert book.sheetnames == ["Users"]
        rows = list(book["Users"].iter_rows(values_only=True))
    finally:
        book.close()
    assert rows[0][0] == f"Sales team export {gen.EXPORTED_AT:%Y-%m-%d}"
    assert all(v is None for v in rows[1])
    assert list(rows[2]) == gen.OWNER_HEADER
    owners = read_owners(data[0] / "owners.xlsx")
    assert len(owners) == 12 == max(12, 500 // 5000)
    for o in owners:
        assert type(o["user_id"]) is int and type(o["active"]) is bool
        assert isinstance(o["hired"], datetime) and isinstance(o["quota"], (int, float))
        assert o["full_name"] and o["region"]
    assert {o["active"] for o in owners} == {True, False}
    assert any(o["quota"] != int(o["quota"]) for o in owners)
    emails = [o["email"].lower() for o in owners]
    assert len(set(emails)) == len(emails)


def test_checked_in_example_is_the_generators_output(tmp_path):
    """specs/legacy_crm/data is `generate.py ... --contacts 300 --deals-format xml` (seed 2026), byte
    for byte; regenerate it if this fails."""
    gen.generate(tmp_path, 300, 2026, deals_format="xml")
    for f in ("companies.csv", "contacts.csv", "deals.xml", *NEW_FILES, "truth/duplicates.csv",
              "truth/orphans.csv", "truth/invalid.csv", "truth/summary.json"):
        assert (tmp_path / f).read_bytes() == (EXAMPLE_DATA / f).read_bytes(), f
    s = json.loads((EXAMPLE_DATA / "truth/summary.json").read_text("utf-8"))
    assert s["duplicates"]["company"]["nip_format"]["duplicate_rows"] >= 3
    assert s["duplicates"]["contact"]["email_case"]["duplicate_rows"] >= 6
    assert s["duplicates"]["contact"]["fuzzy"]["duplicate_rows"] >= 4
    assert min(s["orphans"].values()) >= 2
    assert s["invalid"]["deal.amount"] >= 2 and s["invalid"]["contact.contact_id"] >= 1
    assert min(s["self_references"].values()) >= 2
    assert min(s["languages"].values()) >= 1 and s["notes"]["with_newline"] >= 1


def test_people_adds_addresses_families_and_married_duplicates(tmp_path):
    """people=True: street and postcode after notes; a family member shares an earlier person's
    address and surname (folded to the masculine form) but not the first name, and is in no
    duplicate cluster; some duplicates carry another surname; the columns before are unchanged."""
    gen.generate(tmp_path / "p", 3000, 7, people=True)
    gen.generate(tmp_path / "q", 3000, 7)
    with open(tmp_path / "p" / "contacts.csv", encoding="utf-8-sig", newline="") as f:
        rows = list(csv.DictReader(f))
    assert list(rows[0])[-2:] == ["street", "postcode"]
    by_id = {r["contact_id"]: r for r in rows if r["contact_id"]}
    with open(tmp_path / "p" / "truth" / "families.csv", encoding="utf-8", newline="") as f:
        families = list(csv.DictReader(f))
    with open(tmp_path / "p" / "truth" / "duplicates.csv", encoding="utf-8", newline="") as f:
        dups = list(csv.DictReader(f))
    in_cluster = {d["source_id"] for d in dups if d["entity"] == "contact"}
    cluster = {d["source_id"]: d["cluster_id"] for d in dups if d["entity"] == "contact"}
    assert len(families) > 20
    for fam in families:
        a, b = by_id[fam["source_id"]], by_id[fam["relative_id"]]
        assert (a["street"], a["postcode"], a["city"]) == (b["street"], b["postcode"], b["city"]) and a["street"]
        assert a["first_name"] != b["first_name"]
        assert a["last_name"][:-1] == b["last_name"][:-1]   # Kowalski / Kowalska
        assert fam["source_id"] not in in_cluster or cluster[fam["source_id"]] != cluster.get(fam["relative_id"])
    summary = json.loads((tmp_path / "p" / "truth" / "summary.json").read_text("utf-8"))
    assert summary["people"]["changed_surname"] > 0 and summary["people"]["family_members"] == len(families)
    married = [d for d in dups if d["entity"] == "contact" and d["source_id"] != d["cluster_id"]
               and by_id[d["source_id"]]["last_name"][:3] != by_id[d["cluster_id"]]["last_name"][:3]]
    assert married
    with open(tmp_path / "q" / "contacts.csv", encoding="utf-8-sig", newline="") as f:
        plain = list(csv.DictReader(f))
    same = sum(1 for p, q in zip(rows, plain) if all(p[k] == q[k] for k in ("contact_id", "phone", "created_at")))
    assert same == len(plain)
    assert (tmp_path / "p" / "truth" / "duplicates.csv").read_bytes() == \
        (tmp_path / "q" / "truth" / "duplicates.csv").read_bytes()
