"""The PostgreSQL target: the run's result (the embedded DuckDB file) -> one load script.

In:  the ``Bundle`` (the spec and its load order) and the spec's path.
Out: ``generated/<name>/postgres/load.sql``, rendered from ``targets/postgres/load.sql.j2``
with a typed context (``PgLoad``): schema, entities in load order, columns with
PostgreSQL types, primary and foreign keys. Pure: ``push`` executes it.

The script is a sequence of statements, each after a ``-- ferry:sql`` line, or
after a ``-- ferry:copy <duckdb table> <columns>`` line for a ``COPY ... FROM
STDIN`` that ``push`` feeds from that DuckDB table. It runs in one transaction:

1. schemas and tables are created if missing, and columns a changed spec needs added;
2. per entity, in load order: the records are copied into a temporary staging
   table and upserted on the primary key (``ON CONFLICT (id) DO UPDATE``), so a
   rerun converges to the same rows with the same ids; records a previous push
   inserted that this run no longer produces are deleted (by the previous
   crosswalk); the crosswalk is replaced;
3. foreign keys are (re)created ``DEFERRABLE INITIALLY DEFERRED``, so
   self-references and deletions are checked once, at commit.

Identifiers are quoted here, once; names come from the validated spec.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
import jinja2

from compiler import __version__
from compiler.model import Entity, Spec
from compiler.render.adapter import Adapter, Rendered, one_line
from compiler.sqlgen import Bundle, names

SCRIPT = "load.sql"

#: ferry field types -> PostgreSQL column types.
PG_TYPES = {"string": "text", "integer": "bigint", "decimal": "numeric(18,4)", "date": "date",
            "timestamp": "timestamp", "boolean": "boolean"}

_CROSSWALK = (("source", "text"), ("source_key", "text"), ("id", "uuid"), ("status", "text"),
              ("linked", "boolean"))


def quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


@dataclass(frozen=True, slots=True)
class PgColumn:
    name: str  # quoted
    type: str


@dataclass(frozen=True, slots=True)
class PgForeignKey:
    constraint: str  # quoted
    column: str  # quoted
    references: str  # quoted, schema-qualified table


@dataclass(frozen=True, slots=True)
class PgEntity:
    name: str
    table: str  # quoted, schema-qualified
    stage: str  # quoted temporary table
    crosswalk: str  # quoted, schema-qualified
    columns: tuple[PgColumn, ...]  # id first
    foreign_keys: tuple[PgForeignKey, ...]
    duckdb_table: str  # where push reads the records: dotted, unquoted, as in the compile manifest
    duckdb_crosswalk: str

    @property
    def column_list(self) -> str:
        return ", ".join(c.name for c in self.columns)

    @property
    def copy_columns(self) -> str:
        """Column names for the ``-- ferry:copy`` line (plain identifiers, comma-separated)."""
        return ",".join(c.name.strip('"') for c in self.columns)

    @property
    def updates(self) -> str:
        return ", ".join(f"{c.name} = EXCLUDED.{c.name}" for c in self.columns[1:])


@dataclass(frozen=True, slots=True)
class PgLoad:
    version: str
    spec_path: str
    name: str
    schema: str  # quoted
    crosswalk_columns: tuple[PgColumn, ...]
    entities: tuple[PgEntity, ...]  # in load order


def _constraint(table: str, column: str) -> str:
    """PostgreSQL's own naming (``<table>_<column>_fkey``), shortened with a digest past 63 bytes."""
    name = f"{table}_{column}_fkey"
    if len(name.encode("utf-8")) <= 63:
        return quote(name)
    return quote(name[:40] + "_" + hashlib.sha1(name.encode("utf-8")).hexdigest()[:12])


def _entity(spec: Spec, entity: Entity) -> PgEntity:
    schema = quote(spec.target.postgres_schema)
    table = f"{spec.target.table_prefix}{entity.table}"
    columns = [PgColumn(quote(names.ID), "uuid")]
    columns += [PgColumn(quote(f.name), PG_TYPES[f.type]) for f in entity.fields]
    columns += [PgColumn(quote(r.name), "uuid") for r in entity.references]
    keys = tuple(
        PgForeignKey(_constraint(table, r.name), quote(r.name),
                     f"{schema}.{quote(spec.target.table_prefix + spec.entity(r.entity).table)}")
        for r in entity.references)
    return PgEntity(
        name=entity.name,
        table=f"{schema}.{quote(table)}",
        stage=quote(f"_ferry_stage_{entity.name}"),
        # Crosswalks live beside the tables, so two specs pushing to two schemas never share one.
        crosswalk=f"{schema}.{quote('_ferry_' + entity.name + '_crosswalk')}",
        columns=tuple(columns),
        foreign_keys=keys,
        duckdb_table=names.table_name(names.entity_table(spec.target, entity)),
        duckdb_crosswalk=names.table_name(names.crosswalk_table(entity)),
    )


def context(bundle: Bundle, spec_path: str) -> PgLoad:
    spec = bundle.spec
    return PgLoad(
        version=__version__,
        spec_path=one_line(spec_path),
        name=spec.name,
        schema=quote(spec.target.postgres_schema),
        crosswalk_columns=tuple(PgColumn(quote(n), t) for n, t in _CROSSWALK),
        entities=tuple(_entity(spec, spec.entity(n)) for n in bundle.order.entities),
    )


def render(bundle: Bundle, spec_path: str, templates: jinja2.Environment) -> Rendered:
    text = templates.get_template("load.sql.j2").render(load=context(bundle, spec_path))
    target = bundle.spec.target
    return Rendered({SCRIPT: text}, {"script": SCRIPT, "schema": target.postgres_schema, "dsn_env": target.dsn_env})


ADAPTER = Adapter(name="postgres", render=render)
