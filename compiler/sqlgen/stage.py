"""Staging: read one source file into a temporary table, every column as text.

In:  ``Source`` and the columns the spec uses from it.
Out: one ``CREATE TEMPORARY TABLE`` statement.

Reading everything as VARCHAR means nothing is guessed or mangled on read
(leading zeros of tax ids, decimal commas, dates): types are applied later,
per field, where a failure becomes a reject with a reason. Each row gets its
1-based position in the file (``_ferry_row``), which every reject and
crosswalk row carries back to the source. The file path is not in the SQL: the
runner sets a DuckDB variable, so compiled output is the same on every machine.
A column the spec names ``phone#2`` (the second of two header cells named
``phone``) is selected by DuckDB's name for it, ``phone_1``, and staged under
the spec's name (``compiler.headers``; ``validate`` checks the file agrees).
"""

from __future__ import annotations

from sqlglot import exp

from compiler import encodings
from compiler.headers import read_name
from compiler.model import JSON_READ_FORMAT, READS_AS, CsvOptions, Source
from compiler.sqlgen import names


def _option(name: str, value: exp.Expression) -> exp.EQ:
    return exp.EQ(this=exp.column(name, quoted=True), expression=value)  # quoted like every other name


#: How the runner's converted files are written (xlsx sheets become this CSV).
CONVERTED_CSV = CsvOptions()

#: The longest row DuckDB reads (its default is 2 MB, which a long note can exceed). Memory grows
#: with the rows a file has, not with this bound; a row longer than this is an error (F323).
MAX_LINE_BYTES = 64 * 2**20


def read_source(source: Source, columns: tuple[str, ...], *, keep_rejects: bool = False) -> exp.Expression:
    """The table function reading a source's prepared file, every column as text.

    CSV reads the columns the runner found in the file's header (a variable, so the SQL stays the
    same on every machine), each as VARCHAR, strictly: nothing is sniffed, and a row with another
    number of fields or a quote never closed is an error (``sources.csvrows`` locates it;
    ``keep_rejects`` is how). JSON reads exactly ``columns``, each as VARCHAR (a missing key is
    NULL, a nested value its JSON text).
    """
    path = exp.Anonymous(this="getvariable", expressions=[exp.Literal.string(names.source_variable(source))])
    reads = READS_AS[source.format]
    if reads in JSON_READ_FORMAT:
        varchar = exp.Literal.string("VARCHAR")
        return exp.Anonymous(this="read_json", expressions=[
            path,
            _option("format", exp.Literal.string(JSON_READ_FORMAT[reads])),
            _option("records", exp.Boolean(this=True)),
            _option("columns", exp.Struct(expressions=[
                exp.PropertyEQ(this=exp.to_identifier(c, quoted=True), expression=varchar.copy()) for c in columns
            ])),
        ])
    o = source.options if isinstance(source.options, CsvOptions) else CONVERTED_CSV
    return exp.ReadCSV(
        this=path,
        expressions=[
            _option("delim", exp.Literal.string(o.delimiter)),
            _option("quote", exp.Literal.string(o.quote)),
            _option("escape", exp.Literal.string(o.escape)),
            _option("header", exp.Boolean(this=o.header)),
            _option("encoding", exp.Literal.string(encodings.duckdb_reads(o.encoding))),
            _option("auto_detect", exp.Boolean(this=False)),
            _option("columns", exp.Anonymous(this="getvariable", expressions=[
                exp.Literal.string(names.columns_variable(source))])),
            _option("strict_mode", exp.Boolean(this=True)),
            _option("max_line_size", exp.Literal.number(MAX_LINE_BYTES)),
            # DuckDB's buffer is 16 rows of max_line_size unless told (1 GiB here): two rows' worth
            # keeps reading within the run's memory limit (run.tuning).
            _option("buffer_size", exp.Literal.number(2 * MAX_LINE_BYTES)),
            *([_option("store_rejects", exp.Boolean(this=True))] if keep_rejects else []),
        ],
    )


def compile_stage(source: Source, columns: tuple[str, ...], readers: int) -> tuple[exp.Expression, ...]:
    """A view when one entity reads the source (read once, never copied), a table when several do."""
    row_number = exp.Window(this=exp.RowNumber(), over="OVER")
    select = exp.select(
        exp.alias_(row_number, names.ROW, quoted=True),
        *(_staged(source, c) for c in columns),
    ).from_(exp.Table(this=read_source(source, columns)))
    create = exp.Create(
        this=names.stage_table(source),
        kind="VIEW" if readers == 1 else "TABLE",
        replace=True,
        properties=exp.Properties(expressions=[exp.TemporaryProperty()]),
        expression=select,
    )
    return (create,)


def _staged(source: Source, column: str) -> exp.Expression:
    """A source column under the spec's name for it (``"phone_1" AS "phone#2"``)."""
    read = read_name(column, source.format)
    return names.col(column) if read == column else exp.alias_(names.col(read), column, quoted=True)
