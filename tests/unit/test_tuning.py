"""A run's DuckDB settings: spills go to the run's scratch folder, the memory limit is the user's
(FERRY_MEMORY_LIMIT) or 1 GB, never more than DuckDB's own default, and a size DuckDB cannot read
is a located error."""

from __future__ import annotations

import duckdb
import pytest

from compiler import tuning
from compiler.errors import FerryError


def setting(con: duckdb.DuckDBPyConnection, name: str) -> str:
    return con.execute("SELECT current_setting(?)", [name]).fetchone()[0]


@pytest.mark.parametrize("given, shown", [(None, "953.6 MiB"), ("2GB", "1.8 GiB"), ("500MB", "476.8 MiB")])
def test_limit_and_spill_folder(tmp_path, monkeypatch, given, shown):
    if given is None:
        monkeypatch.delenv(tuning.MEMORY_ENV, raising=False)
    else:
        monkeypatch.setenv(tuning.MEMORY_ENV, given)
    con = duckdb.connect()
    tuning.configure(con, tmp_path)
    assert setting(con, "memory_limit") == shown
    assert setting(con, "temp_directory") == str(tmp_path / "spill")
    assert setting(con, "preserve_insertion_order") is True  # row numbers follow the file


def test_more_than_the_machine_is_duckdbs_default(tmp_path, monkeypatch):
    con = duckdb.connect()
    default = setting(con, "memory_limit")
    monkeypatch.setenv(tuning.MEMORY_ENV, "900TB")
    tuning.configure(con, tmp_path)
    assert setting(con, "memory_limit") == default


def test_an_unreadable_size_is_f619(tmp_path, monkeypatch):
    monkeypatch.setenv(tuning.MEMORY_ENV, "plenty")
    with pytest.raises(FerryError) as info:
        tuning.configure(duckdb.connect(), tmp_path)
    assert info.value.diagnostics[0].code == "F619" and "plenty" in info.value.diagnostics[0].message
