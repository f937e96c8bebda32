"""compiler.headers.duckdb_names against DuckDB itself: the names its CSV reader gives a header with repeats.

validate uses the function for xlsx sheets (whose header ferry writes into a CSV that DuckDB then
reads), so that a spec's ``phone#2`` and the column DuckDB calls ``phone_1`` are the same one.
"""

from __future__ import annotations

import csv

import duckdb
from hypothesis import example, given, settings, strategies as st

from compiler.headers import duckdb_names, read_name

# Few letters, both cases, digits and '_': repeats, case variants and names like phone_1 are common.
NAME = st.text(alphabet="aAbBłŁ_1", min_size=1, max_size=4).filter(lambda n: n.strip() == n)


@settings(max_examples=200, deadline=None)
@given(st.lists(NAME, min_size=1, max_size=8))
@example(["phone", "phone", "phone_1", "phone"])
@example(["x", "x_1", "X"])
@example(["Łódź", "łódź", "ÓŁ", "óŁ"])
def test_duckdb_names_a_header_as_predicted(tmp_path_factory, header):
    path = tmp_path_factory.mktemp("h") / "h.csv"
    with path.open("w", encoding="utf-8", newline="") as fh:
        writer = csv.writer(fh, lineterminator="\n")
        writer.writerow(header)
        writer.writerow(["v"] * len(header))
    con = duckdb.connect()
    try:
        cursor = con.execute("SELECT * FROM read_csv(?, header = true, all_varchar = true, delim = ',', quote = '\"')",
                             [str(path)])
        assert tuple(d[0] for d in cursor.description) == duckdb_names(tuple(header))
    finally:
        con.close()


@given(NAME, st.integers(1, 5))
def test_the_nth_occurrence_is_read_by_the_name_duckdb_gives_it_when_nothing_else_takes_it(name, n):
    header = tuple([name] * n)
    assert read_name(f"{name}#{n}", "csv") == duckdb_names(header)[-1]
