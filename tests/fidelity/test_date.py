"""Fidelity of ``date`` and ``timestamp``: Python's ``datetime.strptime`` is the reference.

Corpus: 76 hand-picked dates (PL, UA, DE, FR, UK, US, ISO, compact and spreadsheet conventions:
single-digit days, 2-digit years, month names in five languages, 31.02 and 29.02, years
0000/0999/10000, times of day) under 9 format lists and 34 timestamps (offsets, fractions, AM/PM)
under 4, 820 inputs; 9 cases where strptime is laxer; hypothesis: 100 random dates in 11 spellings
under 9 lists (9,900 inputs), 60 random moments with offsets in 5 spellings under 4 lists (1,200)
and 100 fuzzed lists of up to 15 strings under all 13 lists (about 10,000): about 22,000 inputs a run.

The reference reads the value (surrounding spaces stripped) with every format; the formats
that read it must agree on one value, else it rejects (ambiguous). A date leaves out a time of
day its format reads; a timestamp with an offset is converted to UTC. Where plain strptime is laxer than ferry's documented directives, ferry
rejects and the reference reads: those cases are listed in ``STRICTER`` and asserted as such.
"""

from __future__ import annotations

import datetime as dt
import unicodedata

import pytest
from hypothesis import example, given, settings, strategies as st

from compiler import timeformats
from tests.fidelity.harness import CON, disagreements, expected, outcomes

DATE_FORMATS = {
    "PL/UA/DE": ("%d.%m.%Y",),
    "ISO or PL": ("%Y-%m-%d", "%d.%m.%Y"),
    "FR or US": ("%d/%m/%Y", "%m/%d/%Y"),
    "UK month names": ("%d %b %Y", "%d %B %Y"),
    "two-digit year": ("%d.%m.%y",),
    "compact": ("%Y%m%d",),
    "compact day first": ("%d%m%Y",),
    "mixed export": ("%Y-%m-%d", "%d.%m.%Y", "%m/%d/%Y"),
    "spreadsheet cells": ("%Y-%m-%d", "%Y-%m-%d %H:%M:%S"),
}
TIMESTAMP_FORMATS = {
    "ISO with offset": ("%Y-%m-%dT%H:%M:%S%z", "%Y-%m-%dT%H:%M:%S.%f%z", "%Y-%m-%d %H:%M:%S"),
    "PL minutes": ("%d.%m.%Y %H:%M",),
    "US 12-hour": ("%m/%d/%Y %I:%M %p",),
    "fractions": ("%Y-%m-%d %H:%M:%S.%f", "%Y-%m-%d %H:%M:%S"),
}

DATES = [
    # PL, UA, DE: day first with dots, single digits allowed where a separator delimits them
    "01.02.2021", "1.2.2021", "31.12.1999", "29.02.2020", "29.02.2021", "29.02.1900", "29.02.2000", "31.02.2021",
    "31.04.2021", "00.01.2021", "01.13.2021", "01.02.21", "01.02.0000", "01.02.0999", "01.02.10000", "01.02.999",
    " 01.02.2021 ", "01.02.2021r.", "ok. 01.02.2021", "01.02.2021 12:00", "01. 02.2021", "01..02.2021",
    "١٢.٠٢.٢٠٢١", "０１.02.2021", "01.02.2021\u00a0", "-01.02.2021", "+01.02.2021",
    # FR day first, US month first: ambiguous where both read a different date
    "03/04/2021", "04/04/2021", "13/04/2021", "04/13/2021", "12/12/2021", "3/4/2021", "31/12/2021",
    # ISO
    "2021-02-01", "2021-2-1", "2021-02-30", "0001-01-01", "9999-12-31", "2021-001-02", "2021/02/01",
    # month names: English is read; Polish, German, French, Ukrainian are not
    "01 Jan 2021", "1 jan 2021", "01 JANUARY 2021", "1 May 2021", "01 Sept 2021", "01 Janu 2021",
    "01 sty 2021", "01 stycznia 2021", "01 Mär 2021", "01 März 2021", "01 févr. 2021", "01 janvier 2021",
    "01 січ 2021", "01 січня 2021", "01 Mai 2021",
    # two-digit years (69-99 -> 19xx, 00-68 -> 20xx), one digit is no year
    "01.02.68", "01.02.69", "01.02.00", "01.02.99", "01.02.5", "1.2.21",
    # compact: numbers that touch must have their full width
    "20210201", "01022021", "2021-02-01", "01.02.2021",
    # a date with its time of day, read on purpose by a format (checked, then left out)
    "2021-02-01 00:00:00", "2021-02-01 13:00:00", "2021-02-01 24:00:00", "2021-02-01 0:0:0",
    None, "", "  ", "soon", "n/a", "0",
]
TIMESTAMPS = [
    "2021-02-01T13:04:05+02:00", "2021-02-01T13:04:05+0200", "2021-02-01T13:04:05-05:30", "2021-02-01T00:30:00+01:00",
    "2021-02-01T13:04:05+02", "2021-02-01T13:04:05+2400", "2021-02-01T13:04:05+1460", "2021-02-01T13:04:05.5+00:00", "2021-02-01T13:04:05.123456+00:00",
    "2021-02-01T13:04:05.1234567+00:00", "2021-02-01 13:04:05", "2021-02-01 24:00:00", "2021-02-01 23:59:60",
    "2021-02-01 1:2:3", "2021-02-01 13:04:05.000000", "2021-02-01 13:04:05.100", "2021-02-01 13:04:05.",
    "01.02.2021 13:04", "1.2.2021 7:05", "01.02.2021 25:00", "01.02.2021 13:04:05", "01.02.2021",
    "02/01/2021 01:04 PM", "02/01/2021 12:04 AM", "02/01/2021 12:04 PM", "02/01/2021 13:04 PM",
    "02/01/2021 00:04 AM", "02/01/2021 01:04 pm", "02/01/2021 01:04PM", "02/01/2021 01:04 P.M.",
    "0001-01-01 00:00:00", "9999-12-31 23:59:59.999999", None, " ",
]

#: Plain strptime reads these; ferry's directives do not, and it rejects (documented in the README):
#: literal text is matched as written (strptime ignores case), a space is ASCII whitespace (strptime
#: takes any Unicode space), %d takes no leading space, %z takes +HH:MM or +HHMM only, and numbers
#: that touch must have their full width (strptime backtracks: '1212021' is 12.1.2021 under %d%m%Y,
#: though 1.12.2021 fits as well).
STRICTER = [
    ("timestamp", "2021-02-01t13:04:05", ("%Y-%m-%dT%H:%M:%S",)),
    ("date", "01 02\u00a02021", ("%d %m %Y",)),
    ("date", "2021-02- 1", ("%Y-%m-%d",)),
    ("timestamp", "2021-02-01T13:04:05Z", ("%Y-%m-%dT%H:%M:%S%z",)),
    ("timestamp", "2021-02-01T13:04:05+02:00:00", ("%Y-%m-%dT%H:%M:%S%z",)),
    ("date", "2021021", ("%Y%m%d",)),
    ("date", "2021201", ("%Y%m%d",)),
    ("date", "1212021", ("%d%m%Y",)),
    ("date", "1022021", ("%d%m%Y",)),
]


def strip_spaces(value: str) -> str:
    """Surrounding spaces go: any Unicode space separator (NBSP too), not tabs or line breaks."""
    start, end = 0, len(value)
    while start < end and unicodedata.category(value[start]) == "Zs":
        start += 1
    while end > start and unicodedata.category(value[end - 1]) == "Zs":
        end -= 1
    return value[start:end]


def reference(formats: tuple[str, ...], kind: str):
    """strptime with each format; one agreed value or None. Offsets become UTC."""
    def read(value: str) -> str | None:
        readings = set()
        for fmt in formats:
            try:
                parsed = dt.datetime.strptime(strip_spaces(value), fmt)
            except ValueError:
                continue
            if parsed.tzinfo is not None:
                parsed = parsed.astimezone(dt.timezone.utc).replace(tzinfo=None)
            readings.add(parsed)
        if len(readings) != 1:
            return None
        (parsed,) = readings
        return parsed.date().isoformat() if kind == "date" else parsed.isoformat(" ")
    return read


def check(kind: str, formats: tuple[str, ...], inputs: list[str | None]) -> None:
    got = outcomes(kind, inputs, formats=formats)
    want = expected(reference(formats, kind), inputs)
    assert got == want, "\n".join(disagreements(inputs, got, want))


@pytest.mark.parametrize("formats", DATE_FORMATS.values(), ids=DATE_FORMATS)
def test_date_corpus(formats):
    check("date", formats, DATES)


@pytest.mark.parametrize("formats", TIMESTAMP_FORMATS.values(), ids=TIMESTAMP_FORMATS)
def test_timestamp_corpus(formats):
    check("timestamp", formats, TIMESTAMPS)


def test_every_corpus_format_passes_validate():
    for kind, formats in [("date", f) for f in DATE_FORMATS.values()] + [("timestamp", f) for f in
                                                                         TIMESTAMP_FORMATS.values()]:
        for fmt in formats:
            assert not timeformats.unknown_directives(fmt) and timeformats.incomplete(fmt, kind) is None, fmt


@pytest.mark.parametrize("kind,value,formats", STRICTER)
def test_where_plain_strptime_is_laxer_ferry_rejects(kind, value, formats):
    assert reference(formats, kind)(value) is not None  # strptime reads it...
    assert outcomes(kind, [value], formats=formats)[0].rejected  # ...ferry does not


def test_ambiguous_day_and_month_reject_rather_than_follow_the_list():
    assert [o.value for o in outcomes("date", ["03/04/2021", "04/04/2021", "13/04/2021"],
                                      formats=("%d/%m/%Y", "%m/%d/%Y"))] == [None, "2021-04-04", "2021-04-13"]


def test_offsets_do_not_depend_on_the_session_time_zone():
    import duckdb
    from compiler import functions

    con = functions.register(duckdb.connect())
    con.execute("SET TimeZone = 'Asia/Tokyo'")
    assert outcomes("timestamp", ["2021-02-01T13:04:05+02:00"], con=con, formats=("%Y-%m-%dT%H:%M:%S%z",))[0].value \
        == "2021-02-01 11:04:05"


def _ymd(d: dt.date, order: str, sep: str, pad: bool = True) -> str:
    parts = {"d": f"{d.day:02d}" if pad else str(d.day), "m": f"{d.month:02d}" if pad else str(d.month),
             "Y": f"{d.year:04d}", "y": f"{d.year % 100:02d}"}
    return sep.join(parts[p] for p in order)


_SHAPES = [
    lambda d: _ymd(d, "dmY", "."), lambda d: _ymd(d, "dmY", ".", pad=False), lambda d: _ymd(d, "Ymd", "-"),
    lambda d: _ymd(d, "mdY", "/"), lambda d: _ymd(d, "mdY", "/", pad=False), lambda d: _ymd(d, "dmY", "/"),
    lambda d: _ymd(d, "dmy", "."), lambda d: _ymd(d, "Ymd", ""), lambda d: _ymd(d, "dmY", ""),
    lambda d: f"{d.day:02d} {d.strftime('%b')} {d.year:04d}", lambda d: f"{d.day} {d.strftime('%B').upper()} {d.year:04d}",
]


@given(st.dates(min_value=dt.date(1, 1, 1), max_value=dt.date(9999, 12, 31)))
@example(dt.date(2021, 4, 3))
@example(dt.date(2020, 2, 29))
@example(dt.date(999, 2, 1))
@settings(max_examples=100, deadline=None)
def test_random_dates_in_every_convention(day):
    inputs = [shape(day) for shape in _SHAPES]
    for formats in DATE_FORMATS.values():
        check("date", formats, inputs)


@given(st.datetimes(min_value=dt.datetime(1900, 1, 1), max_value=dt.datetime(2100, 1, 1)),
       st.integers(-14 * 60 + 1, 14 * 60 - 1).map(lambda m: dt.timezone(dt.timedelta(minutes=m))))
@settings(max_examples=60, deadline=None)
def test_random_timestamps_with_offsets(moment, zone):
    aware = moment.replace(tzinfo=zone)
    inputs = [aware.strftime("%Y-%m-%dT%H:%M:%S%z"), aware.isoformat(), moment.strftime("%Y-%m-%d %H:%M:%S"),
              moment.strftime("%m/%d/%Y %I:%M %p"), moment.strftime("%d.%m.%Y %H:%M")]
    for formats in TIMESTAMP_FORMATS.values():
        check("timestamp", formats, inputs)


@given(st.lists(st.text("0123456789./- :T+APM", min_size=1, max_size=22), min_size=1, max_size=15))
@settings(max_examples=100, deadline=None)
def test_fuzz_never_a_value_the_reference_does_not_give(texts):
    """On arbitrary text ferry may reject where strptime is laxer (STRICTER), never output otherwise."""
    for kind, groups in (("date", DATE_FORMATS), ("timestamp", TIMESTAMP_FORMATS)):
        for formats in groups.values():
            got = outcomes(kind, texts, formats=formats)
            want = expected(reference(formats, kind), texts)
            wrong = [f"{t!r}: ferry {g}, reference {w}" for t, g, w in zip(texts, got, want)
                     if not g.rejected and g != w]
            assert not wrong, "\n".join(wrong)


# Parsed once: formats that cannot read one text (``timeformats.disjoint``) are tried in turn, the
# first whose pattern matches reads the value, and the field's cast takes the transform's output
# as it is (``casts.exact_form``). Both shortcuts must give what the full checks give.

EVERY_FORMAT = sorted({f for formats in (*DATE_FORMATS.values(), *TIMESTAMP_FORMATS.values()) for f in formats})


def _matching(texts: list[str], fmt: str) -> list[str]:
    """The texts ``fmt``'s pattern reads (DuckDB's RE2, as the compiled SQL runs it)."""
    rows = CON.execute("SELECT t FROM unnest($1::VARCHAR[]) AS u(t) WHERE regexp_full_match(t, $2)",
                       [texts, timeformats.pattern(fmt)]).fetchall()
    return [t for (t,) in rows]


def test_corpus_lists_parsed_once_are_those_whose_formats_differ_outside_their_numbers():
    parsed_once = {name for name, formats in {**DATE_FORMATS, **TIMESTAMP_FORMATS}.items()
                   if len(formats) > 1 and timeformats.disjoint(formats)}
    assert parsed_once == {"ISO or PL", "mixed export", "spreadsheet cells", "fractions"}
    assert not timeformats.disjoint(("%d%m%Y", "%Y%m%d"))  # no separator: '20210102' is read by both
    assert not timeformats.disjoint(("%d.%m.%Y", "%d.%m.%Y"))
    assert timeformats.disjoint(("%d.%m.%Y", "%d. %m. %Y"))  # a space (any run of blanks) or none


@given(st.datetimes(min_value=dt.datetime(1, 1, 1), max_value=dt.datetime(9999, 12, 31, 23, 59, 59)))
@example(dt.datetime(2021, 1, 2, 3, 4, 5, 6))
@settings(max_examples=40, deadline=None)
def test_disjoint_formats_never_read_one_text(moment):
    """A text written with any corpus format (and the corpus's own texts) is read by no second format of a
    pair ``timeformats.disjoint`` calls disjoint."""
    texts = DATES + TIMESTAMPS + [moment.strftime(f.replace("%Y", f"{moment.year:04d}")) for f in EVERY_FORMAT]
    read_by = {fmt: set(_matching(texts, fmt)) for fmt in EVERY_FORMAT}
    for a in EVERY_FORMAT:
        for b in EVERY_FORMAT:
            if a < b and timeformats.disjoint((a, b)):
                assert not read_by[a] & read_by[b], (a, b, read_by[a] & read_by[b])


@pytest.mark.parametrize("kind,formats", [("date", f) for f in DATE_FORMATS.values()]
                         + [("timestamp", f) for f in TIMESTAMP_FORMATS.values()])
def test_output_is_the_cast_plain_form_where_the_cast_is_skipped(kind, formats):
    """Where ``casts.exact_form`` skips the field's cast checks, every output of the corpus passes them."""
    from types import SimpleNamespace

    from sqlglot import exp

    from compiler.model import Transform
    from compiler.sqlgen.casts import cast_failures, exact_form, typed_value

    field = SimpleNamespace(type=kind, transforms=(Transform(kind, (("formats", formats),), None),))
    offset = any(timeformats.has_offset(f) for f in formats)
    assert exact_form(field) is (kind == "date" or not offset)
    outputs = [o.value for o in outcomes(kind, DATES if kind == "date" else TIMESTAMPS, formats=formats)
               if o.value is not None]
    assert outputs
    text = exp.column("t")
    failing = exp.or_(*(c for c, _ in cast_failures(field, text))).sql(dialect="duckdb")
    checked, plain = typed_value(field, text).sql(dialect="duckdb"), typed_value(field, text, exact=True).sql("duckdb")
    rows = CON.execute(f"SELECT t, {failing}, {checked} IS NOT DISTINCT FROM {plain} FROM unnest($1::VARCHAR[]) AS u(t)",
                       [outputs]).fetchall()
    assert [t for t, fails, same in rows if fails or not same] == []
