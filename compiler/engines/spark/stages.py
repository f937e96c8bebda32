"""One wide per-row SELECT -> a chain of narrow ones Spark's analyzer and code generator can plan.

In:  a Spark SELECT over one aliased table (the ``mapped`` query of a checked step: every
field's transforms over the staging view ``s``).
Out: the same SELECT over nested subqueries under the same alias, each adding as columns
(``_ferry_sub_<n>``) the sub-expressions the projections repeat, innermost first.

Why: ferry's SQL repeats a value wherever it is used (a phone number's normalized digits
appear ~330 times in the company step). DuckDB's optimizer shares them; Spark's does not:
its analyzer did not finish the 260 kB statement in 10 minutes, and the Java it generates for
one column is over the JVM's 64 kB method limit. Computed once, each stays small.

Only a value that cannot fail or call Python is computed ahead of the CASE that guards it
(``HOISTABLE``: no casts, division, multiplication, element lookups or UDFs), so every row
gives the same result and errors, and the phone/e-mail UDFs still see only guarded inputs.
"""

from __future__ import annotations

from collections import Counter

from sqlglot import exp

PREFIX = "_ferry_sub_"
MIN_SIZE = 6  # nodes: a smaller repeated expression is cheaper recomputed than carried as a column
MAX_ROUNDS = 64

#: Node types a hoisted value may be built of: none fails on any input or calls Python.
HOISTABLE = (exp.Column, exp.Identifier, exp.Literal, exp.Null, exp.Boolean, exp.Paren, exp.Trim, exp.Nullif,
             exp.Upper, exp.Lower, exp.Substring, exp.Length, exp.DPipe, exp.Concat, exp.ConcatWs, exp.Coalesce,
             exp.Case, exp.If, exp.EQ, exp.NEQ, exp.Not, exp.And, exp.Or, exp.Is, exp.In, exp.GT, exp.GTE, exp.LT,
             exp.LTE, exp.RegexpLike, exp.RegexpReplace, exp.Pad, exp.StartsWith, exp.EndsWith, exp.Contains,
             exp.Add, exp.Sub, exp.Neg, exp.DataType, exp.Dot, exp.Greatest, exp.Least, exp.PropertyEQ,
             exp.Transform, exp.Array, exp.Struct, exp.Lambda, exp.ArraySize, exp.RegexpSplit, exp.ArrayDistinct,
             exp.ArrayFilter, exp.ArrayToString, exp.Replace,
             exp.StructExtract)  # a struct's field as the passes build it (``Dot`` once parsed)
#: Functions sqlglot leaves anonymous that cannot fail (``TRY_ELEMENT_AT`` is the safe lookup).
SAFE_CALLS = {"REGEXP_REPLACE", "RLIKE", "REPLACE", "OCTET_LENGTH", "TRY_ELEMENT_AT", "TRY_TO_TIMESTAMP",
              "FORALL", "EXISTS", "FILTER", "SEQUENCE", "TRANSFORM"}


#: The Python UDFs (``engines.spark.udfs``): hoisted only with the CASE branch that guards them.
GUARDED_CALLS = {"FERRY_PHONE_E164", "FERRY_EMAIL"}


def _guarded(call: exp.Expression, root: exp.Expression) -> bool:
    """``call`` is in a THEN or ELSE branch of a CASE inside ``root``: hoisted with ``root``, it still
    runs only on the rows its own guard lets through."""
    node = call
    while node is not root and node.parent is not None:
        parent = node.parent
        if (isinstance(parent, exp.If) and node.arg_key == "true") or (isinstance(parent, exp.Case)
                                                                        and node.arg_key == "default"):
            return True
        node = parent
    return False


class Index:
    """Every node's structural identity (an int; equal subtrees get the same one) and size, in one pass."""

    def __init__(self) -> None:
        self.ids: dict[tuple, int] = {}
        self.of: dict[int, int] = {}  # id(node) -> structural id
        self.size: dict[int, int] = {}  # structural id -> nodes
        self.nodes: list[exp.Expression] = []  # kept alive: an id() is unique only while its node lives

    def key(self, node: exp.Expression) -> int:
        parts: list = [type(node).__name__]
        size = 1
        for name in sorted(node.args):
            value = node.args[name]
            values = value if isinstance(value, list) else [value]
            for v in values:
                if isinstance(v, exp.Expression):
                    k = self.key(v)
                    parts.append((name, k))
                    size += self.size[k]
                elif v is not None and v is not False:
                    parts.append((name, repr(v)))
        signature = tuple(parts)
        k = self.ids.setdefault(signature, len(self.ids))
        self.of[id(node)] = k
        self.nodes.append(node)
        self.size[k] = size
        return k


def hoistable(node: exp.Expression, alias: str, variables: frozenset[str] = frozenset()) -> bool:
    """``variables``: every lambda variable of the query; one not bound inside ``node`` ties it to its lambda."""
    bound = {p.name for n in node.find_all(exp.Lambda) for p in n.expressions}
    free = variables - bound
    for n in node.walk():
        if isinstance(n, exp.Identifier) and n.name in free:
            return False
        if isinstance(n, exp.Anonymous):
            if n.name.upper() not in SAFE_CALLS and not (n.name.upper() in GUARDED_CALLS and _guarded(n, node)):
                return False
        elif isinstance(n, exp.Column):
            if n.table != alias and not (n.table or n.name) in bound:  # a lambda's variable, or a field of it
                return False
        elif isinstance(n, exp.Bracket):  # only the safe lookup (TRY_ELEMENT_AT); ANSI's [i] fails out of range
            if not n.args.get("safe"):
                return False
        elif isinstance(n, exp.Cast):  # TRY_CAST, or a cast to text: neither fails
            if not (n.args.get("safe") or n.to.is_type(*exp.DataType.TEXT_TYPES)):
                return False
        elif not isinstance(n, HOISTABLE):
            return False
    return not isinstance(node, (exp.Column, exp.Literal, exp.Identifier, exp.DataType, exp.Lambda, exp.PropertyEQ,
                                 exp.If))  # not a value: a part of its parent


def _repeated(projections: list[exp.Expression], alias: str) -> tuple[dict[int, exp.Expression], Index]:
    """Hoistable sub-expressions that appear more than once, by structural id, innermost only."""
    index = Index()
    for p in projections:
        index.key(p)
    variables = frozenset(v.name for p in projections for n in p.find_all(exp.Lambda) for v in n.expressions)
    counts: Counter = Counter()
    first: dict[int, exp.Expression] = {}
    for p in projections:
        for n in p.walk():
            k = index.of[id(n)]
            if index.size[k] >= MIN_SIZE:
                counts[k] += 1
                first.setdefault(k, n)
    repeated = {k: first[k] for k, c in counts.items() if c > 1 and hoistable(first[k], alias, variables)}
    inner = {k: n for k, n in repeated.items()
             if not any(index.of[id(d)] in repeated for d in n.walk() if d is not n)}
    return inner, index


def split(select: exp.Select) -> exp.Select:
    """``select`` (one aliased table, no joins, filter or grouping) with its repeated values computed
    once, in nested subqueries under the same alias. A query of another shape is returned as it is."""
    source = select.args.get("from_")
    alias = source.this.alias if source is not None else ""
    if not alias or select.args.get("joins") or select.args.get("group") or select.args.get("where") is not None:
        return select
    out = select.copy()
    inner: exp.Expression = out.args["from_"].this.copy()
    number = 0
    for _ in range(MAX_ROUNDS):
        chosen, index = _repeated(out.expressions, alias)
        if not chosen:
            break
        named = {}
        for k in sorted(chosen):
            named[k] = f"{PREFIX}{number}"
            number += 1

        def swap(node: exp.Expression) -> exp.Expression:
            k = index.of.get(id(node))
            return exp.column(named[k], table=alias, quoted=True) if k in named else node
        out.set("expressions", [p.transform(swap, copy=False) for p in out.expressions])
        layer = exp.select(exp.Column(this=exp.Star(), table=exp.to_identifier(alias, quoted=True)),
                           *(exp.alias_(chosen[k], named[k], quoted=True) for k in sorted(chosen))).from_(inner)
        inner = exp.Subquery(this=layer, alias=exp.TableAlias(this=exp.to_identifier(alias, quoted=True)))
    out.set("from_", exp.From(this=inner))
    return out
