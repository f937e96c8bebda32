"""F430-F432: the arguments of ``date``, ``timestamp`` and ``boolean`` transforms mean one thing.

In:  ``Context``.
Out: diagnostics at the transform, so a format or word list that would misread values
     fails at ``ferry validate`` rather than at run time (or, worse, silently).
"""

from __future__ import annotations

from typing import Iterable

from compiler import timeformats
from compiler.errors import Diagnostic
from compiler.validate.checks.context import Context

_READ = "ferry reads %d %m %b %B %Y %y %H %I %p %M %S %f %z and %%"


def _transforms(ctx: Context, *names: str):
    for entity in ctx.spec.entities:
        for field in entity.fields:
            for t in field.transforms:
                if t.name in names:
                    yield f"{entity.name}.{field.name}", t


def check_time_directives(ctx: Context) -> Iterable[Diagnostic]:
    """F430: a ``date``/``timestamp`` format uses only the directives ferry reads.

    Bad::   transforms: [{date: ['%d.%m.%Y %Q']}]     # no such directive
    Bad::   transforms: [{timestamp: ['%Y-%m-%d %H:%M %Z']}]   # zone names are ambiguous
    Good::  transforms: [{timestamp: ['%Y-%m-%d %H:%M %z']}]
    """
    for where, t in _transforms(ctx, "date", "timestamp"):
        for fmt in dict(t.args)["formats"]:
            for directive, why in timeformats.unknown_directives(fmt):
                yield Diagnostic("F430", f"{t.name} format {fmt!r} of field '{where}': {directive}: {why}",
                                 t.span, _READ)


def check_time_formats(ctx: Context) -> Iterable[Diagnostic]:
    """F431: a ``date``/``timestamp`` format reads one whole, unambiguous date.

    A year, a month and a day, each once; %I with %p; no offset (%z) in a ``date``.

    Bad::   transforms: [{date: ['%m/%Y']}]          # which day?
    Bad::   transforms: [{timestamp: ['%d.%m.%Y %H:%M %p']}]   # %H is 24-hour
    Good::  transforms: [{timestamp: ['%d.%m.%Y %I:%M %p']}]
    """
    for where, t in _transforms(ctx, "date", "timestamp"):
        for fmt in dict(t.args)["formats"]:
            if timeformats.unknown_directives(fmt):
                continue  # F430 says why
            if (problem := timeformats.incomplete(fmt, t.name)) is not None:
                why, hint = problem
                yield Diagnostic("F431", f"{t.name} format {fmt!r} of field '{where}': {why}", t.span, hint)


def check_boolean_words(ctx: Context) -> Iterable[Diagnostic]:
    """F432: a word in a ``boolean`` transform's lists means true or false, not both.

    Words are compared case-insensitively, as the transform reads them.

    Bad::   transforms: [{boolean: {true: [tak, T], false: [nie, t]}}]
    Good::  transforms: [{boolean: {true: [tak], false: [nie]}}]
    """
    for where, t in _transforms(ctx, "boolean"):
        args = dict(t.args)
        if not args:
            continue
        both = sorted({w.lower() for w in args["true"]} & {w.lower() for w in args["false"]})
        if both:
            yield Diagnostic("F432", f"boolean words of field '{where}' in both lists: "
                             f"{', '.join(repr(w) for w in both)}", t.span,
                             "each word must mean one thing; remove it from one list")
