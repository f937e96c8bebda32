"""Each value built once: a select's repeated subexpressions become columns of layers beneath it.

In:  a SELECT of expressions over one relation aliased ``s`` (an entity's mapped rows: a transform writes
     its input several times, a failure repeats the value it checks, two fields may share a chain).
Out: the same SELECT in which every subexpression written more than once, that some row-wise use
     computes for every row anyway, is a column ``_ferry_shared_<digest>`` of a subquery beneath it::

         SELECT <fields over s> FROM (SELECT "s".*, <shared> FROM (...) AS "s") AS "s"

     one layer per depth (a shared value built from another one sits a layer above it).

Only what is computed for every row is shared, so no row computes more than before: a
subexpression counts when one of its places is evaluated unconditionally (not in a later WHEN, a
THEN or ELSE, a COALESCE fallback, the right side of AND/OR, nor inside a lambda), and then all its
places read the column. DuckDB's own common-subexpression elimination computed most of these once
already; what this changes is the text (and what an engine must analyze: Spark could not plan the
company statement, ~4,000 lines) and the few shares DuckDB did not find.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

from sqlglot import exp

from compiler.sqlgen import names

#: What may become a column: row-wise values (not a WHEN arm, a struct's ``key: value``, an alias...).
_VALUES = (exp.Func, exp.Binary, exp.Unary, exp.Predicate, exp.Case, exp.Bracket)
_NOT_VALUES = (exp.PropertyEQ, exp.Kwarg, exp.Slice, exp.Alias, exp.Lambda)
#: Nothing inside these is shared: lambda bodies read their own variables; aggregates, windows and
#: subqueries are not row-wise.
_OPAQUE = (exp.Lambda, exp.AggFunc, exp.Window, exp.Subquery, exp.Query)
#: Functions whose every call differs: two calls stay two.
_VOLATILE = frozenset({"random", "rand", "uuid", "gen_random_uuid", "uuidv4", "uuidv7", "nextval", "setseed",
                       "now", "current_timestamp"})
#: The fewest nodes (identifiers not counted) a shared value has: NULLIF(TRIM(s.x), '') has 4.
_SMALLEST = 3


def _conditional(parent: exp.Expression, key: str, index: int) -> bool:
    """Whether the argument ``key`` (``index`` in a list) of ``parent`` may go unevaluated for a row
    whose ``parent`` is evaluated (DuckDB evaluates a later WHEN, a COALESCE fallback or the right
    side of AND/OR only for some rows)."""
    if isinstance(parent, exp.Case):
        return key == "default" or (key == "ifs" and index > 0)
    if isinstance(parent, (exp.If, exp.Coalesce, exp.Connector)):
        return key != "this"
    return False


def _children(node: exp.Expression):
    for key, value in node.args.items():
        if isinstance(value, exp.Expression):
            yield key, 0, value
        elif isinstance(value, list):
            for i, v in enumerate(value):
                if isinstance(v, exp.Expression):
                    yield key, i, v


def _volatile(node: exp.Expression) -> bool:
    name = node.name if isinstance(node, exp.Anonymous) else node.sql_name() if isinstance(node, exp.Func) else ""
    return name.lower() in _VOLATILE


@dataclass(frozen=True, slots=True)
class _Node:
    shape: int  # the same number for the same subtree
    size: int  # nodes, identifiers not counted
    shareable: bool  # row-wise, deterministic, and reads a column (a constant is the engine's to fold)
    rowwise: bool  # row-wise and deterministic
    reads: bool  # reads a column


class _Shapes:
    """An integer per distinct subtree shape, the same across calls."""

    def __init__(self) -> None:
        self.ids: dict[tuple, int] = {}

    def of(self, root: exp.Expression, out: dict[int, _Node]) -> None:
        """Fill ``out`` with every node of ``root`` (by ``id``)."""
        for node in reversed(list(root.dfs())):
            parts: list[object] = [type(node).__name__]
            size = 0 if isinstance(node, exp.Identifier) else 1
            ok, reads = not isinstance(node, _OPAQUE[1:]) and not _volatile(node), isinstance(node, exp.Column)
            for key, value in sorted(node.args.items()):
                items = value if isinstance(value, list) else [value]
                shapes: list[object] = []
                for v in items:
                    if isinstance(v, exp.Expression):
                        below = out[id(v)]
                        shapes.append(below.shape)
                        size, ok, reads = size + below.size, ok and below.rowwise, reads or below.reads
                    elif v is not None:
                        shapes.append(v)
                if shapes:
                    parts.append((key, tuple(shapes)))
            shape = self.ids.setdefault(tuple(parts), len(self.ids))
            out[id(node)] = _Node(shape, size, ok and reads, ok, reads)


def _places(root: exp.Expression):
    """Every node outside lambdas and other opaque nodes, with whether every row evaluates it."""
    stack = [(root, True)]
    while stack:
        node, sure = stack.pop()
        yield node, sure
        if isinstance(node, _OPAQUE):
            continue
        for key, i, child in reversed(list(_children(node))):
            stack.append((child, sure and not _conditional(node, key, i)))


def _candidate(node: exp.Expression, n: _Node) -> bool:
    if not isinstance(node, _VALUES) or isinstance(node, _NOT_VALUES) or not n.shareable or n.size < _SMALLEST:
        return False
    return not (isinstance(node, exp.If) and isinstance(node.parent, exp.Case))


def _mark(kept: exp.Expression, dropped: exp.Expression) -> None:
    """Carry the step marks of ``dropped`` (a copy of ``kept``) over to ``kept``, node by node."""
    for a, b in zip(kept.dfs(), dropped.dfs()):
        steps = b.meta_get(names.STEP, ())
        if steps:
            a.meta[names.STEP] = tuple(dict.fromkeys((*a.meta_get(names.STEP, ()), *steps)))


def share(select: exp.Select, groups: list[list[int]], alias: str = "s") -> exp.Select:
    """``select`` (its projections over one relation aliased ``alias``) with the repeated
    subexpressions of each group of projections (by position: a field's value and its failures)
    built once, in layers beneath it (the module docstring). A group shares only within itself, and
    a shared column is named by a digest of its SQL, so a field's text does not depend on the
    others' (lineage fingerprints a field by it); two groups that build the same value read one column.
    ``select`` is changed in place: its one caller (``entity``) builds it for this."""
    defs: dict[str, exp.Expression] = {}
    registry = _Shapes()
    for group in groups:
        for name, value in _group(registry, [select.expressions[i] for i in group], alias).items():
            defs.setdefault(name, value)
    return _layered(select, defs, alias)


def _group(registry: _Shapes, projections: list[exp.Expression], alias: str) -> dict[str, exp.Expression]:
    """Replace the repeated subexpressions of ``projections`` in place; their definitions, by column name."""
    roots = list(projections)
    defs: dict[int, exp.Expression] = {}  # shape -> its expression, in the order found
    uses: dict[int, list[exp.Column]] = {}
    while True:
        info: dict[int, _Node] = {}
        counts: dict[int, int] = {}
        sure: set[int] = set()
        for root in roots:
            registry.of(root, info)
            for node, always in _places(root):
                shape = info[id(node)].shape
                counts[shape] = counts.get(shape, 0) + 1
                if always:
                    sure.add(shape)
        found = False
        for root in roots:
            stack = [root]
            while stack:
                node = stack.pop()
                n = info[id(node)]
                if node is not root and _candidate(node, n) and (
                        n.shape in defs or (counts[n.shape] > 1 and n.shape in sure)):
                    if n.shape not in defs:
                        defs[n.shape], found = node, True
                    else:  # the steps lineage reads (a value's copy in a failure has none)
                        _mark(defs[n.shape], node)
                    column = names.col(f"_ferry_pending_{n.shape}", alias)
                    uses.setdefault(n.shape, []).append(column)
                    node.replace(column)
                    continue
                if not isinstance(node, _OPAQUE):
                    stack.extend(child for _, _, child in reversed(list(_children(node))))
        if not found:
            break
        roots = [*projections, *defs.values()]
    # Named innermost first, each by its SQL with the names of those it reads.
    pending = {f"_ferry_pending_{shape}": value for shape, value in defs.items()}
    named: dict[str, exp.Expression] = {}
    depth = _depths(pending)
    for shape, value in sorted(defs.items(), key=lambda item: depth[f"_ferry_pending_{item[0]}"]):
        # Steps too: the same SQL built by other steps (another field's) is another column.
        steps = sorted({step for node in value.walk() for step in node.meta_get(names.STEP, ())})
        text = value.sql(dialect="duckdb") + repr(steps)
        digest = hashlib.sha256(text.encode("utf-8")).hexdigest()[:12]
        name = f"{names.SHARED}{digest}"
        for column in uses[shape]:
            column.set("this", names.ident(name))
        named[name] = value
    return named


def _depths(defs: dict[str, exp.Expression]) -> dict[str, int]:
    depth = dict.fromkeys(defs, 1)
    changed = True
    while changed:
        changed = False
        for name, value in defs.items():
            below = [depth[c.name] for c in value.find_all(exp.Column) if c.name in defs]
            d = 1 + max(below, default=0)
            if d != depth[name]:
                depth[name], changed = d, True
    return depth


def _layered(select: exp.Select, defs: dict[str, exp.Expression], alias: str) -> exp.Select:
    if not defs:
        return select
    depth = _depths(defs)
    source = select.args["from_"].this
    for level in range(1, max(depth.values()) + 1):
        layer = exp.Select(expressions=[exp.Column(this=exp.Star(), table=names.ident(alias)), *(
            exp.alias_(value, name, quoted=True, copy=False) for name, value in defs.items() if depth[name] == level)])
        source = layer.from_(source, copy=False).subquery(names.ident(alias), copy=False)
    select.set("from_", exp.From(this=source))
    return select
