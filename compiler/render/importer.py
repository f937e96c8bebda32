"""What the two importer bundles (Salesforce, HubSpot) share: export steps and the queries that fill them.

In:  the ``Bundle`` (spec and load order) and, per entity, the columns it exports.
Out: ``ExportStep`` values: one CSV family each (split into files at export time), with the
DuckDB query that selects its rows from the run's DuckDB file, attached as ``target``.
Queries are sqlglot trees made text once, here; only the records the run loaded (not
merged, not linked to records someone else loaded) are selected, as ``push`` does.

Values are written the way both importers read them: ids as text, dates ``YYYY-MM-DD``,
timestamps ``YYYY-MM-DD HH:MM:SS`` (in the bundle's ``timezone``), booleans
``true``/``false``, decimals with a dot.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlglot import exp

from compiler.model import Entity, Spec
from compiler.sqlgen import ledgers, names

DIALECT = "duckdb"
CATALOG = "target"  # the run's DuckDB file, attached read-only under this name by ``compiler.targets.bundles``
ROW = "r"


@dataclass(frozen=True, slots=True)
class Output:
    header: str  # the CSV column
    column: str  # the entity table's column: "id", a field or a reference
    type: str  # ferry field type, or "id" for ids (the record's and references')


@dataclass(frozen=True, slots=True)
class ExportStep:
    name: str  # 010_Account: the stem of its files (010_Account_1.csv, ...)
    entity: str
    object: str
    operation: str  # upsert | UPSERT | UPDATE (as the importer spells it)
    phase: str  # records | links (Salesforce's second pass) | associations (HubSpot)
    headers: tuple[str, ...]
    query: str  # DuckDB SELECT, no ORDER BY: the export numbers rows by the first column
    reference: str | None = None  # links / associations: the reference(s) this step sets
    columns: tuple[str, ...] = ()  # per header, the entity table's column it holds (the bundle's MAPPING.csv)

    def manifest(self, **extra: object) -> dict[str, object]:
        return {"name": self.name, "entity": self.entity, "object": self.object, "operation": self.operation,
                "phase": self.phase, "headers": list(self.headers), "columns": list(self.columns), **extra}


def _table(t: exp.Table, alias: str | None = None) -> exp.Table:
    """A table of the attached run file: ``target.<schema>.<name>``."""
    out = exp.Table(this=t.this, db=t.args.get("db"), catalog=names.ident(CATALOG))
    return out.as_(alias, quoted=True) if alias else out


def _value(column: str, type_: str) -> exp.Expression:
    value = names.col(column, ROW)
    if type_ == "date":
        return exp.func("strftime", value, exp.Literal.string("%Y-%m-%d"))
    if type_ == "timestamp":
        return exp.func("strftime", value, exp.Literal.string("%Y-%m-%d %H:%M:%S"))
    if type_ == "boolean":
        return (exp.Case().when(value, exp.Literal.string("true"))
                .when(exp.Not(this=value.copy()), exp.Literal.string("false")))
    if type_ == "string":
        return value
    return exp.cast(value, exp.DataType.build("VARCHAR"))  # ids, integers, decimals (a dot, never a comma)


def select(spec: Spec, entity: Entity, outputs: tuple[Output, ...], where: exp.Expression | None = None) -> str:
    """The rows of one step: the records this spec loaded (not linked), one column per output."""
    crosswalk = _table(names.crosswalk_table(entity))
    loaded = (exp.select(names.col(names.ID)).from_(crosswalk)
              .where(exp.and_(exp.column("status", quoted=True).eq(exp.Literal.string(names.LOADED)),
                              exp.not_(exp.func("coalesce", exp.column("linked", quoted=True), exp.false())),
                              ledgers.of_spec(spec.name))))
    condition = exp.In(this=names.col(names.ID, ROW), query=exp.Subquery(this=loaded))
    if where is not None:
        condition = exp.and_(condition, where)
    query = (exp.select(*(exp.alias_(_value(o.column, o.type), o.header, quoted=True) for o in outputs))
             .from_(_table(names.entity_table(spec.target, entity), ROW))
             .where(condition))
    return query.sql(dialect=DIALECT, pretty=True)


def any_set(columns: tuple[str, ...]) -> exp.Expression:
    """At least one of the columns has a value (association rows exist only where a reference is set)."""
    return exp.or_(*(exp.Not(this=exp.Is(this=names.col(c, ROW), expression=exp.null())) for c in columns))


def stem(position: int, *parts: str) -> str:
    """Step names sort in load order: 010_Account, 020_Contact, 030_Account_links."""
    return "_".join((f"{position * 10:03d}", *parts))
