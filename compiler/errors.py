"""Positions and diagnostics: the one error type every stage raises.

In:  nothing (this module imports nothing from ferry).
Out: ``Span`` (file:line:col), ``Diagnostic`` (code, message, hint, span) and
``FerryError``, which carries every diagnostic a stage collected.

Stages collect all their diagnostics and raise once, so a user sees every
mistake in a spec in one go. The CLI prints one line per diagnostic and exits 1;
a user's mistake never surfaces as a traceback.

Codes are stable and grouped by family:

=====  ==============================================
F0xx   reading the spec (YAML syntax, duplicate keys)
F1xx   JSON Schema (unknown key, missing key, type, value)
F2xx   references and load order
F3xx   sources and their columns
F4xx   entities and fields
F5xx   compiled output (stale or missing generated/)
F6xx   running (input files, target, accounting)
F7xx   pushing: PostgreSQL (F70x), importer bundles (F72x Salesforce, F73x HubSpot, F74x export)
=====  ==============================================
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass
from typing import Iterable, Sequence


@dataclass(frozen=True, slots=True)
class Span:
    """A position in a file; ``line`` and ``col`` are 1-based, 0 means unknown."""

    file: str
    line: int = 0
    col: int = 0

    def __str__(self) -> str:
        if self.line <= 0:
            return self.file
        return f"{self.file}:{self.line}:{self.col}"


#: What a message shows escaped: every character ``str.splitlines`` breaks at (U+2028, NEL, form feed,
#: ...) and the other control characters but tab (a terminal would act on ESC), as Python writes them.
_ESCAPED = {c: repr(chr(c))[1:-1] for c in (*range(0x00, 0x09), *range(0x0A, 0x20), *range(0x7F, 0xA0), 0x2028, 0x2029)}


def _one_line(text: str) -> str:
    """A message quotes values from the data, which may hold line breaks and control characters:
    shown escaped, so one diagnostic is always one line and prints as written."""
    return text.translate(_ESCAPED)


@dataclass(frozen=True, slots=True)
class Diagnostic:
    code: str
    message: str
    span: Span | None = None
    hint: str | None = None

    def format(self) -> str:
        """``specs/x.yaml:12:7: error: <message> [F301] (hint: ...)``."""
        where = f"{_one_line(str(self.span))}: " if self.span else ""  # a path from the spec may hold a line break
        hint = f" (hint: {_one_line(self.hint)})" if self.hint else ""
        return f"{where}error: {_one_line(self.message)} [{self.code}]{hint}"

    def check_tuple(self) -> tuple[str, int, int]:
        """What tests compare: the code and where it points."""
        span = self.span or Span("")
        return (self.code, span.line, span.col)


class FerryError(Exception):
    """A user-facing failure: one or more located diagnostics."""

    def __init__(self, diagnostics: Diagnostic | Sequence[Diagnostic]):
        if isinstance(diagnostics, Diagnostic):
            diagnostics = (diagnostics,)
        self.diagnostics: tuple[Diagnostic, ...] = tuple(diagnostics)
        super().__init__("\n".join(d.format() for d in self.diagnostics))


def raise_if_any(diagnostics: Iterable[Diagnostic]) -> None:
    found = tuple(diagnostics)
    if found:
        raise FerryError(found)


def did_you_mean(word: str, choices: Iterable[str]) -> str | None:
    """A hint naming the closest choice, or listing the choices when none is close."""
    options = sorted({str(c) for c in choices})
    close = difflib.get_close_matches(str(word), options, n=1, cutoff=0.6)
    if close:
        return f"did you mean '{close[0]}'?"
    if not options:
        return None
    shown = ", ".join(options[:12]) + (", ..." if len(options) > 12 else "")
    return f"expected one of: {shown}"


def first_line(exc: BaseException) -> str:
    """The first line of an exception's message (DuckDB's errors run to several), or its type's name."""
    text = str(exc).strip().splitlines()
    return text[0] if text else type(exc).__name__
