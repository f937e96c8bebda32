"""F406-F408: regular expressions compile, bounds fit their field, check expressions are safe scalars."""

from __future__ import annotations

import datetime as dt
from typing import Iterable, Mapping

import duckdb
import sqlglot
from sqlglot import exp
from sqlglot.errors import SqlglotError

from compiler import memdb
from compiler.errors import Diagnostic, did_you_mean
from compiler.phoneregions import REGIONS
from compiler.validate import bind
from compiler.validate.checks.context import Context

_ORDERED = {"integer", "decimal", "date", "timestamp"}
RE2_HINT = "patterns use RE2 syntax (no look-around or back-references)"


def _regex_error(pattern: str, replacement: str | None = None) -> str | None:
    """DuckDB's (RE2's) own verdict on a pattern, and on a ``replace`` step's replacement (``\\2``
    needs two groups), so validate and run agree."""
    con = memdb.connection()
    try:
        con.execute("SELECT regexp_matches('', ?)", [pattern])
        if replacement is not None:
            con.execute("SELECT regexp_replace('', ?, ?, 'g')", [pattern, replacement])
        return None
    except duckdb.Error as exc:
        return str(exc).splitlines()[0]


def check_regexes(ctx: Context) -> Iterable[Diagnostic]:
    """F406: `replace` patterns and `regex` rules must be valid RE2 regular expressions.

    Bad::   rules: [{regex: '(?<=@)example'}]     # RE2 has no look-behind
    Good::  rules: [{regex: '.*@example\\.pl'}]
    """
    for entity in ctx.spec.entities:
        for field in entity.fields:
            found = [(t.span, dict(t.args)["pattern"], dict(t.args).get("with", ""))
                     for t in field.transforms if t.name == "replace"]
            found += [(r.span, r.arg, None) for r in field.rules if r.kind == "regex"]
            for span, pattern, replacement in found:
                if (error := _regex_error(pattern, replacement)) is not None:
                    yield Diagnostic("F406", f"invalid regular expression {pattern!r}: {error}", span, RE2_HINT)


def check_bounds(ctx: Context) -> Iterable[Diagnostic]:
    """F408: `min`/`max` apply to numbers and dates, with a bound of the field's type.

    Bad::   name: {from: nazwa, rules: [{min: 3}]}          # text has no order here
    Good::  amount: {from: kwota, type: decimal, rules: [{min: 0}]}
    """
    for entity in ctx.spec.entities:
        for field in entity.fields:
            for rule in (r for r in field.rules if r.kind in ("min", "max")):
                if field.type not in _ORDERED:
                    yield Diagnostic("F408", f"'{rule.kind}' needs a numeric or date field; '{field.name}' is "
                                     f"{field.type}", rule.span, "set `type: integer`, `decimal`, `date` or `timestamp`")
                elif not _fits(field.type, rule.arg):
                    yield Diagnostic("F408", f"'{rule.kind}: {rule.arg}' is not a {field.type}", rule.span,
                                     "dates are written as YYYY-MM-DD" if field.type in ("date", "timestamp") else None)


def _fits(field_type: str, bound: object) -> bool:
    if field_type in ("integer", "decimal"):
        return isinstance(bound, (int, float)) and not isinstance(bound, bool)
    try:
        (dt.date if field_type == "date" else dt.datetime).fromisoformat(str(bound))
        return True
    except ValueError:
        return False


def check_expressions(ctx: Context) -> Iterable[Diagnostic]:
    """F407: an entity `checks` expression is one scalar SQL expression over the entity's fields.

    No statements, subqueries, aggregates or window functions, and every column is a
    target field of the entity.

    Bad::   checks: {paid: "amount > (SELECT avg(amount) FROM deal)"}
    Good::  checks: {paid: "amount > 0 OR stage = 'lost'"}
    """
    for entity in ctx.spec.entities:
        fields = [f.name for f in entity.fields]
        for check in entity.checks:
            problem, hint = expression_problem(check.expression, fields)
            if not problem:
                problem, hint = bound_problem(check.expression, _typed_fields(ctx, entity.name), condition=True)
            if problem:
                yield Diagnostic("F407", f"check '{check.name}' of entity '{entity.name}': {problem}", check.span, hint)


def check_filter(ctx: Context) -> Iterable[Diagnostic]:
    """F409: a filter's `keep` is one scalar SQL expression over the entity's fields.

    Bad::   filter: {keep: "status IN (SELECT status FROM active_statuses)"}
    Good::  filter: {keep: "status = 'active'"}
    """
    for entity in ctx.spec.entities:
        if entity.filter is not None:
            problem, hint = expression_problem(entity.filter.keep, [f.name for f in entity.fields])
            if not problem:
                problem, hint = bound_problem(entity.filter.keep, _typed_fields(ctx, entity.name), condition=True)
            if problem:
                yield Diagnostic("F409", f"filter of entity '{entity.name}': {problem}", entity.filter.span, hint)


def bound_problem(text: str, columns: Mapping[str, str], condition: bool) -> tuple[str | None, str | None]:
    """Why DuckDB would refuse ``text`` at run time, or why its result would not be fit to use:
    not boolean where a ``condition`` is needed, or not the same for the same inputs."""
    bound = bind.bind(text, columns)
    if bound.problem:
        if "Catalog Error" in bound.problem:
            return bound.problem, "a DuckDB function name is wrong? see duckdb.org/docs/sql/functions"
        if "Invalid Input Error" in bound.problem and "regexp" in text.lower():  # RE2 refused a pattern
            return bound.problem, RE2_HINT
        return bound.problem, "values have their types: compare like with like, or cast, e.g. try_cast(x AS DATE)"
    if bound.volatile:
        return (f"calls {', '.join(n + '()' for n in bound.volatile)}, whose result changes from run to run",
                "the same spec and data must give the same target; use a deterministic expression")
    if condition and bound.type != "BOOLEAN":
        return f"is {bound.type}, not a condition", "write a comparison, e.g. \"amount >= 0\" or \"email IS NOT NULL\""
    return None, None


def _typed_fields(ctx: Context, entity_name: str) -> dict[str, str]:
    entity = ctx.spec.entity(entity_name)
    return bind.field_columns({f.name: f.type for f in entity.fields})


def check_field_sql(ctx: Context) -> Iterable[Diagnostic]:
    """F411: a field's ``sql`` is one scalar SQL expression over the source row.

    No statements, subqueries, aggregates or window functions; its columns are
    the source's (an unknown one is F303).

    Bad::   full_name: {sql: "SELECT first_name FROM contacts"}
    Good::  full_name: {sql: "concat_ws(' ', first_name, last_name)"}
    """
    for entity in ctx.spec.entities:
        for field in entity.fields:
            if field.sql is not None:
                problem, hint = expression_problem(field.sql, None, "one expression, e.g. \"coalesce(mobile, phone)\"")
                columns = ctx.columns(entity.source) or ()
                if not problem and set(field.columns) <= set(columns):
                    # Every source column is text: DuckDB binds the expression as the run will.
                    problem, hint = bound_problem(field.sql, {c: "VARCHAR" for c in field.columns}, condition=False)
                    if problem and hint and hint.startswith("values have"):
                        hint = "source columns are text: cast them, e.g. try_cast(amount AS DECIMAL)"
                if problem:
                    yield Diagnostic("F411", f"sql of field '{entity.name}.{field.name}': {problem}",
                                     field.sql_span, hint)


def expression_problem(text: str, fields: list[str] | None,
                       example: str = "one boolean expression, e.g. \"amount >= 0\"") -> tuple[str | None, str | None]:
    """Why ``text`` is not one scalar expression over ``fields`` (None: columns are checked elsewhere)."""
    try:
        tree = sqlglot.parse_one(text, read="duckdb")
    except SqlglotError as exc:  # ParseError, and TokenError for an unclosed quote, $$ or /*
        return f"not valid SQL ({str(exc).splitlines()[0]})", f"write {example}"
    # An allowlist: scalar expressions (columns, literals, functions, comparisons, CASE) are Conditions.
    if not isinstance(tree, exp.Condition) or tree.find(exp.Query) is not None:
        return "statements and subqueries are not allowed", f"write {example}"
    if tree.find(exp.Star) is not None or any(f.name.lower() == "columns" for f in tree.find_all(exp.Anonymous)):
        return "`*` and COLUMNS(...) are not allowed", f"name the columns: write {example}"
    if tree.find(exp.AggFunc, exp.Window) is not None:
        return "aggregates and window functions are not allowed", "rules and dedup work across rows; sql sees one row"
    for column in () if fields is None else tree.find_all(exp.Column):
        if column.table or column.name not in fields:
            return f"unknown column '{column.sql(dialect='duckdb')}'", did_you_mean(column.name, fields)
    return None, None


def check_phone_regions(ctx: Context) -> Iterable[Diagnostic]:
    """F410: a `phone` transform's region is one phonenumbers knows (ISO 3166 code).

    Bad::   transforms: [{phone: {region: EN}}]
    Good::  transforms: [{phone: {region: GB}}]
    """
    regions = sorted(REGIONS)
    for entity in ctx.spec.entities:
        for field in entity.fields:
            for t in (t for t in field.transforms if t.name == "phone"):
                args = dict(t.args)
                for region in (args["region"], *args.get("fallback", ())):
                    if region not in REGIONS:
                        yield Diagnostic("F410", f"unknown phone region '{region}'", t.span,
                                         did_you_mean(region, regions))
