"""ferry's DuckDB macros as Spark SQL functions, defined once per Spark session.

In:  a statement built for DuckDB that may call ``_ferry.fold(text)`` (``calls``); a macro's
``CREATE MACRO`` (``sqlgen.fold.compile_macros``, the trees the DuckDB prelude defines them from)
with its body already rewritten for Spark (``define``).
Out: the call as a call of the session function (``_ferry.fold(x)`` -> ``FERRY_FOLD(x)``); the
macro as ``CREATE OR REPLACE TEMPORARY FUNCTION ferry_fold(text STRING) RETURNS STRING RETURN ...``.

Why: Spark has no ``CREATE MACRO``, and the fold written out at every call (its argument nine
times, through the three macros) made a dedup step's blocks ~170 lines a folded field, repeated
in every rule and step that compares it. A SQL function (Spark 4: ``RETURN <expression>``) is
analysed into the plan where it is called: it stays in the JVM, its argument is computed once
(a projection beneath the body), and the Spark SQL reads as the DuckDB SQL does. The statements
that define them are compiled output (``FILE``, listed in the manifest's ``functions``), which
the Spark runner runs first in its session, so the step files stay what runs.
"""

from __future__ import annotations

from sqlglot import exp

from compiler.sqlgen import names

#: The step file that defines the session functions, run before any other.
FILE = "000_functions.sql"
TITLE = "define ferry's SQL functions in the Spark session (the Spark runner runs this file first)"
#: The functions' names, as ``FERRY_<MACRO>`` (``names.FOLD``... -> ``FERRY_FOLD``...).
PREFIX = "FERRY_"
NAMES = frozenset(PREFIX + m.upper() for m in (names.FOLD, names.FOLD_COMMON, names.FOLD_RARE))
_TEXT = "STRING"  # every macro takes a text and gives one


def is_macro(statement: exp.Expression) -> bool:
    return isinstance(statement, exp.Create) and statement.kind == "MACRO"


def _call(node: exp.Expression) -> exp.Expression:
    """``_ferry.<macro>(args)`` -> ``FERRY_<MACRO>(args)``; any other node as it is."""
    if isinstance(node, exp.Dot) and isinstance(node.this, exp.Identifier) \
            and node.this.name == names.INTERNAL_SCHEMA and isinstance(node.expression, exp.Anonymous) \
            and PREFIX + node.expression.name.upper() in NAMES:
        return exp.Anonymous(this=PREFIX + node.expression.name.upper(), expressions=node.expression.expressions)
    return node


def calls(tree: exp.Expression) -> exp.Expression:
    """``tree`` (changed in place: pass a copy) with every macro call a call of its session function."""
    for node in reversed(list(tree.find_all(exp.Dot))):  # innermost first: a call's argument may be a call
        found = _call(node)
        if found is not node:
            if node is tree:
                return found
            node.replace(found)
    return tree


def define(macro: exp.Create, body: exp.Expression) -> exp.Create:
    """The session function of ``macro`` (a ``CREATE MACRO`` of one text parameter), with ``body``:
    the macro's body as rewritten for Spark (its calls of other macros through ``calls``)."""
    (param,) = macro.this.expressions
    function = exp.UserDefinedFunction(
        this=exp.Table(this=exp.to_identifier((PREFIX + macro.this.this.name).lower())),
        expressions=[exp.ColumnDef(this=exp.to_identifier(param.name, quoted=True),
                                   kind=exp.DataType.build(_TEXT, dialect="spark"))], wrapped=True)
    properties = exp.Properties(expressions=[
        exp.TemporaryProperty(), exp.ReturnsProperty(this=exp.DataType.build(_TEXT, dialect="spark"))])
    return exp.Create(this=function, kind="FUNCTION", replace=True, properties=properties,
                      expression=exp.Return(this=body))
