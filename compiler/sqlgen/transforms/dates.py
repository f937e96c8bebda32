"""Date and timestamp transforms: text read with strptime formats, output as ISO text.

In:  a text expression and the spec's formats (checked by ``ferry validate``, F430/F431).
Out: ``Applied`` with ISO text, or the ``invalid_date`` / ``invalid_timestamp`` reject.

Each format reads only the text its pattern (``compiler.timeformats``) accepts, then
DuckDB's ``try_strptime`` checks the calendar (31.02 and 29.02.2021 reject). Every
format that reads a value must read the same instant: ``03/04/2021`` under both
``%d/%m/%Y`` and ``%m/%d/%Y`` is ambiguous and rejects rather than taking the first.
Formats that cannot both read one text (``timeformats.disjoint``: ``%Y-%m-%d`` and
``%d.%m.%Y``) need no such check: a value is parsed once, by the format it matches.
The output is the type's plain form, so the field's cast does not check it again
(``casts.exact_form``).
A value with an offset (``%z``) is converted to UTC; DuckDB would otherwise print it in
the session's time zone.
"""

from __future__ import annotations

from typing import Any, Mapping

from sqlglot import exp

from compiler import timeformats
from compiler.sqlgen.transforms.base import Applied, failing, fn, full_match, lit


def _reading(text: exp.Expression, fmt: str) -> exp.Expression:
    """The timestamp ``fmt`` reads from ``text`` matching its pattern (naive, UTC when it has an offset)."""
    parsed = fn("try_strptime", text.copy(), lit(fmt))
    return fn("timezone", lit("UTC"), parsed) if timeformats.has_offset(fmt) else parsed


def _read(text: exp.Expression, fmt: str) -> exp.Case:
    """The timestamp ``fmt`` reads from ``text``, or NULL."""
    return exp.Case().when(full_match(text, timeformats.pattern(fmt)), _reading(text, fmt))


def _parse(value: exp.Expression, formats: tuple[str, ...], rule: str, as_text) -> Applied:
    text = exp.Nullif(this=exp.Trim(this=value), expression=lit(""))
    if len(formats) == 1 or timeformats.disjoint(formats):
        # One format, or formats no text matches two of (``timeformats.disjoint``): a value is read by
        # the first whose pattern it matches, and no other pattern is tried (CASE stops there).
        reading = _read(text, formats[0])
        for fmt in formats[1:]:
            reading = reading.when(full_match(text, timeformats.pattern(fmt)), _reading(text, fmt))
        return failing(text, as_text(reading), exp.not_(exp.Is(this=reading.copy(), expression=exp.null())), rule)
    # list_distinct drops NULLs: what is left is every distinct reading of the value.
    readings = fn("list_distinct", exp.Array(expressions=[_read(text, f) for f in formats]))
    one = exp.EQ(this=exp.ArraySize(this=readings), expression=exp.Literal.number(1))
    first = exp.Bracket(this=readings.copy(), expressions=[exp.Literal.number(1)], offset=1)
    return failing(text, as_text(first), one, rule)


def date(value: exp.Expression, args: Mapping[str, Any]) -> Applied:
    """``date: ['%d.%m.%Y', '%Y-%m-%d %H:%M:%S']``: '1.02.2021' -> '2021-02-01'. A value that no
    format reads, or that two formats read as different dates, rejects. A time of day the format
    reads on purpose (spreadsheet cells: '2021-11-15 09:30:00') is checked, then left out."""
    return _parse(value, tuple(args["formats"]), "invalid_date", lambda ts: fn("strftime", ts, lit("%Y-%m-%d")))


def timestamp(value: exp.Expression, args: Mapping[str, Any]) -> Applied:
    """``timestamp: ['%Y-%m-%dT%H:%M:%S%z']``: 'YYYY-MM-DD HH:MM:SS', with '.ffffff' when the
    value has a fraction of a second (as Python's ``isoformat(' ')``); offsets become UTC."""
    def as_text(ts: exp.Expression) -> exp.Expression:
        whole = exp.EQ(this=fn("date_trunc", lit("second"), ts.copy()), expression=ts.copy())
        return (exp.Case().when(whole, fn("strftime", ts.copy(), lit("%Y-%m-%d %H:%M:%S")))
                .else_(fn("strftime", ts.copy(), lit("%Y-%m-%d %H:%M:%S.%f"))))

    return _parse(value, tuple(args["formats"]), "invalid_timestamp", as_text)
