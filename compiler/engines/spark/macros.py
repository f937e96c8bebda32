"""ferry's DuckDB macros, written out where they are called: Spark has no ``CREATE MACRO``.

In:  a statement built for DuckDB (before the Spark passes) that may call ``_ferry.fold(text)``.
Out: the same statement with each call replaced by the macro's body (``sqlgen.fold.compile_macros``,
the trees the DuckDB prelude defines them from), its parameter replaced by the call's argument;
macros the body calls are written out too. The Spark passes then rewrite the body like any other
expression, so both engines compute the same fold from one definition.
"""

from __future__ import annotations

from functools import cache

from sqlglot import exp

from compiler.sqlgen import fold, names


@cache
def _bodies() -> dict[str, tuple[str, exp.Expression]]:
    """Macro name -> (its parameter, its body)."""
    out = {}
    for create in fold.compile_macros():
        function = create.this
        (param,) = function.expressions
        out[function.this.name] = (param.name, create.expression)
    return out


def _call(node: exp.Expression) -> tuple[str, exp.Expression] | None:
    """``_ferry.<macro>(arg)`` -> (macro, arg)."""
    if isinstance(node, exp.Dot) and isinstance(node.this, exp.Identifier) \
            and node.this.name == names.INTERNAL_SCHEMA and isinstance(node.expression, exp.Anonymous) \
            and node.expression.name in _bodies() and len(node.expression.expressions) == 1:
        return node.expression.name, node.expression.expressions[0]
    return None


def inline(tree: exp.Expression) -> exp.Expression:
    """``tree`` (changed in place: pass a copy) with every macro call written out."""
    def expand(node: exp.Expression) -> exp.Expression:
        found = _call(node)
        if found is None:
            return node
        name, argument = found
        param, body = _bodies()[name]
        argument = inline(argument.copy())
        written = body.copy().transform(
            lambda n: argument.copy() if isinstance(n, exp.Column) and not n.table and n.name == param else n)
        return inline(written)
    return tree.transform(expand, copy=False)
