"""Validation: a ``Document`` becomes a ``Spec``, or a ``FerryError`` listing every problem.

Two passes, each collecting all of its diagnostics before raising:

1. ``to_spec``: the JSON Schema (shape, names, allowed values), then the IR is built;
2. ``check``: semantic rules on the IR plus the sources' real headers
   (unknown sources and entities, missing columns, cycles, load order, clashes).

Reading the headers is I/O, so the caller (``api``) does it and passes them in.
"""

from __future__ import annotations

from typing import Mapping

from compiler.errors import raise_if_any
from compiler.load import Document
from compiler.model import Spec
from compiler.validate.build import build
from compiler.validate.checks import Context, Header, run_checks
from compiler.validate.schema import check_schema, schema_text, spec_schema

__all__ = ["Header", "check", "schema_text", "spec_schema", "to_spec"]


def to_spec(doc: Document) -> Spec:
    raise_if_any(check_schema(doc))
    return build(doc)


def check(spec: Spec, headers: Mapping[str, Header]) -> Spec:
    raise_if_any(run_checks(Context(spec, headers)))
    return spec
