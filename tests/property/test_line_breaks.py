"""Any well-formed CSV whose rows end in \\r\\n, \\n or \\r, mixed, reads back as written.

Rows written by Python's csv module (values with delimiters, quotes and line breaks of every
kind, quoted as needed), each ended by a break picked at random, are copied by
``sources.lines.normalize`` and read by the compiled read (strict, columns given): the values
come back exactly, the breaks inside values included.
"""

from __future__ import annotations

import csv
import io

import duckdb
from hypothesis import example, given, settings, strategies as st

from compiler.model import CsvOptions, Source
from compiler.errors import Span
from compiler.sources.lines import Endings, normalize
from compiler.sqlgen import names
from compiler.sqlgen.stage import read_source

VALUE = st.text(alphabet='ab ;,"\r\n\\Ł', min_size=1, max_size=6)
ROW = st.tuples(VALUE, VALUE, st.sampled_from(["\n", "\r\n", "\r"]))
SPAN = Span("s.yaml", 1, 1)


def written(rows, delimiter: str) -> bytes:
    out = io.StringIO(newline="")
    writer = csv.writer(out, delimiter=delimiter, lineterminator="\r\n")  # quotes a value holding \r or \n
    for a, b, end in [("id", "name", "\n"), *rows]:
        writer.writerow([a, b])
        out.seek(out.tell() - 2)  # the row's own break instead
        out.truncate()
        out.write(end)
    return out.getvalue().encode("utf-8")


@settings(max_examples=150, deadline=None)
@given(st.lists(ROW, min_size=1, max_size=12), st.sampled_from([",", ";"]))
@example([("x\r\ny", '"', "\r\n"), ("a", "b\n", "\n"), ("c", "d", "\r")], ",")
def test_mixed_breaks_read_back_as_written(tmp_path_factory, rows, delimiter):
    folder = tmp_path_factory.mktemp("m")
    data = written(rows, delimiter)
    (folder / "in.csv").write_bytes(data)
    source = Source("s", "in.csv", "csv", "id", CsvOptions(delimiter=delimiter), SPAN, SPAN, SPAN)
    endings = Endings()
    endings.feed(data)
    readable = normalize(folder / "in.csv", folder / "out.csv", "utf-8", '"', '"', delimiter) if endings.mixed \
        else folder / "in.csv"
    con = duckdb.connect()
    try:
        con.execute(f'SET VARIABLE "{names.source_variable(source)}" = ?', [str(readable)])
        con.execute(f'SET VARIABLE "{names.columns_variable(source)}" = ?', [{"id": "VARCHAR", "name": "VARCHAR"}])
        read = con.execute(f"SELECT * FROM {read_source(source, ('id', 'name')).sql(dialect='duckdb')}").fetchall()
    finally:
        con.close()
    assert read == [(a, b) for a, b, _ in rows]
