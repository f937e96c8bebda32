"""F450-F457, F462-F466: a match model's blocking rules, comparisons, levels and thresholds make sense."""

from __future__ import annotations

from typing import Iterable

import sqlglot
from sqlglot import exp

from compiler.errors import Diagnostic, did_you_mean
from compiler.matchmodel import SIMILAR_KINDS, MatchModel, blocking_parts, side
from compiler.model import Entity
from compiler.validate import bind
from compiler.validate.checks.context import Context
from compiler.validate.checks.rules import bound_problem, expression_problem

_EXAMPLE = "a condition over l and r, e.g. \"l.phone = r.phone\""
_SIMILARITY = ("jaro_winkler", "levenshtein", "jaccard")
_ORDERED = ("integer", "decimal", "date", "timestamp")
_DATED = ("date", "timestamp")


def _models(ctx: Context) -> Iterable[tuple[Entity, MatchModel]]:
    for entity in ctx.spec.entities:
        if entity.dedup is not None and entity.dedup.model is not None:
            yield entity, entity.dedup.model


def _columns_problem(text: str, known: list[str]) -> tuple[str | None, str | None]:
    for column in sqlglot.parse_one(text, read="duckdb").find_all(exp.Column):
        if side(column) is None:
            return (f"column '{column.sql(dialect='duckdb')}' names neither record: write l.{column.name} or "
                    f"r.{column.name}", "l and r are the two records of a pair")
        if column.name not in known:
            return f"unknown field '{column.name}'", did_you_mean(column.name, known)
    return None, None


def _bindable(text: str) -> str:
    """The condition with ``l.x``/``r.x`` as plain names ``_ferry_l_x``, so it binds over one row."""
    def flat(node: exp.Expression) -> exp.Expression:
        if isinstance(node, exp.Column) and side(node):
            return exp.column(f"_ferry_{side(node)}_{node.name}", quoted=True)
        return node
    return sqlglot.parse_one(text, read="duckdb").transform(flat).sql(dialect="duckdb")


def check_blocking(ctx: Context) -> Iterable[Diagnostic]:
    """F450: a blocking rule is one condition over fields of ``l`` and ``r``, the two records of a pair.
    F451: DuckDB binds it as a condition, the same on every run (no ``random()``).
    F452: it has a key: an equality of an expression over ``l`` with the same over ``r``, so rows
    are compared only within blocks (a hash join), never every row with every row.
    F462: at least one rule trains the model (not ``train: false``).

    Bad::   block: ["phone = phone", "l.city <> r.city", "levenshtein(l.name, r.name) < 2"]
    Good::  block: ["l.phone = r.phone", "lower(l.city) = lower(r.city) AND l.zip <> r.zip"]
    """
    for entity, model in _models(ctx):
        if not any(rule.train for rule in model.block):
            yield Diagnostic("F462", f"no blocking rule of entity '{entity.name}' trains its match model", model.span,
                             "m is estimated from the pairs of rules without `train: false`: keep one")
        known = [f.name for f in entity.fields]
        typed = bind.field_columns({f"_ferry_{s}_{f.name}": f.type for s in ("l", "r") for f in entity.fields})
        for rule in model.block:
            where = f"blocking rule '{rule.condition}' of entity '{entity.name}'"
            problem, hint = expression_problem(rule.condition, None, _EXAMPLE)
            if not problem:
                problem, hint = _columns_problem(rule.condition, known)
            if problem:
                yield Diagnostic("F450", f"{where}: {problem}", rule.span, hint)
                continue
            problem, hint = bound_problem(_bindable(rule.condition), typed, condition=True)
            if problem:
                yield Diagnostic("F451", f"{where}: {problem.replace('_ferry_l_', 'l.').replace('_ferry_r_', 'r.')}",
                                 rule.span, hint)
            elif not blocking_parts(rule.condition)[0]:
                yield Diagnostic("F452", f"{where} has no key: every pair of rows would be compared", rule.span,
                                 "add an equality of the same expression on both records, e.g. "
                                 "\"left(l.last_name, 3) = left(r.last_name, 3) AND ...\"")


def check_comparisons(ctx: Context) -> Iterable[Diagnostic]:
    """F453: a comparison compares fields of the entity (its name, or its ``fields``).
    F454: ``within`` compares one number or date field.
    F466: ``transposed: day_month`` compares one date (or timestamp) field.

    Bad::   compare: {e_mail: [exact], name: [{within: 2}]}
    Good::  compare: {email: [exact], born: [exact, {within: 31}]}
    """
    for entity, model in _models(ctx):
        known = [f.name for f in entity.fields]
        for c in model.compare:
            unknown = [f for f in c.fields if f not in known]
            dated = len(c.fields) == 1 and not unknown and entity.field(c.fields[0]).type in _DATED
            for level in (lv for lv in c.levels if lv.kind == "transposed" and not dated):
                yield Diagnostic("F466", f"'transposed: day_month' compares one date field; comparison '{c.name}' "
                                 "is not one", level.span, "put it on a comparison of one field of type date "
                                 "or timestamp")
            for name in unknown:
                yield Diagnostic("F453", f"comparison '{c.name}' of entity '{entity.name}' names unknown field '{name}'",
                                 c.span, did_you_mean(name, known) or "name a field, or list them in `fields`")
            if unknown:
                continue
            kind = entity.field(c.fields[0]).type if len(c.fields) == 1 else "several fields"
            for level in (lv for lv in c.levels if lv.kind == "within" and kind not in _ORDERED):
                yield Diagnostic("F454", f"'within' compares numbers or dates; comparison '{c.name}' is {kind}",
                                 level.span, "compare text with jaro_winkler, levenshtein, jaccard or edits")


def _order_problem(previous: list, level) -> str | None:
    if level.kind == "exact":
        return "exact must be the first level: after another one it could never hold" if previous else None
    if level.kind in ("swapped", "transposed"):
        twice = any(b.kind == level.kind and b.other == level.other for b in previous)
        return f"{level.label} is written twice: the second could never hold" if twice else None
    for before in previous:
        if before.kind != level.kind or (level.kind == "jaccard" and before.q != level.q):
            continue
        weaker = level.value >= before.value if level.kind in _SIMILARITY else level.value <= before.value
        if weaker:
            return (f"{level.label} comes after {before.label}, which takes every pair it would: "
                    "order the levels strongest first")
    return None


def check_levels(ctx: Context) -> Iterable[Diagnostic]:
    """F455: levels go strongest first, so each can hold: ``exact`` first, then thresholds of one
    method decreasing (edits and within increasing); the first level that holds is the pair's.
    F457: ``frequency`` weighs the exact level by how common the value is: it needs one.
    F467: ``frequency: all`` weighs the similarity levels too: it needs one.

    Bad::   first_name: {levels: [{jaro_winkler: 0.8}, {jaro_winkler: 0.9}, exact], frequency: false}
    Bad::   city: {levels: [exact], frequency: all}
    Good::  first_name: {levels: [exact, {jaro_winkler: 0.9}, {jaro_winkler: 0.8}], frequency: all}
    """
    for entity, model in _models(ctx):
        for c in model.compare:
            for i, level in enumerate(c.levels):
                problem = _order_problem(list(c.levels[:i]), level)
                if problem:
                    yield Diagnostic("F455", f"comparison '{c.name}' of entity '{entity.name}': {problem}", level.span,
                                     "e.g. [exact, {jaro_winkler: 0.92}, {jaro_winkler: 0.8}]")
            if c.frequency and c.levels[0].kind != "exact":
                yield Diagnostic("F457", f"frequency needs an exact level; comparison '{c.name}' has none",
                                 c.frequency_span or c.span, "start its levels with exact, or drop frequency")
            elif c.frequency_similar and not any(lv.kind in SIMILAR_KINDS for lv in c.levels):
                yield Diagnostic("F467", f"frequency: all adjusts the similarity levels; comparison '{c.name}' has none",
                                 c.frequency_span or c.span,
                                 "write frequency: true (the exact level alone), or add a level such as {jaro_winkler: 0.9}")


def check_level_methods(ctx: Context) -> Iterable[Diagnostic]:
    """F463: a level is ``exact`` or names one method, and ``q`` goes with ``jaccard``.

    Bad::   [exact, {jaro_winkler: 0.9, levenshtein: 0.8}, {levenshtein: 0.7, q: 3}]
    Good::  [exact, {jaro_winkler: 0.9}, {jaccard: 0.5, q: 3}]
    """
    for entity, model in _models(ctx):
        for c in model.compare:
            for level in c.levels:
                if level.kind != "exact" and len(level.written) != 1:
                    problem = f"names {' and '.join(level.written)}" if level.written else "names no method"
                    yield Diagnostic("F463", f"a level of comparison '{c.name}' {problem}", level.span,
                                     "one level, one method: {jaro_winkler: 0.9}; list several levels for several")
                elif level.q_written and level.kind != "jaccard":
                    yield Diagnostic("F463", f"q applies to jaccard; this level of comparison '{c.name}' is "
                                     f"{level.kind}", level.span, "remove q, or use {jaccard: t, q: n}")


def check_swapped(ctx: Context) -> Iterable[Diagnostic]:
    """F464: a ``swapped`` level names a field of the entity.
    F465: it belongs to a comparison of one field, and names another field.

    Bad::   first_name: [exact, {swapped: surname}]; name: {fields: [a, b], levels: [{swapped: a}]}
    Good::  first_name: [exact, {swapped: last_name}, {jaro_winkler: 0.9}]
    """
    for entity, model in _models(ctx):
        known = [f.name for f in entity.fields]
        for c in model.compare:
            for level in (lv for lv in c.levels if lv.kind == "swapped"):
                if level.other not in known:
                    yield Diagnostic("F464", f"level {level.label} of comparison '{c.name}' names unknown field "
                                     f"'{level.other}'", level.span,
                                     did_you_mean(level.other, known) or "name a field of the entity")
                elif len(c.fields) != 1 or level.other == c.fields[0]:
                    problem = ("compares several fields" if len(c.fields) != 1
                               else f"names its own field '{level.other}'")
                    yield Diagnostic("F465", f"level {level.label} of comparison '{c.name}' {problem}: it looks "
                                     "for one field's value in another field", level.span,
                                     "put it on a comparison of one field, naming a different field "
                                     "(first_name: [exact, {swapped: last_name}])")


def check_thresholds(ctx: Context) -> Iterable[Diagnostic]:
    """F456: ``review`` is below ``threshold``: possible matches are the pairs between the two.

    Bad::   {threshold: 0.9, review: 0.95}
    Good::  {threshold: 0.99, review: 0.5}
    """
    for entity, model in _models(ctx):
        if model.review is not None and model.review >= model.threshold:
            yield Diagnostic("F456", f"review ({model.review:g}) of entity '{entity.name}' is not below its threshold "
                             f"({model.threshold:g})", model.review_span or model.span,
                             "pairs from review up to the threshold are listed for a person; lower review")
