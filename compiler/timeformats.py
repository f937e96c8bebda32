"""strptime formats of the ``date`` and ``timestamp`` transforms: what each directive reads.

In:  a format string from a spec (``'%d.%m.%Y'``) and the transform it belongs to.
Out: why ferry cannot read with it (``unknown_directives``, F430; ``incomplete``, a date
     that is incomplete or contradictory, F431) and ``pattern``, the RE2 regular
     expression of exactly the text the format accepts.

Why a pattern: DuckDB's ``strptime`` is more lenient than its documentation and than
Python's ``datetime.strptime``, and some of its leniency changes values: ``%Y`` takes
one to four digits (``'01.02.21'`` with ``%d.%m.%Y`` is the year 21), ``0000`` becomes
1 BC, ``%z`` takes ``+02`` and ``+2400``, and number fields written without a separator
between them are split greedily (``'1212021'`` with ``%d%m%Y``). The compiled SQL runs
``strptime`` only on text that matches the pattern, so each directive means what the
table below says, whichever engine reads it. Validate and sqlgen both use this module.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

_MONTHS = ("january", "february", "march", "april", "may", "june", "july", "august", "september", "october",
           "november", "december")


@dataclass(frozen=True, slots=True)
class Directive:
    """One ``%x``: the text it reads (RE2), that text when a number neighbours it without
    a separator (full width), and what it sets."""

    letter: str
    reads: str
    full_width: str | None  # None: not a number, or always of full width
    sets: str


#: The directives ferry reads. Numbers take one or two digits (``1.2.2021``) where a
#: separator delimits them, and their full width where another number touches them.
DIRECTIVES: dict[str, Directive] = {d.letter: d for d in (
    Directive("d", "3[01]|[12][0-9]|0[1-9]|[1-9]", "3[01]|[12][0-9]|0[1-9]", "day"),
    Directive("m", "1[0-2]|0[1-9]|[1-9]", "1[0-2]|0[1-9]", "month"),
    Directive("b", "(?i:" + "|".join(m[:3] for m in _MONTHS) + ")", None, "month"),
    Directive("B", "(?i:" + "|".join(_MONTHS) + ")", None, "month"),
    # Four digits, 0001-9999: there is no year 0 (DuckDB would read it as 1 BC).
    Directive("Y", "000[1-9]|00[1-9][0-9]|0[1-9][0-9]{2}|[1-9][0-9]{3}", None, "year"),
    # Two digits: 69-99 are 1969-1999, 00-68 are 2000-2068 (POSIX; Python and DuckDB agree).
    Directive("y", "[0-9]{2}", None, "year"),
    Directive("H", "2[0-3]|[01][0-9]|[0-9]", "2[0-3]|[01][0-9]", "hour"),
    Directive("I", "1[0-2]|0[1-9]|[1-9]", "1[0-2]|0[1-9]", "hour"),
    Directive("p", "(?i:am|pm)", None, "half"),
    Directive("M", "[0-5][0-9]|[0-9]", "[0-5][0-9]", "minute"),
    Directive("S", "[0-5][0-9]|[0-9]", "[0-5][0-9]", "second"),
    Directive("f", "[0-9]{1,6}", "[0-9]{6}", "fraction"),
    # An offset from UTC, +HH:MM or +HHMM (no 'Z', no seconds, less than a day).
    Directive("z", "[+-](?:[01][0-9]|2[0-3]):?[0-5][0-9]", None, "offset"),
)}

#: Directives strptime knows that ferry refuses, and why (F430).
REFUSED: dict[str, str] = {
    "Z": "a time zone name is ambiguous (CST, IST) or ignored; use %z with an offset such as +01:00",
    "a": "a weekday name is not checked against the date",
    "A": "a weekday name is not checked against the date",
    "w": "a weekday number is not checked against the date",
    "u": "a weekday number is not checked against the date",
    "j": "a day of the year is not read together with a month and day",
    "U": "week numbers do not give a date",
    "W": "week numbers do not give a date",
    "V": "week numbers do not give a date",
    "G": "ISO week years do not give a date",
    "c": "the locale's date and time layout is not fixed; spell it out with %d, %m, %Y...",
    "x": "the locale's date layout is not fixed; spell it out with %d, %m, %Y...",
    "X": "the locale's time layout is not fixed; spell it out with %H, %M, %S",
    "-": "DuckDB's unpadded forms (%-d) are not Python's; %d already reads one or two digits",
}

_NUMBERS = frozenset("dmYyHIMSf")
_TIME = frozenset("HIpMSfz")
_WHITESPACE = "[\t\n\v\f\r ]+"  # a space in a format matches a run of ASCII whitespace, as in strptime


def parts(fmt: str) -> tuple[str | Directive, ...]:
    """``'%d.%m.%Y'`` -> (Directive d, '.', Directive m, '.', Directive Y); ``%%`` is the text '%'.
    An unknown or refused directive is kept as its text, ``'%Q'``; ``unknown_directives`` names it."""
    out: list[str | Directive] = []
    i = 0
    while i < len(fmt):
        if fmt[i] != "%":
            j = fmt.find("%", i)
            j = len(fmt) if j < 0 else j
            out.append(fmt[i:j])
            i = j
            continue
        letter = fmt[i + 1:i + 2]
        out.append("%" if letter == "%" else DIRECTIVES.get(letter) or fmt[i:i + 2])
        i += 2
    return tuple(out)


def unknown_directives(fmt: str) -> list[tuple[str, str]]:
    """(directive, why) for each ``%x`` ferry does not read (F430)."""
    found = []
    for match in re.finditer(r"%(-?.?)", fmt, re.DOTALL):
        letter = match.group(1)
        if letter == "%" or letter in DIRECTIVES:
            continue
        why = REFUSED.get(letter[:1]) or ("a lone '%' ends the format; write %% for a percent sign" if not letter
                                          else "strptime has no such directive")
        found.append((match.group(0), why))
    return found


def incomplete(fmt: str, kind: str) -> tuple[str, str] | None:
    """(why, hint) when a format of a ``date`` or ``timestamp`` transform cannot give one exact value (F431)."""
    directives = [p for p in parts(fmt) if isinstance(p, Directive)]
    sets = [p.sets for p in directives]
    letters = {p.letter for p in directives}
    repeated = sorted({s for s in sets if sets.count(s) > 1})
    if repeated:
        return f"it reads the {repeated[0]} twice", "read each part of the date once"
    missing = [s for s in ("year", "month", "day") if s not in sets]
    if missing:
        return (f"it has no {' and no '.join(missing)}, so a date from it would be a guess",
                "a format reads a year (%Y, %y), a month (%m, %b, %B) and a day (%d)")
    if kind == "date" and "z" in letters:
        return ("a date has no offset (in UTC the day may change)", "use timestamp, which converts to UTC")
    if ("I" in letters) != ("p" in letters):
        return ("%I (a 12-hour clock) and %p (AM/PM) go together",
                "use %H for a 24-hour clock, or %I with %p")
    for part, needs in (("minute", "hour"), ("second", "minute"), ("fraction", "second")):
        if part in sets and needs not in sets:
            return f"it reads a {part} but no {needs}", "read the time from the hour down"
    return None


def pattern(fmt: str) -> str:
    """The RE2 pattern of the whole text ``fmt`` accepts (use with a full match)."""
    items = parts(fmt)
    out = []
    for i, part in enumerate(items):
        if isinstance(part, Directive):
            touching = any(_is_number_edge(items, j, i) for j in (i - 1, i + 1) if 0 <= j < len(items))
            reads = part.full_width if touching and part.full_width else part.reads
            out.append(f"(?:{reads})")
        else:
            out.append("".join(_WHITESPACE if ch.isspace() else _escape(ch) for ch in _collapse(part)))
    return "".join(out)


def disjoint(formats: tuple[str, ...]) -> bool:
    """Whether no text is read by two of ``formats``: each reads digits only where it has a directive
    (no %b, %p, %z) and no digit in its own text, so the characters other than digits of any text it
    reads are its own text (a run of whitespace as one space); formats whose own texts differ so
    read different texts. ``('%Y-%m-%d', '%d.%m.%Y')`` are; ``('%d%m%Y', '%Y%m%d')`` are not.
    """
    skeletons = [_skeleton(fmt) for fmt in formats]
    return None not in skeletons and len(set(skeletons)) == len(skeletons)


def _skeleton(fmt: str) -> str | None:
    """The characters other than digits every text ``fmt`` reads holds, in order (whitespace runs as one
    space); None when a directive reads more than digits or the format's own text holds a digit."""
    out = []
    for part in parts(fmt):
        if isinstance(part, Directive):
            if part.letter not in _NUMBERS:
                return None
            continue
        if part.startswith("%") and len(part) == 2 or any(ch.isdigit() for ch in part):
            return None  # an unknown directive (F430), or a digit the directives' digits could be taken for
        out.append(_collapse(part))
    return "".join(out)


def has_offset(fmt: str) -> bool:
    return any(isinstance(p, Directive) and p.letter == "z" for p in parts(fmt))


def _is_number_edge(items: tuple[str | Directive, ...], j: int, i: int) -> bool:
    """Whether ``items[j]``, beside the number ``items[i]``, touches it with a digit."""
    item = items[j]
    if isinstance(item, Directive):
        return item.letter in _NUMBERS
    return bool(item) and (item[0] if j > i else item[-1]).isdigit()


def _escape(ch: str) -> str:
    return "\\" + ch if ch in _SPECIAL else ch


_SPECIAL = frozenset("\\.^$|?*+()[]{}")


def _collapse(text: str) -> str:
    """Runs of whitespace in a format are one separator."""
    return re.sub(r"\s+", " ", text)
