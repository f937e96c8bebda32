"""The bench export gives the same tables on both engines, row for row, ids included.

The example (``test_run.py``) is 875 hand-written rows; the bench generator's export is the spec
the 1M and 5M figures run: generated deals as XML (ferry's converter), contacts with the people
the generator plants (e-mail case and fuzzy duplicates, so dedup's blocks, pairs and clusters run
on Spark), companies in cp1250 with NIP duplicates, orphans and bad values rejected. Here at
2,500 contacts (about 7,000 rows in all), through the tests' shared Spark session.
"""

from __future__ import annotations

import importlib.util

import pytest

from compiler import api
from compiler.engines.spark import publish
from tests.helpers import ROOT
from tests.spark.test_run import tables

pytestmark = pytest.mark.slow

CONTACTS = 2_500


def _bench(name: str):
    spec = importlib.util.spec_from_file_location(f"ferry_bench_{name}", ROOT / "bench" / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.mark.skipif(not (ROOT / "bench" / "generate.py").is_file(), reason="the bench generator is not in this tree")
def test_the_bench_export_gives_the_same_tables_on_both_engines(spark, tmp_path):
    summary = _bench("generate").generate(tmp_path / "data", CONTACTS, 2026, deals_format="xml", people=True)
    spec = _bench("variants").bench_spec(tmp_path, "bench_spark")
    options = api.Options(out=tmp_path / "generated")
    api.compile_spec_files(spec, options)
    duck_target, spark_target = tmp_path / "duck.duckdb", tmp_path / "spark.duckdb"
    duck = api.run_spec(spec, api.Options(out=options.out, target=duck_target))
    parsed = api.validate_spec(spec, options, read_rows=False)
    ran = publish.execute(parsed, options.out / parsed.name, spark_target, session=spark)

    read = {e.entity: e.read for e in duck.entities}
    assert sum(read.values()) == sum(summary["rows"].values())  # every generated row was read
    assert [(e.entity, e.read, e.loaded, e.rejected) for e in ran.entities] == \
        [(e.entity, e.read, e.loaded, e.rejected) for e in duck.entities]
    assert {f"spark: {e} {what}" for e in ("company", "contact") for what in ("pairs", "clusters")} <= \
        {s.file for s in ran.steps}  # dedup on Spark
    want, got = tables(duck_target), tables(spark_target)
    assert len(want["_ferry.contact_duplicates"]) > 0 and len(want["_ferry.company_duplicates"]) > 0
    assert any(row for row in want["_ferry.rejects"])  # the export's bad values were rejected, on both
    assert sorted(got) == sorted(want)
    differ = [name for name in want if got[name] != want[name]]
    assert not differ, f"tables that differ: {differ}"
