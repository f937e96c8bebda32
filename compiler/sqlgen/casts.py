"""A field's text -> its typed value, and why a value has none.

In:  a ``Field`` and the expression of its text (after transforms).
Out: ``typed_value``: NULL where the text does not convert; ``cast_failures``:
(condition, rule) pairs, together true exactly for text that has no typed value.

A cast never changes what a value says. DuckDB's TRY_CAST would: it rounds '1.5'
to the integer 2 and '12.34567' to 12.3457 in DECIMAL(18, 4), and reads '1e3',
'0x10' and '1_000' as numbers. So the text must have the plain form first:

* ``integer``: an optional sign and ASCII digits (else ``invalid_integer``),
  within BIGINT (``integer_overflow``);
* ``decimal``: the same, optionally followed by '.' and digits (``invalid_decimal``),
  with at most precision - scale digits before the point, leading zeros aside
  (``decimal_overflow``), and at most scale after it, trailing zeros aside
  (``decimal_rounding``);
* ``boolean``: true/t/yes/y/1 or false/f/no/n/0 in any case (``invalid_boolean``);
* ``date``: ISO ``YYYY-MM-DD``, year 0001-9999, a real day (``invalid_date``): DuckDB's cast would
  also read '2024-01-05 13:45' (dropping the time), '24-01-05' (the year 24) and '2024/1/5';
* ``timestamp``: ISO ``YYYY-MM-DD[ T]HH:MM[:SS[.ffffff]]`` or a plain date (midnight), no zone
  (``invalid_timestamp``): DuckDB's cast would drop an offset ('+02') without a word.
  Other spellings are the ``date``/``timestamp`` transforms' job, which read them exactly.

ASCII whitespace around a number or boolean is ignored (as DuckDB's cast does).
Numbers as people write them ('1 234,50 zł') are the ``decimal`` transform's job.
"""

from __future__ import annotations

from sqlglot import exp

from compiler import timeformats
from compiler.model import Field
from compiler.sqlgen.types import sql_type

#: What DuckDB's cast of text to a number skips around the value.
BLANK = r"[ \t\n\r\v\f]*"
SIGN = "[+-]?"
TRUE_WORDS = ("true", "t", "yes", "y", "1")
FALSE_WORDS = ("false", "f", "no", "n", "0")

Failure = tuple[exp.Expression, str]


def _matches(text: exp.Expression, pattern: str) -> exp.Expression:
    """The whole text, blanks around it aside, matches ``pattern``."""
    return exp.func("regexp_full_match", text.copy(), exp.Literal.string(f"{BLANK}{pattern}{BLANK}"),
                    dialect="duckdb")


def _is_null(value: exp.Expression) -> exp.Expression:
    return exp.Is(this=value, expression=exp.null())


def decimal_patterns(precision: int, scale: int) -> dict[str, str]:
    """RE2 patterns of a DECIMAL(precision, scale) in plain form: any number (``shape``), one that
    fits exactly (``fits``), one with too many digits before the point (``overflow``) or after
    it (``rounding``). A number of the shape fits, or overflows, or rounds, or both of the last two."""
    whole = precision - scale
    fits_whole = f"0*[0-9]{{1,{whole}}}" if whole else "0+"
    fits_fraction = f"[0-9]{{1,{scale}}}0*" if scale else "0+"
    return {
        "shape": rf"{SIGN}[0-9]+(?:\.[0-9]+)?",
        "fits": rf"{SIGN}{fits_whole}(?:\.{fits_fraction})?",
        "overflow": rf"{SIGN}0*[1-9][0-9]{{{whole},}}(?:\.[0-9]+)?",
        "rounding": rf"{SIGN}[0-9]+\.[0-9]{{{scale}}}[0-9]*[1-9][0-9]*",
    }


_YEAR = "(?:000[1-9]|00[1-9][0-9]|0[1-9][0-9]{2}|[1-9][0-9]{3})"
DATE = rf"{_YEAR}-[0-9]{{2}}-[0-9]{{2}}"
TIMESTAMP = rf"{DATE}(?:[ T][0-9]{{2}}:[0-9]{{2}}(?::[0-9]{{2}}(?:\.[0-9]{{1,6}})?)?)?"


def _boolean_word(words: tuple[str, ...]) -> str:
    return f"(?i:{'|'.join(words)})"


def exact_form(field: Field) -> bool:
    """Whether the field's text is NULL or its type's plain form by construction, so its cast cannot fail:
    its last transform is ``date`` (ISO ``YYYY-MM-DD``, year 0001-9999) on a date or timestamp field, or
    ``timestamp`` with no offset in its formats (``YYYY-MM-DD HH:MM:SS[.ffffff]``; a value moved to UTC
    may leave the years 0001-9999) on a timestamp field."""
    if not field.transforms or field.type not in ("date", "timestamp"):
        return False
    last = field.transforms[-1]
    if last.name == "date":
        return True
    formats = dict(last.args).get("formats", ())
    return (last.name == "timestamp" and field.type == "timestamp"
            and not any(timeformats.has_offset(f) for f in formats))


def typed_value(field: Field, text: exp.Expression, exact: bool = False) -> exp.Expression:
    """The value as the field's type, or NULL when the text is not one (string: the text). ``exact``: the
    text is the type's plain form (``exact_form``), so a plain cast reads it."""
    if exact:
        return exp.cast(text.copy(), sql_type(field))
    match field.type:
        case "string":
            return text
        case "integer":
            return exp.Case().when(_matches(text, f"{SIGN}[0-9]+"), exp.TryCast(this=text.copy(), to=sql_type(field)))
        case "decimal":
            fits = decimal_patterns(field.precision, field.scale)["fits"]
            return exp.Case().when(_matches(text, fits), exp.TryCast(this=text.copy(), to=sql_type(field)))
        case "boolean":
            return (exp.Case().when(_matches(text, _boolean_word(TRUE_WORDS)), exp.true())
                    .when(_matches(text, _boolean_word(FALSE_WORDS)), exp.false()))
        case "date" | "timestamp":
            plain = DATE if field.type == "date" else TIMESTAMP
            return exp.Case().when(_matches(text, plain), exp.TryCast(this=exp.Trim(this=text.copy()),
                                                                      to=sql_type(field)))
    return exp.TryCast(this=text, to=sql_type(field))


def cast_failures(field: Field, text: exp.Expression, exact: bool = False) -> list[Failure]:
    """The rules a text with no typed value fails; none for a string field, or text of the exact form.

    A number that has the plain form but does not fit gets its own rule; any other text with
    no typed value is ``invalid_<type>``, so no value is ever silently left empty.
    """
    if field.type == "string" or exact:
        return []
    missing = exp.and_(exp.not_(_is_null(text.copy())), _is_null(typed_value(field, text.copy())))
    if field.type == "integer":
        plain = _matches(text, f"{SIGN}[0-9]+")
        return [(exp.and_(missing, exp.not_(plain)), "invalid_integer"),
                (exp.and_(missing.copy(), plain.copy()), "integer_overflow")]
    if field.type == "decimal":
        patterns = decimal_patterns(field.precision, field.scale)
        overflow, rounding = _matches(text, patterns["overflow"]), _matches(text, patterns["rounding"])
        # ``missing`` first: most values cast, and then the two patterns are not evaluated.
        return [(exp.and_(missing, exp.not_(overflow), exp.not_(rounding)), "invalid_decimal"),
                (exp.and_(missing.copy(), overflow.copy()), "decimal_overflow"),
                (exp.and_(missing.copy(), rounding.copy()), "decimal_rounding")]
    return [(missing, f"invalid_{field.type}")]
