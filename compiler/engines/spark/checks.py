"""``ferry validate --engine spark``: raw SQL in a spec that cannot run on Spark, at its line.

In:  a validated ``Spec``.
Out: a ``Diagnostic`` (F926) for each ``sql`` of a field, ``checks`` entry, ``filter.keep`` and
dedup ``block`` expression that, rewritten for Spark by the engine's passes, has no Spark
meaning: a construct the passes refuse, a function Spark does not have (``builtins``), or
SQL sqlglot cannot write for Spark. No JVM is started.

Bad:  ``sql: "list_reverse(tags)"``                  (a DuckDB-only function)
Good: ``sql: "json_extract_string(meta, '$.tags')"`` (rewritten to Spark's get_json_object)
"""

from __future__ import annotations

from typing import Iterator

import sqlglot
from sqlglot import exp
from sqlglot.errors import ErrorLevel, SqlglotError

from compiler.engines.spark import builtins, passes
from compiler.engines.spark.regex import Unsupported
from compiler.errors import Diagnostic, Span
from compiler.model import Spec

CODE = "F926"
HINT = ("write it with functions both engines have (README, \"Engines\"), or run this spec with the DuckDB "
        "engine (no --engine)")


def raw_sql(spec: Spec) -> Iterator[tuple[str, str, Span]]:
    """Every raw SQL text of the spec: (what it is, its text, where it is written)."""
    for entity in spec.entities:
        for field in entity.fields:
            if field.sql is not None:
                yield f"sql of field '{entity.name}.{field.name}'", field.sql, field.sql_span or field.span
        for check in entity.checks:
            yield f"check of entity '{entity.name}'", check.expression, check.span
        if entity.filter is not None:
            yield f"filter.keep of entity '{entity.name}'", entity.filter.keep, entity.filter.span
        for rule in (entity.dedup.fuzzy if entity.dedup is not None else ()):
            for block in rule.block:
                yield f"dedup block of entity '{entity.name}'", block, rule.span


def problem(text: str) -> str | None:
    """Why ``text`` (DuckDB SQL) has no Spark meaning, or None."""
    try:
        tree = passes.expression(sqlglot.parse_one(text, read="duckdb"))
    except Unsupported as exc:
        return f"Spark cannot express {exc.args[0]}"
    except SqlglotError:
        return None  # not SQL at all: the DuckDB checks (F411 and others) say so
    missing = sorted({f.name.lower() for f in tree.find_all(exp.Anonymous)
                      if f.name.upper() not in builtins.FUNCTIONS | builtins.UDFS})
    if missing:
        return f"calls {', '.join(missing)}, which Spark does not have"
    try:
        sqlglot.parse_one(tree.sql(dialect="spark", unsupported_level=ErrorLevel.RAISE), read="spark")
    except SqlglotError as exc:
        return f"has no Spark SQL form ({str(exc).splitlines()[0]})"
    return None


def check(spec: Spec) -> list[Diagnostic]:
    out = []
    for what, text, span in raw_sql(spec):
        reason = problem(text)
        if reason is not None:
            out.append(Diagnostic(CODE, f"{what} cannot run on Spark: {reason}", span, HINT))
    return out
