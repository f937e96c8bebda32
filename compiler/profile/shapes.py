"""The value shapes `ferry profile` counts, as one SQL ``CASE`` per column, and what they mean.

In:  a column expression (sqlglot).
Out: ``classify(value)``: the ``CASE`` naming each value's first matching shape (``SHAPES``
order), and the catalogue: each shape's kind, label and the transform argument it calls for
(a strftime format, a decimal separator).

A shape is a pattern over the trimmed text, checked in DuckDB (RE2). Order matters: a
timestamp is tested before the date it starts with (every date shape has its timestamp
shapes, to the minute and to the second), an integer before a phone written without
separators (``profile.refine`` looks at those again), a date before a decimal. The yes/no
words are the ``boolean`` transform's own, the VAT prefixes the ``vat_id`` transform's.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from sqlglot import exp

from compiler.sqlgen.transforms.parse import FALSE_WORDS, TRUE_WORDS
from compiler.sqlgen.transforms.taxid import VAT_SHAPES


@dataclass(frozen=True, slots=True)
class ShapeDef:
    key: str
    kind: str
    label: str
    pattern: str  # RE2, matched against the whole trimmed value
    detail: str = ""  # date/timestamp: strftime format; decimal: separator


#: An EU country prefix, then letters and digits with separators (``FR 90 927983312``); whether it
#: has its country's shape is the ``vat_id`` transform's check (``refine``).
_VAT = "(?i)(" + "|".join(sorted(VAT_SHAPES)) + r")[ .\-]?[0-9A-Z][0-9A-Z .\-+*]{5,16}"

SHAPES: tuple[ShapeDef, ...] = (
    ShapeDef("email", "email", "e-mail address", r"[^@\s]+@[^@\s]+\.[^@\s]+"),
    ShapeDef("ts_iso_t", "timestamp", "yyyy-mm-ddThh:mm:ss", r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}", "%Y-%m-%dT%H:%M:%S"),
    ShapeDef("ts_iso", "timestamp", "yyyy-mm-dd hh:mm:ss", r"\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}", "%Y-%m-%d %H:%M:%S"),
    ShapeDef("ts_iso_min", "timestamp", "yyyy-mm-dd hh:mm", r"\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}", "%Y-%m-%d %H:%M"),
    ShapeDef("ts_dmy", "timestamp", "dd.mm.yyyy hh:mm", r"\d{1,2}\.\d{1,2}\.\d{4} \d{1,2}:\d{2}", "%d.%m.%Y %H:%M"),
    ShapeDef("ts_dmy_s", "timestamp", "dd.mm.yyyy hh:mm:ss", r"\d{1,2}\.\d{1,2}\.\d{4} \d{1,2}:\d{2}:\d{2}",
             "%d.%m.%Y %H:%M:%S"),
    ShapeDef("ts_slash", "timestamp", "mm/dd/yyyy hh:mm", r"\d{1,2}/\d{1,2}/\d{4} \d{1,2}:\d{2}", "%m/%d/%Y %H:%M"),
    ShapeDef("ts_slash_s", "timestamp", "mm/dd/yyyy hh:mm:ss", r"\d{1,2}/\d{1,2}/\d{4} \d{1,2}:\d{2}:\d{2}",
             "%m/%d/%Y %H:%M:%S"),
    ShapeDef("ts_ymd_slash", "timestamp", "yyyy/mm/dd hh:mm", r"\d{4}/\d{2}/\d{2} \d{1,2}:\d{2}", "%Y/%m/%d %H:%M"),
    ShapeDef("ts_ymd_slash_s", "timestamp", "yyyy/mm/dd hh:mm:ss", r"\d{4}/\d{2}/\d{2} \d{1,2}:\d{2}:\d{2}",
             "%Y/%m/%d %H:%M:%S"),
    ShapeDef("ts_dmy_dash", "timestamp", "dd-mm-yyyy hh:mm", r"\d{2}-\d{2}-\d{4} \d{1,2}:\d{2}", "%d-%m-%Y %H:%M"),
    ShapeDef("ts_dmy_dash_s", "timestamp", "dd-mm-yyyy hh:mm:ss", r"\d{2}-\d{2}-\d{4} \d{1,2}:\d{2}:\d{2}",
             "%d-%m-%Y %H:%M:%S"),
    ShapeDef("date_iso", "date", "yyyy-mm-dd", r"\d{4}-\d{2}-\d{2}", "%Y-%m-%d"),
    ShapeDef("date_dmy", "date", "dd.mm.yyyy", r"\d{1,2}\.\d{1,2}\.\d{4}", "%d.%m.%Y"),
    ShapeDef("date_slash", "date", "mm/dd/yyyy", r"\d{1,2}/\d{1,2}/\d{4}", "%m/%d/%Y"),  # refine: or dd/mm
    ShapeDef("date_ymd_slash", "date", "yyyy/mm/dd", r"\d{4}/\d{2}/\d{2}", "%Y/%m/%d"),
    ShapeDef("date_dmy_dash", "date", "dd-mm-yyyy", r"\d{2}-\d{2}-\d{4}", "%d-%m-%Y"),
    ShapeDef("nip", "nip", "NIP with separators", r"(PL ?)?\d{3}-\d{3}-\d{2}-\d{2}|(PL ?)?\d{3}-\d{2}-\d{2}-\d{3}|PL ?\d{10}"),
    ShapeDef("vat_id", "vat_id", "EU VAT number", _VAT),
    ShapeDef("integer", "integer", "integer", r"[+-]?\d+"),
    ShapeDef("dec_dot", "decimal", "decimal point", r"[+-]?\d*\.\d+", "."),
    ShapeDef("dec_comma", "decimal", "decimal comma", r"[+-]?\d*,\d+", ","),
    ShapeDef("dec_space_comma", "decimal", "space thousands, decimal comma", r"-?\d{1,3}([ \x{a0}]\d{3})+(,\d+)?", ","),
    ShapeDef("dec_dot_comma", "decimal", "dot thousands, decimal comma", r"[+-]?\d{1,3}(\.\d{3})+,\d+", ","),
    ShapeDef("dec_comma_dot", "decimal", "comma thousands, decimal point", r"[+-]?\d{1,3}(,\d{3})+\.\d+", "."),
    ShapeDef("phone", "phone", "phone number", r"(\+|00)?[\d\s().\-/]{6,24}"),
    ShapeDef("boolean", "boolean", "yes/no word", "(?i)" + "|".join(re.escape(w) for w in (*TRUE_WORDS, *FALSE_WORDS))),
)
TEXT = ShapeDef("text", "text", "text", "")
BY_KEY: dict[str, ShapeDef] = {s.key: s for s in (*SHAPES, TEXT)}


#: Shapes no whole number ([+-]digits) can have: each needs '@', a separator or 'PL'. So the
#: integer test may come first, and ids (every value an integer) take one regex, not thirteen.
BEFORE_INTEGER = tuple(s for s in SHAPES[: [x.key for x in SHAPES].index("integer")])
#: The shapes a value without a digit (0-9) can have; every other pattern needs one
#: (tests/unit/test_profile_shapes.py reads the patterns to check). A name or a city is
#: tested against these four, not all 27.
WITHOUT_DIGITS = tuple(s for s in SHAPES if s.key in ("email", "vat_id", "phone", "boolean"))


def _first(value: exp.Expression, catalogue: tuple[ShapeDef, ...]) -> exp.Case:
    case = exp.Case()
    for shape in catalogue:
        case = case.when(exp.func("regexp_full_match", value.copy(), exp.Literal.string(shape.pattern),
                                  dialect="duckdb"), exp.Literal.string(shape.key))
    return case.else_(exp.Literal.string(TEXT.key))


def classify(value: exp.Expression) -> exp.Expression:
    """The key of the first shape ``value`` (trimmed, non-empty) has, else 'text'. Integers are
    tested first, as no shape before them matches an integer (``BEFORE_INTEGER``); then a value
    without a digit only against the shapes that need none (``WITHOUT_DIGITS``, in catalogue order):
    one cheap search for a digit instead of some twenty full matches."""
    integer = BY_KEY["integer"]
    digit = exp.func("regexp_matches", value.copy(), exp.Literal.string("[0-9]"), dialect="duckdb")
    case = exp.Case().when(exp.func("regexp_full_match", value.copy(), exp.Literal.string(integer.pattern),
                                    dialect="duckdb"), exp.Literal.string(integer.key))
    case = case.when(exp.not_(digit), _first(value, WITHOUT_DIGITS))
    return case.when(exp.true(), _first(value, SHAPES)).else_(exp.Literal.string(TEXT.key))
