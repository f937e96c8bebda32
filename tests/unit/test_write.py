from __future__ import annotations

from compiler.write import stale_files, write_files


def test_write_reports_changes_and_removes_files_no_longer_produced(tmp_path):
    out = tmp_path / "generated" / "x"
    first = write_files(out, {"010_a.sql": "a\n", "manifest.json": "{}\n"})
    assert first.written == ("010_a.sql", "manifest.json") and not first.removed
    again = write_files(out, {"010_a.sql": "a\n", "manifest.json": "{}\n"})
    assert again.written == () and again.unchanged == ("010_a.sql", "manifest.json")
    third = write_files(out, {"010_b.sql": "b\n", "manifest.json": "{}\n"})
    assert third.written == ("010_b.sql",) and third.removed == ("010_a.sql",)
    assert sorted(p.name for p in out.iterdir()) == ["010_b.sql", "manifest.json"]
    assert not [p for p in out.parent.iterdir() if p.name.startswith(".")]  # no staging leftovers


def test_stale_files_names_changed_missing_and_extra(tmp_path):
    out = tmp_path / "x"
    write_files(out, {"a.sql": "a\n", "b.sql": "b\n"})
    assert stale_files(out, {"a.sql": "a\n", "b.sql": "b\n"}) == ()
    assert stale_files(out, {"a.sql": "A\n", "c.sql": "c\n"}) == ("a.sql", "b.sql", "c.sql")
