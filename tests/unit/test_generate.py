"""The benchmark's data generator: deterministic, correctly encoded, and truthful about its defects."""

from __future__ import annotations

import csv
import importlib.util
import json

from tests.helpers import ROOT

spec = importlib.util.spec_from_file_location("ferry_generate", ROOT / "bench" / "generate.py")
generate = importlib.util.module_from_spec(spec)
spec.loader.exec_module(generate)


def read(path, encoding, delimiter=","):
    with path.open(encoding=encoding, newline="") as fh:
        return list(csv.DictReader(fh, delimiter=delimiter))


def test_same_seed_same_bytes_other_seed_other_bytes(tmp_path):
    for name, seed in (("a", 7), ("b", 7), ("c", 8)):
        generate.generate(tmp_path / name, 500, seed)
    for f in ("companies.csv", "contacts.csv", "deals.csv", "truth/duplicates.csv"):
        assert (tmp_path / "a" / f).read_bytes() == (tmp_path / "b" / f).read_bytes()
    assert (tmp_path / "a/contacts.csv").read_bytes() != (tmp_path / "c/contacts.csv").read_bytes()


def test_encodings_checksums_and_truth(tmp_path):
    generate.generate(tmp_path, 500, 3)
    raw = (tmp_path / "companies.csv").read_bytes()
    raw.decode("cp1250")
    try:
        raw.decode("utf-8")
        raise AssertionError("companies.csv must not be valid UTF-8")
    except UnicodeDecodeError:
        pass
    assert (tmp_path / "contacts.csv").read_bytes().startswith(b"\xef\xbb\xbf")
    companies = read(tmp_path / "companies.csv", "cp1250", ";")
    contacts = read(tmp_path / "contacts.csv", "utf-8-sig")
    deals = read(tmp_path / "deals.csv", "utf-8")
    for c in companies:
        digits = "".join(ch for ch in c["nip"] if ch.isdigit())
        if digits:
            assert sum(w * int(d) for w, d in zip((6, 5, 7, 2, 3, 4, 5, 6, 7), digits)) % 11 == int(digits[9])
    ids = {"company": {c["firma_id"] for c in companies}, "contact": {c["contact_id"] for c in contacts}}
    target_of = {"company_id": "company", "firma_nadrzedna": "company", "contact_id": "contact"}
    for row in read(tmp_path / "truth/orphans.csv", "utf-8"):
        assert row["missing_id"] not in ids[target_of[row["column"]]]
    clusters: dict[str, int] = {}
    for row in read(tmp_path / "truth/duplicates.csv", "utf-8"):
        clusters[row["cluster_id"]] = clusters.get(row["cluster_id"], 0) + 1
    assert clusters and all(n >= 2 for n in clusters.values())
    summary = json.loads((tmp_path / "truth/summary.json").read_text())
    assert summary["rows"] == {"companies": len(companies), "contacts": len(contacts), "deals": len(deals)}
