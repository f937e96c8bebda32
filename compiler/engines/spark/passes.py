"""Statements built for DuckDB -> statements for Spark: tree passes, copies in, copies out.

In:  one step's statements (``SqlFile``) and its step.
Out: ``Rewritten``: the Spark statements, and what the Spark runner does between them
(``Components``: connected components it computes itself).

* a temporary table is a view in Spark, recomputed at every use: it becomes a view and a
  ``CACHE TABLE`` (computed once, eagerly), so a table read many times is read once;
* a staging step reads ``_ferry_read_<source>`` (the runner registers Spark's reader there,
  with ``_ferry_read_order`` in file order) instead of DuckDB's table function, and
  ``ROW_NUMBER() OVER ()`` (an order Spark does not promise) counts in that order;
* the connected components of a duplicate graph (a recursive CTE with ``USING KEY`` in DuckDB)
  read ``_ferry_components_<entity>``, which the runner fills by large-star/small-star first;
* a UUIDv5 is built from the SHA-1's hex digits (Spark has no 128-bit integers);
* a call of one of ferry's DuckDB macros (``_ferry.fold``) calls its Spark SQL function, and the
  ``CREATE MACRO`` becomes that session function's definition (``sqlfunctions``; ``session_functions``
  gives them, for the engine's ``000_functions.sql``);
* every other node goes through ``functions.rewrite_node``; a value ferry's LET would compute once
  that Spark has to write out at each use is computed once in a column (``lets``);
* then the phone and e-mail UDFs' inputs are guarded (``guards``): Spark calls a Python UDF on
  every row, whatever CASE holds it, so the input is NULL where the SQL fast path answers.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlglot import exp

from compiler.engines.spark import functions, guards, lets, sqlfunctions
from compiler.engines.spark.regex import Unsupported
from compiler.order import StageStep, Step
from compiler.sqlgen import names
from compiler.sqlgen.ids import FERRY_NAMESPACE

__all__ = ["Components", "Rewritten", "Unsupported", "rewrite", "session_functions"]


@dataclass(frozen=True, slots=True)
class Components:
    before: int  # the index of the statement (in the rewritten file) that first reads them
    entity: str
    pairs: str  # the table of pairs (a, b)
    table: str  # where the runner writes (node, comp)


@dataclass(frozen=True, slots=True)
class Rewritten:
    statements: tuple[exp.Expression, ...]
    components: tuple[Components, ...] = ()


def _lit(value: str | int) -> exp.Literal:
    return exp.Literal.string(value) if isinstance(value, str) else exp.Literal.number(value)


def _fn(name: str, *args: exp.Expression) -> exp.Expression:
    return exp.Anonymous(this=name, expressions=list(args))


def uuid5(name: exp.Expression) -> exp.Expression:
    """UUIDv5 of ``name`` from the hex digest: 8-4-4-4-12 digits, version nibble 5, variant bits 10."""
    digest = _fn("SHA1", exp.DPipe(this=_fn("UNHEX", _lit(FERRY_NAMESPACE.hex)),
                                   expression=_fn("ENCODE", name, _lit("UTF-8")), safe=True))
    hex_digits = _fn("LOWER", digest)

    def part(start: int, length: int) -> exp.Expression:
        return exp.Substring(this=hex_digits.copy(), start=_lit(start), length=_lit(length))
    nibble = _fn("CONV", part(17, 1), _lit(16), _lit(10))
    variant = _fn("LOWER", _fn("HEX", exp.BitwiseOr(this=exp.paren(exp.BitwiseAnd(
        this=exp.cast(nibble, "INT"), expression=_lit(3))), expression=_lit(8))))
    return _fn("CONCAT_WS", _lit("-"), part(1, 8), part(9, 4),
               exp.DPipe(this=_lit("5"), expression=part(14, 3), safe=True),
               exp.DPipe(this=variant, expression=part(18, 3), safe=True), part(21, 12))


def _branches(node: exp.Expression) -> list[exp.Expression]:
    if isinstance(node, exp.Union) and node.args.get("by_name"):
        return [*_branches(node.this), *_branches(node.expression)]
    return [node]


def _by_position(node: exp.Union) -> exp.Expression:
    """``UNION [ALL] BY NAME`` (DuckDB: columns matched by name, a missing one NULL) as a plain union:
    every branch selects the same names in the same order."""
    branches = _branches(node)
    if not all(isinstance(b, exp.Select) and not any(isinstance(p, exp.Star) or p.is_star for p in b.expressions)
               for b in branches):
        raise Unsupported("UNION BY NAME over a branch without named columns")
    order: list[str] = []
    for b in branches:
        order.extend(p.alias_or_name for p in b.expressions if p.alias_or_name not in order)
    union: exp.Expression | None = None
    for b in branches:
        named = {p.alias_or_name: p for p in b.expressions}
        select = b.copy()
        select.set("expressions", [named[n].copy() if n in named else exp.alias_(exp.null(), n, quoted=True)
                                   for n in order])
        union = select if union is None else exp.union(union, select, distinct=bool(node.args.get("distinct")))
    assert union is not None
    for key in ("with_", "order", "limit", "offset"):
        if node.args.get(key) is not None:
            union.set(key, node.args[key].copy())
    return union


def _walk(node: exp.Expression, stage: str | None) -> exp.Expression:
    """Top-down: a node is rewritten first (it may need its children as DuckDB built them), then
    the children of what it became."""
    if names.COMPONENTS in node.meta:
        table = names.components_table(node.meta[names.COMPONENTS])
        return exp.select(names.col("node"), names.col("comp")).from_(table)
    if names.UUID5 in node.meta:
        node = uuid5(node.meta[names.UUID5].copy())
    elif isinstance(node, exp.Union) and node.args.get("by_name"):
        node = _by_position(node)
    elif stage is not None and isinstance(node, exp.Table) and isinstance(node.this, (exp.ReadCSV, exp.Anonymous)):
        return names.read_table(stage)
    elif stage is not None and isinstance(node, exp.Window) and isinstance(node.this, exp.RowNumber) \
            and not node.args.get("order") and not node.args.get("partition_by"):
        return exp.Window(this=exp.RowNumber(), over="OVER",
                          order=exp.Order(expressions=[exp.Ordered(this=names.col(names.READ_ORDER))]))
    else:
        node = functions.rewrite_node(node)
    for key, value in list(node.args.items()):
        if isinstance(value, exp.Expression):
            node.set(key, _walk(value, stage))
        elif isinstance(value, list):
            node.set(key, [_walk(v, stage) if isinstance(v, exp.Expression) else v for v in value])
    return node


def _is_temporary_table(statement: exp.Expression) -> bool:
    properties = statement.args.get("properties")
    return (isinstance(statement, exp.Create) and statement.kind == "TABLE" and properties is not None
            and any(isinstance(p, exp.TemporaryProperty) for p in properties.expressions))


def _materialized(statement: exp.Create) -> tuple[exp.Expression, ...]:
    """A temporary table as a temporary view, cached now: computed once, like DuckDB's table. The
    statement becomes the view in place (``rewrite``'s own copy)."""
    view = statement
    view.set("kind", "VIEW")
    view.set("replace", True)
    return view, exp.Cache(this=statement.this.copy(), lazy=False)


def _components(statement: exp.Expression, before: int) -> tuple[Components, ...]:
    return tuple(Components(before, n.meta[names.COMPONENTS], names.table_name(names.pairs_table(n.meta[names.COMPONENTS])),
                            names.table_name(names.components_table(n.meta[names.COMPONENTS])))
                 for n in statement.walk() if names.COMPONENTS in n.meta)


def rewrite(statements: tuple[exp.Expression, ...], step: Step | None) -> Rewritten:
    """The step's statements for Spark; raises ``Unsupported`` for a construct it cannot express."""
    stage = step.source if isinstance(step, StageStep) else None
    out: list[exp.Expression] = []
    components: list[Components] = []
    for statement in statements:
        if sqlfunctions.is_macro(statement):  # a session function, defined by the engine's functions file
            continue
        components.extend(_components(statement, len(out)))
        rewritten = guards.guard(lets.name(_walk(sqlfunctions.calls(statement.copy()), stage)))
        out.extend(_materialized(rewritten) if _is_temporary_table(rewritten) else (rewritten,))
    return Rewritten(tuple(out), tuple(components))


def expression(tree: exp.Expression) -> exp.Expression:
    """One expression (not a statement) for Spark: a copy with every node rewritten."""
    return guards.guard(lets.name(_walk(sqlfunctions.calls(tree.copy()), None)))


def session_functions(statements: tuple[exp.Expression, ...]) -> tuple[exp.Expression, ...]:
    """The Spark session functions that stand for the DuckDB macros among ``statements``, in their order."""
    return tuple(sqlfunctions.define(s, expression(s.expression)) for s in statements if sqlfunctions.is_macro(s))
