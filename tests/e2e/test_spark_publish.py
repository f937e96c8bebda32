"""Publishing a Spark run: a target another process changed while Spark ran is not touched (F923).

No Spark needed: the Spark side (``engines.spark.runner.compute``) is replaced by one that
changes the target, as a concurrent run would, and writes nothing.
"""

from __future__ import annotations

import hashlib

import duckdb
import pytest

from compiler import api
from compiler.engines.spark import publish
from compiler.engines.spark import runner
from compiler.errors import FerryError
from tests.helpers import compiled_example_copy

pytestmark = pytest.mark.slow


def test_a_target_changed_while_spark_ran_is_not_published(tmp_path, monkeypatch, compiled_example):
    spec_path = compiled_example_copy(tmp_path, compiled_example)
    options = api.Options(out=tmp_path / "generated")
    target = spec_path.parent / "build" / "legacy_crm.duckdb"
    api.run_spec(spec_path, options)

    def meddling(spec, manifest, directory, ready, out, master, report, session=None):
        con = duckdb.connect(str(target))
        con.execute("CREATE TABLE someone_else (x INT)")
        con.close()
        return runner.Computed({}, {}, {})
    monkeypatch.setattr(runner, "compute", meddling)
    spec = api.validate_spec(spec_path, options, read_rows=False)
    changed = None
    with pytest.raises(FerryError) as info:
        try:
            publish.execute(spec, options.out / spec.name, target)
        finally:
            changed = hashlib.sha256(target.read_bytes()).hexdigest()
    assert [d.code for d in info.value.diagnostics] == ["F923"]
    con = duckdb.connect(str(target), read_only=True)
    runs = con.execute("SELECT count(*) FROM _ferry.runs").fetchone()[0]
    con.close()
    assert runs == 1 and changed == hashlib.sha256(target.read_bytes()).hexdigest()
    assert not (spec_path.parent / "build" / ".ferry-tmp").exists()
