"""The bench's references (bench/reference_duckdb.sql, bench/reference_pandas.py) produce ferry's records
on the example's data, and bench/compare.py notices when they do not: otherwise the bench's ratios
would compare different work."""

from __future__ import annotations

import importlib.util
import shutil
from pathlib import Path

import duckdb
import pytest

from compiler import api
from tests.helpers import EXAMPLE, ROOT

pytestmark = pytest.mark.slow


def _bench(name: str):
    spec = importlib.util.spec_from_file_location(f"ferry_bench_{name}", ROOT / "bench" / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


compare = _bench("compare")
variants = _bench("variants")


@pytest.fixture(scope="module")
def project(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("bench")
    shutil.copytree(EXAMPLE.parent / "data", folder / "data")
    return folder


def _ferry(project: Path, variant: str) -> Path:
    spec = variants.bench_spec(project, f"bench_{variant}", variant)
    options = api.Options(out=project / "generated", target=project / f"{variant}.duckdb")
    api.compile_spec_files(spec, options)
    api.run_spec(spec, options)
    return options.target


def test_hand_written_script_makes_the_same_cleaning_records(project):
    hand = project / "hand.duckdb"
    _bench("reference_duckdb").run_reference(hand, project / "data")
    ferry = _ferry(project, "same_cleaning")
    report = compare.same_cleaning(hand, ferry)
    assert report["ok"], report
    with duckdb.connect(str(ferry), read_only=True) as con:  # the dedup on e-mail had something to do
        assert con.execute("SELECT count(*) FROM _ferry.contact_crosswalk WHERE status = 'merged'").fetchone()[0] > 0

    # The check can fail: one e-mail not lower-cased, one contact left out.
    broken = project / "broken.duckdb"
    shutil.copy(hand, broken)
    with duckdb.connect(str(broken)) as con:
        first = con.execute("SELECT min(contact_id::BIGINT)::VARCHAR FROM contact WHERE email IS NOT NULL").fetchone()[0]
        con.execute("UPDATE contact SET email = upper(email) WHERE contact_id = ?", [first])
        con.execute("DELETE FROM contact WHERE contact_id = (SELECT max(contact_id::BIGINT)::VARCHAR FROM contact)")
    report = compare.same_cleaning(broken, ferry)
    contact = report["tables"]["contact"]
    assert not report["ok"] and contact["only_ferry"]["count"] == 1 and contact["reference"] == contact["ferry"] - 1
    # The sample is every id here (fewer than 1,000), so the changed e-mail is in it.
    assert contact["differing"]["email"]["count"] == 1


def test_pandas_script_refuses_the_same_values_as_ferry(project):
    pytest.importorskip("pandas", reason="the bench extra (make bench) installs pandas")
    pandas_target = project / "pandas.duckdb"
    _bench("reference_pandas").main(pandas_target, project / "data")
    ferry = _ferry(project, "full")
    report = compare.pandas_script(pandas_target, ferry, project / "data")
    assert report["ok"], report
    assert report["rules"]["contact.ambiguous_phone"]["ferry"] > 0
    valid = report["valid"]["contact.phone"]
    assert valid["pandas"] == valid["ferry"] < valid["present"]
