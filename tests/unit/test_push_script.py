"""The PostgreSQL load script plans its checks on statistics (``targets/postgres/load.sql.j2``).

A table a check reads right after a bulk write has no statistics: autovacuum never analyzes a
temporary table, and a permanent one only a while later. Planned for a handful of rows, the
F611 check of a push right after the first ran a nested loop over the whole crosswalk (more than
10 minutes at 100k records). So in every committed script, each crosswalk's next rows are
analyzed between their COPY and the first statement that reads them, and the crosswalk is
analyzed once rewritten, before any later statement reads it.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from compiler.targets.postgres.push import parse_script

ROOT = Path(__file__).resolve().parents[2]
SCRIPTS = sorted((ROOT / "generated").glob("*/postgres/load.sql"))


def _first(statements, start: int, test) -> int:
    return next(i for i in range(start, len(statements)) if test(statements[i]))


@pytest.mark.parametrize("script", SCRIPTS, ids=lambda p: p.parent.parent.name)
def test_crosswalks_are_analyzed_before_they_are_read(script: Path):
    statements = parse_script(script.read_text("utf-8"))
    copies = [i for i, s in enumerate(statements) if s.kind == "copy" and s.phase == "prepare"]
    assert copies, "no crosswalk copy in the script"
    for at in copies:
        table = statements[at].sql.split()[1]  # COPY pg_temp."_ferry_x_crosswalk_next" (...)
        analyzed = _first(statements, at + 1, lambda s: table in s.sql)
        assert statements[analyzed].sql.strip() == f"ANALYZE {table};", statements[analyzed].what
        rewritten = _first(statements, analyzed + 1, lambda s: s.sql.startswith("INSERT INTO") and table in s.sql)
        crosswalk = statements[rewritten].sql.split()[2]
        assert statements[rewritten + 1].sql.strip() == f"ANALYZE {crosswalk};"
    sample = next(s.sql for s in statements if "default_statistics_target" in s.sql)
    assert statements.index(next(s for s in statements if s.sql == sample)) < copies[0]
