"""The Spark engine's dedup hand-off, without Spark: the publish's parts and the written-out fold.

``engines.spark.dedup.duckdb_parts`` splits a dedup step's DuckDB text around the call to Spark:
the statements that computed the blocks, pairs and components read Spark's Parquet files instead
(the pairs stay DuckDB's for a match model). The fold is a Spark session function defined once, in
the step file ``000_functions.sql`` (``engines.spark.sqlfunctions``), and called by name elsewhere;
tests/spark/test_session_functions.py compares its values with the DuckDB macro's.
"""

from __future__ import annotations

import json

import duckdb
import sqlglot
from sqlglot import exp

from compiler import api
from compiler.engines.spark import dedup, sqlfunctions
from compiler.sqlgen import fold
from tests.helpers import ROOT

CALL = object()


def _works(name: str, tmp_path):
    spec = api.validate_spec(ROOT / "specs" / name / f"{name}.yaml", api.Options(), read_rows=False)
    manifest = json.loads((ROOT / "generated" / name / "manifest.json").read_text("utf-8"))
    return spec, dedup.plan(spec, manifest, tmp_path)


def _parts(name: str, work) -> tuple[list[exp.Expression], list[exp.Expression]]:
    text = (ROOT / "generated" / name / work.file).read_text("utf-8")
    before, call, after = dedup.duckdb_parts(text, work, CALL)
    assert call is CALL
    return ([s for s in sqlglot.parse(before, read="duckdb") if s],
            [s for s in sqlglot.parse(after, read="duckdb") if s])


def _read(statements: list[exp.Expression]) -> dict[str, list[str]]:
    """Created table -> the Parquet files its statement reads."""
    out = {}
    for s in statements:
        if isinstance(s, exp.Create) and isinstance(s.this, exp.Table):
            out[s.this.name] = [lit.name for lit in s.find_all(exp.Literal)
                                if lit.is_string and lit.name.endswith(".parquet")]
    return out


def test_the_example_reads_blocks_pairs_and_components_from_spark(tmp_path):
    _, works = _works("legacy_crm", tmp_path)
    contact = next(w for w in works if w.entity == "contact")
    assert contact.pairs
    before, after = _parts("legacy_crm", contact)
    assert "_ferry_checked_contact" in _read(before) and "_ferry_blocks_contact" not in _read(before)
    read = _read(after)
    assert read["_ferry_blocks_contact"] == [str(contact.path("blocks"))]
    assert read["_ferry_pairs_contact"] == [str(contact.path("pairs"))]
    assert read["_ferry_clusters_contact"] == [str(contact.path("clusters"))]
    assert not any(w.args.get("recursive") for s in after for w in s.find_all(exp.With))


def test_a_match_model_keeps_its_pairs_in_duckdb_and_reads_only_the_clusters(tmp_path):
    _, (customer,) = _works("two_crms", tmp_path)
    assert not customer.pairs
    before, after = _parts("two_crms", customer)
    assert "_ferry_pairs_customer" in _read(before)  # computed by DuckDB, before the call
    assert _read(after)["_ferry_clusters_customer"] == [str(customer.path("clusters"))]


def test_the_checked_rows_written_for_spark_are_the_columns_its_rules_read(tmp_path):
    _, works = _works("legacy_crm", tmp_path)
    contact = next(w for w in works if w.entity == "contact")
    text = (ROOT / "generated" / "legacy_crm" / "spark" / contact.file).read_text("utf-8")
    kept = dedup.checked_columns(text, contact, ["_ferry_row", "_ferry_reasons", "_ferry_archived", "email",
                                                 "phone", "first_name", "last_name", "notes", "city"])
    assert kept == ["_ferry_row", "_ferry_reasons", "_ferry_archived", "email", "phone", "first_name", "last_name"]


def test_the_fold_is_defined_once_per_spark_session_and_called_by_name():
    """Every macro of the DuckDB prelude is one function of the Spark functions file; no Spark step
    writes the fold out or defines a macro, and the dedup steps call the fold by name."""
    for name in ("legacy_crm", "two_crms"):
        folder = ROOT / "generated" / name
        entry = json.loads((folder / "manifest.json").read_text("utf-8"))["engines"]["spark"]
        assert entry["functions"] == sqlfunctions.FILE and f"spark/{sqlfunctions.FILE}" in entry["files"]
        defined = [s for s in sqlglot.parse((folder / "spark" / sqlfunctions.FILE).read_text("utf-8"), read="spark")
                   if s is not None]
        assert sorted(s.this.this.name.upper() for s in defined) == sorted(
            sqlfunctions.PREFIX + c.this.this.name.upper() for c in fold.compile_macros())
        steps = {p.name: p.read_text("utf-8") for p in (folder / "spark").glob("*.sql") if p.name != sqlfunctions.FILE}
        assert not any("MACRO" in t or "`_ferry`.`fold" in t or "FERRY_STRIP_ACCENTS" in t for t in steps.values())
        assert any("FERRY_FOLD(" in t for t in steps.values())


def test_the_spark_jaro_winkler_udf_gives_duckdbs_doubles_to_the_last_bit():
    """Found on the 1M bench export: ``best_score`` differed in the last bit for 12 of 1M contacts
    (DuckDB fuses the Winkler multiply-add). Swapped neighbours are where it shows."""
    import random

    from compiler.engines.spark import udfs

    rng = random.Random(2026)
    pairs = [("lena wolf", "lnea wolf"), ("ярослав литвиненко", "яорслав литвиненок"), ("martha", "marhta")]
    for _ in range(2000):
        a = list("".join(rng.choice("abcdeln ") for _ in range(rng.randint(3, 12))))
        b = a.copy()
        i = rng.randrange(len(b) - 1)
        b[i], b[i + 1] = b[i + 1], b[i]
        pairs.append(("".join(a), "".join(b)))
    con = duckdb.connect()
    want = con.execute("SELECT jaro_winkler_similarity(a, b) FROM (SELECT unnest(?) AS a, unnest(?) AS b)",
                       [[a for a, _ in pairs], [b for _, b in pairs]]).fetchall()
    got = [udfs.jaro_winkler(a, b) for a, b in pairs]
    assert [w for (w,) in want] == got
