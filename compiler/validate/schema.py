"""JSON Schema check of a ``Document``: schema errors -> located diagnostics.

In:  ``Document``.
Out: a tuple of ``Diagnostic`` (F1xx), sorted by position. Empty means the
document has the shape ``build`` expects.

The schema ships in the package (``compiler/schema/spec-v1.json``) and is what
``ferry schema`` prints, so editors autocomplete the same rules we enforce.
jsonschema reports *what* failed with a JSON path; the document's span index
turns that path into ``file:line:col``.
"""

from __future__ import annotations

import json
from functools import cache
from importlib import resources
from typing import Any, Iterable

import jsonschema
from jsonschema.exceptions import ValidationError, best_match

from compiler.errors import Diagnostic, did_you_mean
from compiler.load import Document

SCHEMA_VERSION = 1
_TYPE_NAMES = {"object": "a mapping", "array": "a list", "string": "text", "boolean": "true or false",
               "integer": "an integer", "number": "a number"}


@cache
def spec_schema() -> dict[str, Any]:
    text = resources.files("compiler.schema").joinpath(f"spec-v{SCHEMA_VERSION}.json").read_text("utf-8")
    return json.loads(text)


def schema_text() -> str:
    return json.dumps(spec_schema(), indent=2, ensure_ascii=False) + "\n"


@cache
def _validator() -> jsonschema.Draft202012Validator:
    return jsonschema.Draft202012Validator(spec_schema())


def check_schema(doc: Document) -> tuple[Diagnostic, ...]:
    if not isinstance(doc.data, dict):
        return (Diagnostic("F103", "a spec must be a mapping with version, sources and entities",
                           doc.span(()), "start from `ferry schema` or an example in specs/"),)
    diagnostics: list[Diagnostic] = []
    for error in _validator().iter_errors(doc.data):
        diagnostics.extend(_diagnose(doc, _narrow(error)))
    unique = {(d.span.line, d.span.col, d.code, d.message): d for d in diagnostics if d.span}
    return tuple(unique[k] for k in sorted(unique))


def _narrow(error: ValidationError) -> ValidationError:
    """For anyOf/oneOf failures, report the branch that fits the value best."""
    while error.validator in ("anyOf", "oneOf") and error.context:
        # a branch of another shape fails with a type error at its own level; a type error deeper
        # down (precision: twelve) is in the branch of the value's shape, and is the one to report
        same_type = [e for e in error.context if e.validator != "type" or e.relative_path]
        error = best_match(same_type or error.context)
    return error


def _diagnose(doc: Document, error: ValidationError) -> Iterable[Diagnostic]:
    path = tuple(error.absolute_path)
    where = _describe(path)
    kind = error.validator
    if kind == "additionalProperties" and isinstance(error.instance, dict):
        allowed = error.schema.get("properties", {})
        for key in error.instance:
            if key not in allowed:
                yield Diagnostic("F101", f"unknown key '{key}'{where}", doc.key_span(path + (key,)),
                                 did_you_mean(key, allowed))
    elif kind == "required":
        missing = [k for k in error.validator_value if k not in error.instance]
        for key in missing:
            yield Diagnostic("F102", f"missing required key '{key}'{where}", doc.key_span(path),
                             _required_hint(key))
    elif kind == "type":
        expected = error.validator_value
        names = " or ".join(_TYPE_NAMES.get(t, t) for t in ([expected] if isinstance(expected, str) else expected))
        yield Diagnostic("F103", f"expected {names}{where}, got {_shown(error.instance)}", doc.span(path))
    elif kind == "propertyNames":
        key = error.instance
        yield Diagnostic("F104", f"invalid name '{key}'{where}", doc.key_span(path + (key,)),
                         "use letters, digits and underscores, not starting with a digit")
    elif kind in ("enum", "const"):
        options = error.validator_value if kind == "enum" else [error.validator_value]
        yield Diagnostic("F104", f"invalid value {_shown(error.instance)}{where}", doc.span(path),
                         did_you_mean(str(error.instance), [str(o) for o in options]))
    elif kind == "oneOf" and _exclusive_keys(error.validator_value):
        keys = " and ".join(f"'{k}'" for k in _exclusive_keys(error.validator_value))
        yield Diagnostic("F104", f"{keys} exclude each other{where}", doc.span(path), "keep one of them")
    elif kind == "pattern" and _pattern_is_name(error):
        yield Diagnostic("F104", f"invalid name {_shown(error.instance)}{where}", doc.span(path),
                         "use letters, digits and underscores, not starting with a digit")
    else:
        yield Diagnostic("F104", f"{error.message}{where}", doc.span(path))


def _exclusive_keys(branches: list[dict[str, Any]]) -> list[str]:
    """The keys of a ``oneOf`` whose branches each just require one key (``from`` or ``sql``)."""
    if all(set(b) == {"required"} and len(b["required"]) == 1 for b in branches):
        return [b["required"][0] for b in branches]
    return []


def _pattern_is_name(error: ValidationError) -> bool:
    return error.validator_value in ("^[A-Za-z_][A-Za-z0-9_]*$", "^[a-z][a-z0-9_]*$")


def _describe(path: tuple[Any, ...]) -> str:
    if not path:
        return " at the top level"
    return " in " + ".".join(str(p) if not isinstance(p, int) else f"[{p}]" for p in path).replace(".[", "[")


def _shown(value: Any) -> str:
    if isinstance(value, str):
        return f"'{value}'"
    if value is None:
        return "nothing (null)"
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, (dict, list)):
        return _TYPE_NAMES["object" if isinstance(value, dict) else "array"]
    return str(value)


_REQUIRED_HINTS = {
    "id": "name the column that holds the old system's record id, e.g. `id: customer_id`",
    "path": "give the file path relative to the spec, e.g. `path: data/contacts.csv`",
    "source": "name one of the keys under `sources:`",
    "from": "name the source column, e.g. `from: email`, or compute the value with `sql:`",
    "entity": "name the entity this reference points at",
    "fields": "map at least one target field, e.g. `fields: {name: company_name}`",
    "version": "add `version: 1` at the top",
}


def _required_hint(key: str) -> str | None:
    return _REQUIRED_HINTS.get(key)
