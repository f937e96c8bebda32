"""Dedup on Spark in a run: pairs and clusters computed by Spark, the same tables as the DuckDB engine.

``ferry run --engine spark`` hands each entity's checked rows to Spark in the publish
(``engines.spark.dedup``): the blocks, pairs and clusters come back as Parquet. Here: the dedup
fixture (keys, fuzzy rules with blocks, ``max_block``, Levenshtein, merge strategies) gives the same
tables on both engines, and a long chain of duplicates with a small bound on the rounds
(``FERRY_SPARK_MAX_ROUNDS``, the test knob) stops with F929 and publishes nothing.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from compiler import api
from compiler.engines.spark import publish
from compiler.engines.spark import dedup
from compiler.errors import FerryError
from tests.spark.test_run import tables

pytestmark = pytest.mark.slow

FIXTURE = Path(__file__).parents[1] / "e2e" / "fixtures" / "dedup"

CHAIN = """\
version: 1
name: chain
sources:
  people: {path: people.csv, id: person_id}
entities:
  person:
    source: people
    fields:
      email: email
      phone: phone
    dedup:
      keys: [[email], [phone]]
"""


def _both(spark, spec: Path, tmp_path: Path) -> tuple[dict, dict, object]:
    options = api.Options(out=tmp_path / "generated")
    api.compile_spec_files(spec, options)
    duck_target, spark_target = tmp_path / "duck.duckdb", tmp_path / "spark.duckdb"
    api.run_spec(spec, api.Options(out=options.out, target=duck_target))
    parsed = api.validate_spec(spec, options, read_rows=False)
    ran = publish.execute(parsed, options.out / parsed.name, spark_target, session=spark)
    return tables(duck_target), tables(spark_target), ran


def test_the_dedup_fixture_gives_the_same_tables_with_pairs_and_clusters_from_spark(spark, tmp_path):
    project = tmp_path / "dedup"
    shutil.copytree(FIXTURE, project)
    want, got, ran = _both(spark, project / "dedup.yaml", tmp_path)
    assert {s.file for s in ran.steps} >= {"spark: person pairs", "spark: person clusters"}
    assert len(want["_ferry.person_duplicates"]) == 7  # three clusters: 1-2-3, 4-5, 8-9
    assert sorted(got) == sorted(want)
    assert [name for name in want if got[name] != want[name]] == []


def _chain(folder: Path, rows: int) -> Path:
    """Row i shares its e-mail with one neighbour and its phone with the other: one chain of ``rows``."""
    folder.mkdir()
    lines = ["person_id,email,phone"] + [f"{i},e{(i + 1) // 2}@x.pl,{i // 2}" for i in range(1, rows + 1)]
    (folder / "people.csv").write_text("\n".join(lines) + "\n", "utf-8")
    (folder / "chain.yaml").write_text(CHAIN, "utf-8")
    return folder / "chain.yaml"


def test_a_long_chain_is_one_cluster_on_both_engines_and_past_the_bound_an_error(spark, tmp_path, monkeypatch):
    spec = _chain(tmp_path / "p", 120)
    want, got, _ = _both(spark, spec, tmp_path)
    assert len({row[0] for row in want["_ferry.person_duplicates"]}) == 1  # one cluster of 120
    assert len(want["_ferry.person_duplicates"]) == 120
    assert [name for name in want if got[name] != want[name]] == []

    parsed = api.validate_spec(spec, api.Options(out=tmp_path / "generated"), read_rows=False)
    monkeypatch.setenv(dedup.MAX_ROUNDS_VARIABLE, "2")
    target = tmp_path / "bounded.duckdb"
    with pytest.raises(FerryError) as caught:
        publish.execute(parsed, tmp_path / "generated" / parsed.name, target, session=spark)
    (diagnostic,) = caught.value.diagnostics
    assert diagnostic.code == "F929"
    assert "'person'" in diagnostic.message and "after 2 rounds" in diagnostic.message
    assert diagnostic.span.file.endswith("chain.yaml") and diagnostic.span.line == 12  # the dedup keys
    assert "block" in diagnostic.hint
    assert not target.exists()  # nothing published
    assert not any((tmp_path / ".ferry-tmp").glob("run-*"))  # nor a run folder left
