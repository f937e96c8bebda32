"""The phone and e-mail slow paths called by Spark only on the rows their SQL fast path leaves.

In:  a Spark tree (``passes`` applies this after rewriting a statement for Spark).
Out: the same tree in which the first argument of every call to a guarded UDF (``GUARDED``)
is NULL on every row for which the SQL would not evaluate the call.

Why: Spark evaluates a Python UDF for every row that reaches its operator, whatever CASE it
sits in (pyspark's documentation: UDFs "do not support conditional expressions or short
circuiting"). A branch ``CASE WHEN fast IS NULL THEN udf(raw) END`` still sends every row's
``raw`` to Python. Spark cannot skip the call, but the call can skip the row: the argument
carries the branch's own conditions, ``udf(CASE WHEN fast IS NULL THEN raw END)``, and the
UDF (``engines.spark.udfs``) answers NULL for a NULL input without calling the library.

The argument's CASE mirrors every CASE and IF on the way from the call up to its projection,
outermost first, so it evaluates the same conditions in the same order the SQL does before it
reaches the call, and no others. A condition that itself calls a UDF is left out (taken as leading
to the call: ``CASE WHEN starts_with(udf(x), '+') THEN udf(x) END`` then calls ``udf(x)`` once,
not twice): the argument is NULL on fewer rows, never on a row that needs it, and the conditions
after it are evaluated on rows the SQL would not evaluate them for. Those are the fast paths'
comparisons, regular expressions and TRY_ lookups, which cannot fail; one that could would stop
the run with Spark's error (F925), not give another value.

Each condition is written once (``name``): copied into the argument, a condition stood twice in the
statement, and the company step's phone branches made its Spark SQL 103 -> 128 kB. In a query over one
aliased relation (an entity's ``mapped`` rows, over the layers of ``sqlgen.shared``), a condition the
argument copies becomes a column ``_ferry_guard_<digest>`` of a layer beneath it, read by the CASE and by
the argument alike, when it cannot fail or call Python (``stages.HOISTABLE``'s test): computed for every
row, as the Spark runner's ``stages.split`` computed such repeated values already. Another condition (a
cast that can fail, a lambda's variable) stays copied.
"""

from __future__ import annotations

import hashlib

from sqlglot import exp

from compiler.engines.spark import stages
from compiler.engines.spark.builtins import CALLS_PYTHON

#: UDFs whose first argument is guarded: NULL in means NULL out, and no library call.
GUARDED = frozenset({"FERRY_PHONE_E164", "FERRY_EMAIL"})
#: A named condition's column: the digest of its Spark SQL.
PREFIX = "_ferry_guard_"
#: The fewest nodes a condition has to be named: ``x IS NULL`` is as short as its column.
_SMALLEST = 4
#: Where a row-wise path ends: a query, or a value computed over many rows.
_BOUNDARY = (exp.Query, exp.Subquery, exp.AggFunc, exp.Window)


def _calls_udf(tree: exp.Expression) -> bool:
    return any(n.name.upper() in CALLS_PYTHON for n in tree.find_all(exp.Anonymous))


def _steps(call: exp.Expression) -> list[tuple[list[exp.Expression], exp.Expression | None]]:
    """The conditions on the way to ``call``, outermost first: per CASE or IF, the conditions that must
    not hold (earlier WHENs) and the one that must (its own WHEN), or None (ELSE, or a WHEN's condition)."""
    steps = []
    node = call
    while node.parent is not None and not isinstance(node.parent, _BOUNDARY):
        parent, key = node.parent, node.arg_key
        case = parent.parent
        if isinstance(parent, exp.If) and isinstance(case, exp.Case) and parent.arg_key == "ifs":
            if case.this is None:  # a searched CASE (a simple CASE's WHENs compare its operand: left unguarded)
                before = [i.this for i in case.args["ifs"][:parent.index]]
                steps.append((before, parent.this if key == "true" else None))
        elif isinstance(parent, exp.Case) and key == "default" and parent.this is None:
            steps.append(([i.this for i in parent.args.get("ifs") or ()], None))
        elif isinstance(parent, exp.If) and not isinstance(case, exp.Case) and key in ("true", "false"):
            steps.append(([], parent.this) if key == "true" else ([parent.this], None))
        node = parent
    return steps[::-1]


def _guarded(value: exp.Expression, steps: list[tuple[list[exp.Expression], exp.Expression | None]]) -> exp.Expression:
    """``value`` where the conditions of ``steps`` lead to it, else NULL; a condition calling a UDF is left out."""
    arms = [[(c, leads) for c, leads in [*((c, False) for c in before), *([(own, True)] if own is not None else [])]
             if not _calls_udf(c)] for before, own in steps]
    return _build(value, arms)


def _build(value: exp.Expression, arms: list[list[tuple[exp.Expression, bool]]]) -> exp.Expression:
    out = value
    for step in reversed(arms):
        if not step:
            continue
        case = exp.Case()
        for condition, leads in step:
            case = case.when(condition.copy(), out if leads else exp.null())
        if not step[-1][1]:
            case = case.else_(out)
        out = case
    return out


def guard(tree: exp.Expression) -> exp.Expression:
    """``tree`` (changed in place) with every guarded UDF's first argument guarded by its path's conditions,
    each condition written once where it can be (``name``)."""
    calls = [n for n in tree.find_all(exp.Anonymous) if n.name.upper() in GUARDED and n.expressions]
    plans = [(call, _steps(call)) for call in calls]  # read every path before changing any
    copied: dict[int, list[exp.Expression]] = {}  # id(select) -> the conditions copied under it
    selects: dict[int, exp.Select] = {}
    for call, steps in plans:
        select = call.find_ancestor(exp.Select)
        if select is not None:
            selects[id(select)] = select
            copied.setdefault(id(select), []).extend(
                c for before, own in steps for c in (*before, *((own,) if own is not None else ())) if not _calls_udf(c))
    for call, steps in reversed(plans):  # deepest first: a call inside another's input is guarded in its copy
        if steps:
            call.set("expressions", [_guarded(call.expressions[0].copy(), steps), *call.expressions[1:]])
    for key, select in selects.items():
        name(select, copied[key])
    return tree


def _size(node: exp.Expression) -> int:
    return sum(1 for n in node.walk() if not isinstance(n, exp.Identifier))


def name(select: exp.Select, conditions: list[exp.Expression], prefix: str = PREFIX) -> exp.Select:
    """``select`` (changed in place; one aliased relation, no joins, filter or grouping, else left alone)
    with each of ``conditions`` that cannot fail or call Python computed once, in a layer beneath it,
    and read as a column ``<prefix><digest>`` wherever it stood in the projections (found by shape, in
    one pass). ``engines.spark.lets`` names values the same way."""
    source = select.args.get("from_")
    alias = source.this.alias if source is not None else ""
    if not alias or select.args.get("joins") or select.args.get("group") or select.args.get("where") is not None:
        return select
    variables = frozenset(v.name for p in select.expressions for n in p.find_all(exp.Lambda) for v in n.expressions)
    index = stages.Index()
    for p in select.expressions:
        index.key(p)
    named: dict[int, str] = {}  # shape -> column
    values: dict[str, exp.Expression] = {}
    for condition in conditions:
        shape = index.key(condition)  # a condition inside a replaced input is no longer in the tree
        if shape not in named and _size(condition) >= _SMALLEST and stages.hoistable(condition, alias, variables):
            text = condition.sql(dialect="spark")
            named[shape] = prefix + hashlib.sha256(text.encode("utf-8")).hexdigest()[:12]
            values[named[shape]] = (condition.this if isinstance(condition, exp.Paren) else condition).copy()
    if not named:
        return select

    def swap(node: exp.Expression) -> exp.Expression:
        column = named.get(index.of.get(id(node), -1))
        return node if column is None else exp.column(column, table=alias, quoted=True)
    select.set("expressions", [p.transform(swap, copy=False) for p in select.expressions])
    quoted = exp.to_identifier(alias, quoted=True)
    layer = exp.select(exp.Column(this=exp.Star(), table=quoted.copy()),
                       *(exp.alias_(values[c], c, quoted=True, copy=False) for c in sorted(values))
                       ).from_(source.this.copy(), copy=False)
    select.set("from_", exp.From(this=exp.Subquery(this=layer, alias=exp.TableAlias(this=quoted))))
    return select
