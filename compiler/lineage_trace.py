"""Column lineage, traced: ``Bundle`` -> ``Lineage`` (``compiler.lineage``), with sqlglot's lineage.

In:  the ``Bundle`` of sqlglot trees (``sqlgen``), before rendering.
Out: the ``Lineage`` of every target column, written by ``compile`` as lineage.json.

Nothing here is a second, hand-kept mapping: the statements that write the target tables
(``INSERT``, and ``UPDATE`` for matched records and deferred references) are traced with
``sqlglot.lineage`` through the working tables the bundle creates (``_ferry_rows_*``,
``_ferry_checked_*``) down to the staging views, whose columns are the source file's columns.
The step names are read from the trees too: ``sqlgen`` marks the expression each step builds
(``names.mark_step``, kept in ``meta``, never rendered). ferry's bookkeeping columns (row numbers,
reasons, cluster ranks) only decide *whether* a value is kept, not what it is, so the trace does not
follow them. A statement sqlglot cannot follow leaves its fields ``untraced`` (with why), never
silently without sources.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

from sqlglot import exp
from sqlglot.errors import SqlglotError
from sqlglot.lineage import Node, to_node
from sqlglot.optimizer import build_scope, qualify
from sqlglot.optimizer.scope import Scope
from sqlglot.schema import ensure_schema

from compiler.lineage import FieldLineage, Input, Lineage, Lookup
from compiler.model import Spec
from compiler.sqlgen import Bundle, names

DIALECT = "duckdb"


@dataclass(frozen=True, slots=True)
class _Sql:
    """The SQL of one expression a field's value passes through (its fingerprint is made of these)."""

    text: str


@dataclass(frozen=True, slots=True)
class _Untraced:
    """sqlglot could not trace a statement: the field says so rather than claiming no source."""

    reason: str


_Found = Input | Lookup | _Sql | _Untraced
#: What sqlglot's qualify and lineage raise on a tree they cannot follow.
_TRACE_ERRORS = (SqlglotError, ValueError, KeyError)


def _relation_name(target: exp.Expression) -> str:
    table = target if isinstance(target, exp.Table) else target.find(exp.Table)
    return exp.table_name(table) if table is not None else ""


TEMP = "temp"  # where DuckDB keeps temporary tables and views: every schema entry then has a schema name


def _temporary(name: str) -> str:
    return name if "." in name else f"{TEMP}.{name}"


def _followed(column: str) -> bool:
    """Columns that carry a value (a field, a raw reference, an old id); not the bookkeeping ones."""
    if not column.startswith("_ferry_"):
        return True
    return column in (names.KEY, names.SURVIVOR) or column.startswith((names.raw_reference(""), names.SHARED))


def _prepared(query: exp.Expression, temporary: set[str]) -> exp.Expression:
    """A copy qualify can read: temporary relations get their schema, and subquery aliases a TableAlias
    (sqlgen gives some a bare identifier, which renders the same)."""
    query = query.copy()
    for node in query.find_all(exp.Table, exp.Subquery):
        alias = node.args.get("alias")
        if isinstance(alias, exp.Identifier):
            node.set("alias", exp.TableAlias(this=alias))
        if isinstance(node, exp.Table) and not node.db and node.name in temporary:
            node.set("db", exp.to_identifier(TEMP))
    return query


def _steps(expression: exp.Expression) -> set[tuple[int, str]]:
    return {step for node in expression.walk() for step in node.meta_get(names.STEP, ())}


class _Tracer:
    """Traces columns of the bundle's working tables; each relation is qualified once, each column traced once."""

    def __init__(self, bundle: Bundle) -> None:
        spec = bundle.spec
        self.definitions: dict[str, exp.Query] = {}
        self.declared: dict[str, dict[str, str]] = {}  # tables created with columns (crosswalks, targets)
        for file in bundle.files:
            for statement in file.statements:
                if isinstance(statement, exp.Create) and isinstance(statement.expression, exp.Query):
                    self.definitions[_temporary(_relation_name(statement.this))] = statement.expression
                elif isinstance(statement, exp.Create) and isinstance(statement.this, exp.Schema):
                    self.declared[_relation_name(statement.this)] = {
                        c.name: "TEXT" for c in statement.this.expressions if isinstance(c, exp.ColumnDef)}
        self.temporary = {n.split(".", 1)[1] for n in self.definitions if n.startswith(f"{TEMP}.")}
        self.stages = {_temporary(names.table_name(names.stage_table(s))): s.name for s in spec.sources}
        self.traced = set(self.stages) | {_temporary(names.table_name(t(e))) for e in spec.entities
                                          for t in (names.checked_table, names.rows_table)}
        self.crosswalks = {names.table_name(names.crosswalk_table(e)): e.name for e in spec.entities}
        self.qualified: dict[str, tuple[exp.Query, Scope]] = {}
        self.columns: dict[str, dict[str, str]] = {}
        self.memo: dict[tuple[str, str], tuple[_Found, ...]] = {}

    # -- qualification -----------------------------------------------------------------------------------

    def _schema(self, query: exp.Expression) -> dict[str, dict[str, dict[str, str]]]:
        """The columns of every bundle relation ``query`` reads (so qualify can expand their stars)."""
        schema: dict[str, dict[str, dict[str, str]]] = {}
        for table in query.find_all(exp.Table):
            name = exp.table_name(table)
            columns = self._columns(name) if name in self.definitions else self.declared.get(name)
            if columns is not None and table.db:
                schema.setdefault(table.db, {})[table.name] = columns
        return schema

    def _columns(self, relation: str) -> dict[str, str]:
        if relation not in self.columns:
            self.columns[relation] = {c: "TEXT" for c in self.relation(relation)[0].named_selects}
        return self.columns[relation]

    def relation(self, name: str) -> tuple[exp.Query, Scope]:
        if name not in self.qualified:
            query = _prepared(self.definitions[name], self.temporary)
            self.qualified[name] = self.query(query)
        return self.qualified[name]

    def query(self, query: exp.Query) -> tuple[exp.Query, Scope]:
        schema = self._schema(query)
        # Not expand_alias_refs: sqlgen never reads a select's own alias, and that pass walks the huge
        # phone/e-mail expressions again for every alias (5.7 s -> 1.9 s for legacy_crm, same lineage).
        qualified = qualify.qualify(query, dialect=DIALECT, schema=schema, validate_qualify_columns=False,
                                    identify=False, expand_alias_refs=False)
        scope = build_scope(qualified)
        assert scope is not None, "a relation's definition is a query"
        return qualified, scope

    # -- tracing -----------------------------------------------------------------------------------------

    def column(self, relation: str, column: str) -> tuple[_Found, ...]:
        """What ``column`` of a bundle relation comes from."""
        key = (relation, column)
        if key not in self.memo:
            self.memo[key] = ()  # a relation never reads itself; this only stops a loop if one ever did
            try:
                query, scope = self.relation(relation)
                self.memo[key] = self.trace(scope, column, relation) if column in query.named_selects else ()
            except _TRACE_ERRORS:
                del self.memo[key]  # not a result: a later trace must fail the same way, not find nothing
                raise
        return self.memo[key]

    def trace(self, scope: Scope, column: str | int, relation: str | None) -> tuple[_Found, ...]:
        root = to_node(column, scope, DIALECT, ensure_schema({}), trim_selects=False)
        scopes = {id(s.expression): s for s in scope.traverse()}
        return tuple(self._walk(root, [], scopes, relation))

    def _walk(self, node: Node, path: list[Node], scopes: dict[int, Scope], relation: str | None) -> list[_Found]:
        if isinstance(node.expression, exp.Table):
            return self._leaf(node, path, scopes, relation)
        path = [*path, node]
        found: list[_Found] = [_Sql(node.expression.sql(dialect=DIALECT))]
        for below in node.downstream:
            if not _followed(below.name.rsplit(".", 1)[-1].strip('"')):
                continue
            found.extend(self._walk(below, path, scopes, relation))
        return found

    def _leaf(self, leaf: Node, path: list[Node], scopes: dict[int, Scope], relation: str | None) -> list[_Found]:
        column = self._leaf_column(leaf, path)
        if column is None or not _followed(column):
            return []
        steps = sorted(set().union(*(_steps(n.expression) for n in path)))
        here = tuple(label for _, label in steps)
        table = leaf.expression
        if isinstance(table.this, exp.Func):  # the reader of a staging view: a column of the file
            source = self.stages.get(relation or "")
            return [Input(source, column, here)] if source is not None else []
        name = exp.table_name(table)
        if name in self.traced:
            return [_with_steps(f, here) for f in self.column(name, column)]
        if name in self.crosswalks and column == names.ID:
            keys = self._keys(path, scopes, relation, name)
            return [Lookup(self.crosswalks[name], tuple(k for k in keys if isinstance(k, Input))),
                    *(k for k in keys if isinstance(k, _Sql))]
        return []

    @staticmethod
    def _leaf_column(leaf: Node, path: list[Node]) -> str | None:
        """The column a leaf stands for: the one its parent reads that prints as the leaf's name."""
        if not path:
            return None
        for c in path[-1].expression.find_all(exp.Column):
            if c.sql(comments=False) == leaf.name:
                return c.name
        return None

    def _keys(self, path: list[Node], scopes: dict[int, Scope], relation: str | None, crosswalk: str) -> list[_Found]:
        """A crosswalk's id is looked up by its join's condition: trace the columns on the other side of it."""
        for node in reversed(path):
            select = node.source
            scope = scopes.get(id(select))
            if scope is None or not isinstance(select, exp.Select):
                continue
            for join in select.args.get("joins") or ():
                joined = join.this
                if not any(exp.table_name(t) == crosswalk for t in joined.find_all(exp.Table)):
                    continue
                alias = joined.alias_or_name
                found: list[_Found] = []
                for c in (join.args.get("on") or exp.true()).find_all(exp.Column):
                    if c.table == alias:
                        continue
                    source = scope.sources.get(c.table)
                    if isinstance(source, Scope):
                        found.extend(self._walk(to_node(c.name, source, DIALECT, ensure_schema({}), trim_selects=False),
                                                [], scopes | {id(s.expression): s for s in source.traverse()}, relation))
                    elif isinstance(source, exp.Table) and exp.table_name(source) in self.traced:
                        found.extend(self.column(exp.table_name(source), c.name))
                return found
        return []


def _with_steps(found: _Found, later: tuple[str, ...]) -> _Found:
    if isinstance(found, Input):
        return Input(found.source, found.column, found.steps + later)
    return found


def _merge(found: list[_Found]) -> tuple[tuple[Input, ...], tuple[Lookup, ...]]:
    """One input per source column (its longest chain of steps: other paths are parts of it), lookups once."""
    inputs: dict[tuple[str, str], Input] = {}
    lookups: dict[str, set[Input]] = {}
    for f in found:
        if isinstance(f, (_Sql, _Untraced)):
            continue
        if isinstance(f, Input):
            seen = inputs.get((f.source, f.column))
            if seen is None or len(f.steps) > len(seen.steps):
                inputs[(f.source, f.column)] = f
        else:
            lookups.setdefault(f.entity, set()).update(k for k in f.keys)
    merged_lookups = tuple(Lookup(e, tuple(sorted(_merge(list(ks))[0], key=_input_key)))
                           for e, ks in sorted(lookups.items()))
    return tuple(sorted(inputs.values(), key=_input_key)), merged_lookups


def _input_key(i: Input) -> tuple[str, str, tuple[str, ...]]:
    return (i.source, i.column, i.steps)


def _target_tables(spec: Spec) -> dict[str, str]:
    """Each entity's target table (its dotted name) -> the entity."""
    return {names.table_name(names.entity_table(spec.target, e)): e.name for e in spec.entities}


def _writes(tables: dict[str, str], statement: exp.Expression) -> tuple[str, exp.Query, tuple[str, ...]] | None:
    """A statement that writes a target table (``tables``: ``_target_tables``): (entity, the query giving
    the values, the columns by position)."""
    if isinstance(statement, exp.Insert) and isinstance(statement.expression, exp.Select):
        entity = tables.get(_relation_name(statement.this))
        if entity is not None and isinstance(statement.this, exp.Schema):
            return entity, statement.expression, tuple(c.name for c in statement.this.expressions)
    if isinstance(statement, exp.Update) and statement.args.get("from_"):
        entity = tables.get(_relation_name(statement.this))
        if entity is not None:
            sets = [e for e in statement.expressions if isinstance(e, exp.EQ)]
            values = exp.select(*(exp.alias_(e.expression.copy(), e.this.name, quoted=True) for e in sets))
            query = values.from_(statement.args["from_"].this.copy())
            for join in statement.args.get("joins") or ():
                query = query.join(join.copy())
            return entity, query, tuple(e.this.name for e in sets)
    return None


def _untraced(exc: Exception) -> _Untraced:
    text = str(exc).strip().splitlines()
    return _Untraced(f"{type(exc).__name__}: {text[0][:200] if text else ''}")


def _fingerprint(found: list[_Found]) -> str:
    """A digest of every expression the value passes through: a changed `map` or date format changes it
    where the step names stay the same."""
    texts = sorted({f.text for f in found if isinstance(f, _Sql)})
    return hashlib.sha256("\n".join(texts).encode("utf-8")).hexdigest()[:16]


def build_lineage(bundle: Bundle) -> Lineage:
    spec = bundle.spec
    tracer = _Tracer(bundle)
    tables = _target_tables(spec)
    found: dict[tuple[str, str], list[_Found]] = {}
    files: dict[tuple[str, str], set[str]] = {}
    for file in bundle.files:
        for statement in file.statements:
            writes = _writes(tables, statement)
            if writes is None:
                continue
            entity, query, columns = writes
            try:
                _, scope = tracer.query(_prepared(query, tracer.temporary))
            except _TRACE_ERRORS as exc:
                scope, failed = None, _untraced(exc)
            for position, column in enumerate(columns):
                key = (entity, column)
                try:
                    found.setdefault(key, []).extend(tracer.trace(scope, position, None) if scope else [failed])
                except _TRACE_ERRORS as exc:
                    found[key].append(_untraced(exc))
                files.setdefault(key, set()).add(file.name)
    fields = []
    for entity in spec.entities:
        table = names.table_name(names.entity_table(spec.target, entity))
        for column in (names.ID, *(f.name for f in entity.fields), *(r.name for r in entity.references)):
            if (entity.name, column) not in found:
                continue
            inputs, lookups = _merge(found[(entity.name, column)])
            untraced = sorted({f.reason for f in found[(entity.name, column)] if isinstance(f, _Untraced)})
            fields.append(FieldLineage(entity.name, column, table, inputs, lookups,
                                       tuple(sorted(files[(entity.name, column)])),
                                       _fingerprint(found[(entity.name, column)]), "; ".join(untraced)))
    return Lineage(spec.name, spec.sha256, tuple(fields))


