"""Values ferry's LET computes once, written out at each use for Spark -> one column computed once.

In:  a Spark tree after the node rewrites of ``passes``, in which ``functions`` marked (``mark``) each
copy of a LET's value it wrote out: Spark refuses a Python UDF inside a lambda, so a LET whose body
calls one (``list_extract(list_transform([v], x -> ... udf ...), 1)``) takes ``v`` at each use of ``x``.
Out: the same tree in which, in a query over one aliased relation (a layer of ``sqlgen.shared``), the
copies of a marked value are read from one column ``_ferry_value_<digest>`` of a layer beneath it
(``guards.name`` builds it), when the value cannot fail or call Python (``stages.hoistable``); any
other stays written out.

Why: the national number of a phone field (a LET over every country's parse, ~170 lines of Spark SQL)
stood three times in each step that maps a phone: in the condition that sends the row to the phone
UDF (``= '?'``), in the one that finds no number (``= ''``), and as the answer. It is now computed for
every row rather than only for the rows that reach the LET: it cannot fail, so every row's result is
the same, and the UDF's guard computed it for every row already.
"""

from __future__ import annotations

from sqlglot import exp

from compiler.engines.spark import guards

KEY = "ferry_let_value"
PREFIX = "_ferry_value_"


def mark(value: exp.Expression) -> exp.Expression:
    """``value`` (a copy of a LET's value written out at a use), marked for ``name``."""
    value.meta[KEY] = True
    return value


def _marked(node: exp.Expression) -> bool:
    return bool(node._meta) and KEY in node.meta


def _outermost(node: exp.Expression, select: exp.Select) -> bool:
    """``node`` is marked, belongs to ``select`` (not a query inside it) and is in no other marked value."""
    if not _marked(node):
        return False
    parent = node.parent
    while parent is not None and parent is not select:
        if _marked(parent) or isinstance(parent, exp.Query):
            return False
        parent = parent.parent
    return parent is select


def name(tree: exp.Expression) -> exp.Expression:
    """``tree`` (changed in place) with each marked value computed once per row where it can be."""
    for select in list(tree.find_all(exp.Select)):
        values = [n for p in select.expressions for n in p.walk() if _outermost(n, select)]
        if values:
            guards.name(select, values, PREFIX)
    return tree
