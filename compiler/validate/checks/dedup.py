"""F412-F417: dedup rules and matching against the target name the entity's fields and fit their types."""

from __future__ import annotations

from typing import Iterable

from compiler.errors import Diagnostic, Span, did_you_mean
from compiler.model import Entity
from compiler.validate.checks.context import Context
from compiler.validate import bind
from compiler.validate.checks.rules import bound_problem, expression_problem


def _named_fields(entity: Entity) -> Iterable[tuple[str, str, Span]]:
    """(field, what names it, span) for every field a dedup rule names."""
    d = entity.dedup
    if d is None:
        return
    for i, (key, span) in enumerate(zip(d.keys, d.key_spans)):
        for part in key:
            yield part, "dedup key" if i or not entity.key else "key", span
    for rule in d.fuzzy:
        for part in rule.fields:
            yield part, "fuzzy rule", rule.span
    for rule in d.survivor:
        if rule.field is not None:
            yield rule.field, f"survivor rule '{rule.kind}'", rule.span
    for field, _, span in d.strategies:
        yield field, "dedup.fields", span


def check_dedup_fields(ctx: Context) -> Iterable[Diagnostic]:
    """F412: dedup keys, fuzzy rules, survivor rules and ``dedup.fields`` name target fields.

    Bad::   dedup: {keys: [[e_mail]]}
    Good::  dedup: {keys: [[email]]}
    """
    for entity in ctx.spec.entities:
        known = [f.name for f in entity.fields]
        for name, what, span in _named_fields(entity):
            if name not in known and what != "key":  # the natural key has its own check (F402)
                yield Diagnostic("F412", f"{what} of entity '{entity.name}' names unknown field '{name}'", span,
                                 did_you_mean(name, known))


#: Strategies that compare or join text.
_TEXT_ONLY = ("longest", "shortest", "union")


def check_strategies(ctx: Context) -> Iterable[Diagnostic]:
    """F413: ``longest``, ``shortest`` and ``union`` apply to string fields.

    Bad::   dedup: {fields: {created_on: longest}}    # a date
    Good::  dedup: {fields: {created_on: min, email: union}}
    """
    for entity in ctx.spec.entities:
        if entity.dedup is None:
            continue
        for name, strategy, span in entity.dedup.strategies:
            field = entity.field(name)
            if field is not None and strategy in _TEXT_ONLY and field.type != "string":
                yield Diagnostic("F413", f"'{strategy}' needs a string field; '{name}' is {field.type}", span,
                                 "use first, max or min for typed fields")


def check_blocks(ctx: Context) -> Iterable[Diagnostic]:
    """F414: a fuzzy rule's ``block`` keys are scalar SQL expressions over the entity's fields.

    Bad::   block: ["(SELECT city FROM cities)"]
    Good::  block: ["left(last_name, 2)", city]
    """
    for entity in ctx.spec.entities:
        if entity.dedup is None:
            continue
        known = [f.name for f in entity.fields]
        for rule in entity.dedup.fuzzy:
            for text in rule.block:
                problem, hint = expression_problem(text, known, "one expression, e.g. \"left(last_name, 2)\"")
                if not problem:
                    problem, hint = bound_problem(text, bind.field_columns({f.name: f.type for f in entity.fields}),
                                                  condition=False)
                if problem:
                    yield Diagnostic("F414", f"block key '{text}' of entity '{entity.name}': {problem}",
                                     rule.span, hint)


def check_q_needs_jaccard(ctx: Context) -> Iterable[Diagnostic]:
    """F417: ``q`` (the q-gram length) belongs to ``method: jaccard``; other methods compare whole texts.

    Bad::   fuzzy: [{fields: [name], threshold: 0.9, block: [city], q: 3}]
    Good::  fuzzy: [{fields: [name], threshold: 0.6, block: [city], method: jaccard, q: 3}]
    """
    for entity in ctx.spec.entities:
        if entity.dedup is None:
            continue
        for rule in entity.dedup.fuzzy:
            if rule.q_span is not None and rule.method != "jaccard":
                yield Diagnostic("F417", f"q applies to method jaccard only; this fuzzy rule of entity "
                                 f"'{entity.name}' uses {rule.method}", rule.q_span,
                                 "add `method: jaccard`, or remove `q`")


def check_dedup_has_a_rule(ctx: Context) -> Iterable[Diagnostic]:
    """F416: ``dedup`` needs a rule that finds duplicates: ``keys``, ``fuzzy``, ``model``, or the entity's ``key``.

    Bad::   dedup: {survivor: [most_complete]}
    Good::  dedup: {keys: [[email]], survivor: [most_complete]}
    """
    for entity in ctx.spec.entities:
        d = entity.dedup
        if d is not None and not d.keys and not d.fuzzy and d.model is None:
            yield Diagnostic("F416", f"dedup of entity '{entity.name}' has no rule that finds duplicates",
                             entity.span, "add `keys: [[field, ...]]`, `fuzzy: [...]` or `model: {...}`; "
                             "`survivor` and `fields` only decide what a cluster becomes")


def check_match_fields(ctx: Context) -> Iterable[Diagnostic]:
    """F415: ``match.on`` and ``match.update`` name target fields of the entity.

    Bad::   match: {on: [vat]}
    Good::  match: {on: [nip], update: [name, city]}
    """
    for entity in ctx.spec.entities:
        if entity.match is None:
            continue
        known = [f.name for f in entity.fields]
        m = entity.match
        for what, names, span in (("on", m.on, m.on_span), ("update", m.update, m.update_span or m.span)):
            for name in names:
                if name not in known:
                    yield Diagnostic("F415", f"match.{what} of entity '{entity.name}' names unknown field '{name}'",
                                     span, did_you_mean(name, known))
