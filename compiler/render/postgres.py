"""The PostgreSQL target: the run's result (the embedded DuckDB file) -> one load script.

In:  the ``Bundle`` (the spec and its load order) and the spec's path.
Out: ``generated/<name>/postgres/load.sql``, rendered from ``targets/postgres/load.sql.j2``
with a typed context (``PgLoad``): schema, entities in load order, columns with
PostgreSQL types, primary and foreign keys, match rules. Pure: ``targets.postgres.push`` executes it.

The script is a sequence of statements, each after a ``-- ferry:`` line that
names its kind (``sql``, ``copy <duckdb table> <columns>`` fed from the run's
DuckDB file, or ``probe``), its entity, its phase and, in the load phase, its
path. The template's header explains the phases; ``compiler.targets.postgres.push`` runs them.

Identifiers are quoted here, once; names come from the validated spec.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
import jinja2

from compiler import __version__
from compiler.model import Entity, Field, Spec
from compiler.render.adapter import Adapter, Rendered, one_line
from compiler.sqlgen import Bundle, collisions, names

SCRIPT = "load.sql"

#: ferry field types -> PostgreSQL column types; decimal takes the field's precision and scale (``pg_type``).
PG_TYPES = {"string": "text", "integer": "bigint", "date": "date", "timestamp": "timestamp", "boolean": "boolean"}

#: Every spec pushing to the schema has its rows in each crosswalk (``spec``) and replaces only those.
_CROSSWALK = (("source", "text"), ("source_key", "text"), ("id", "uuid"), ("status", "text"),
              ("linked", "boolean"), ("spec", "text"))


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
class PgMatch:
    mode: str  # update | skip
    on_names: str  # for comments: plain names
    join: str  # "t"."a" = "s"."a" AND ...
    updates: str  # "a" = "s"."a", ...; empty in skip mode


@dataclass(frozen=True, slots=True)
class PgReference:
    entity: str  # the entity whose table holds the reference
    table: str  # its table: quoted, schema-qualified
    column: str  # quoted
    target: str  # the entity referred to


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
    next_crosswalk: str  # quoted, in pg_temp: this push's crosswalk rows, before they replace the spec's last ones
    links: str  # quoted, in pg_temp: ferry's id -> the matched record's id, this push's own
    old_links: str  # quoted, schema-qualified: where an older ferry kept the links (shared by every push), dropped
    ledger: str  # quoted, schema-qualified: what ferry last pushed to each record, per spec (``compiler.targets.postgres.delta``)
    match: PgMatch | None
    references: tuple[PgReference, ...]
    field_types: tuple[tuple[str, str], ...] = ()  # (field, type as format_type names it)
    collision_check: str = "SELECT 1;"  # raises F611 (``sqlgen.collisions``) before anything is written

    @property
    def same_column_types(self) -> str:
        """Raise when a field's column exists with another type (from an earlier push)."""
        if not self.field_types:
            return "SELECT 1;"
        rows = ", ".join(f"({_literal(n)}, {_literal(t)})" for n, t in self.field_types)
        return ("DO $ferry$\n"
                "DECLARE wrong text;\n"
                "BEGIN\n"
                "  SELECT string_agg(format('%s is %s in the target but the spec makes it %s', a.attname,\n"
                "                           format_type(a.atttypid, a.atttypmod), e.type), '; ')\n"
                "    INTO wrong\n"
                f"    FROM pg_attribute AS a JOIN (VALUES {rows}) AS e (name, type) ON a.attname = e.name\n"
                f"   WHERE a.attrelid = {_literal(self.table)}::regclass AND a.attnum > 0 AND NOT a.attisdropped\n"
                "     AND format_type(a.atttypid, a.atttypmod) <> e.type;\n"
                "  IF wrong IS NOT NULL THEN\n"
                f"    RAISE EXCEPTION 'table %: %: loading would convert its values; alter or drop the column first',\n"
                f"      {_literal(self.table)}, wrong;\n"
                "  END IF;\n"
                "END $ferry$;")

    @property
    def ensure_primary_key(self) -> str:
        """A first load copies into a table without an index; the key is added once, after (or before an upsert)."""
        return ("DO $ferry$ BEGIN\n"
                f"  IF NOT EXISTS (SELECT 1 FROM pg_constraint WHERE conrelid = '{self.table}'::regclass AND contype = 'p') THEN\n"
                f'    ALTER TABLE {self.table} ADD PRIMARY KEY ("id");\n'
                "  END IF;\n"
                "END $ferry$;")

    @property
    def column_list(self) -> str:
        return ", ".join(c.name for c in self.columns)

    @property
    def copy_columns(self) -> str:
        """Column names for the ``-- ferry:copy`` line (plain identifiers, comma-separated)."""
        return ",".join(c.name.strip('"') for c in self.columns)

    @property
    def same(self) -> str:
        """A staged record already stored as it is (its table row "t", its staged row "s"): not written again."""
        columns = self.columns[1:]
        stored = ", ".join(f'"t".{c.name}' for c in columns)
        staged = ", ".join(f'"s".{c.name}' for c in columns)
        return f"({stored}) IS NOT DISTINCT FROM ({staged})"

    @property
    def updates(self) -> str:
        return ", ".join(f"{c.name} = EXCLUDED.{c.name}" for c in self.columns[1:])


@dataclass(frozen=True, slots=True)
class PgLoad:
    version: str
    spec_path: str
    name: str
    schema: str  # quoted
    spec: str  # the spec's name as an SQL string literal: its rows of the crosswalks
    crosswalk_columns: tuple[PgColumn, ...]
    entities: tuple[PgEntity, ...]  # in load order

    @property
    def crosswalk_list(self) -> str:
        return ", ".join(c.name for c in self.crosswalk_columns)

    @property
    def crosswalk_copy(self) -> str:
        """Crosswalk column names for the ``-- ferry:copy`` line."""
        return ",".join(c.name.strip('"') for c in self.crosswalk_columns)

    def references_to(self, entity: str) -> tuple[PgReference, ...]:
        return tuple(r for e in self.entities for r in e.references if r.target == entity)


def pg_type(field: Field) -> str:
    """The column type: the same precision and scale as the DuckDB table (``sqlgen.types``)."""
    if field.type == "decimal":
        return f"numeric({field.precision},{field.scale})"
    return PG_TYPES[field.type]


def _catalog_name(pg: str) -> str:
    """How ``format_type`` names a column type, to compare with an existing table's."""
    return "timestamp without time zone" if pg == "timestamp" else pg


def _literal(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def _constraint(table: str, column: str) -> str:
    """PostgreSQL's own naming (``<table>_<column>_fkey``), shortened with a digest past 63 bytes."""
    name = f"{table}_{column}_fkey"
    if len(name.encode("utf-8")) <= 63:
        return quote(name)
    return quote(name[:40] + "_" + hashlib.sha1(name.encode("utf-8")).hexdigest()[:12])


def _collision_check(spec: Spec, entity: Entity, table: str, crosswalk: str) -> str:
    """Raise F611 when a record this push would insert has the id of a record in the table that this spec
    did not insert (another spec's, pushed from another DuckDB file, or another tool's): the upsert would
    overwrite it. The same check and message as a DuckDB run's (``sqlgen.collisions``); it reads this
    push's crosswalk rows (``next_crosswalk``) before they replace the spec's last ones."""
    me, next_crosswalk = _literal(spec.name), _next_crosswalk(entity)
    plain = f"{spec.target.postgres_schema}.{spec.target.table_prefix}{entity.table}"
    message = (f"{collisions.mark(entity.name)}spec '{spec.name}' would insert records into {plain} with the same "
               f"ids as records of % (colliding ids: %, e.g. old id '%' of source '{entity.source}', id %); "
               "nothing was written")
    not_linked = 'NOT coalesce("{0}"."linked", false)'
    return f"""DO $ferry$
DECLARE n bigint; example text; example_id uuid; owners text;
BEGIN
  SELECT count(DISTINCT "c"."id"), min("c"."source_key"), (array_agg("c"."id" ORDER BY "c"."source_key"))[1],
         string_agg(DISTINCT "c"."owner", ' and ' ORDER BY "c"."owner")
    INTO n, example, example_id, owners
    FROM (SELECT "n"."id", "n"."source_key",
                 coalesce('spec ''' || "x"."spec" || '''', 'another tool (no spec''s crosswalk lists them)') AS "owner"
            FROM {next_crosswalk} AS "n"
            JOIN {table} AS "t" ON "t"."id" = "n"."id"
            LEFT JOIN {crosswalk} AS "x" ON "x"."id" = "n"."id" AND "x"."status" = 'loaded'
             AND {not_linked.format("x")} AND "x"."spec" <> {me}
           WHERE "n"."status" = 'loaded' AND {not_linked.format("n")}
             AND NOT EXISTS (SELECT 1 FROM {crosswalk} AS "o" WHERE "o"."id" = "n"."id" AND "o"."spec" = {me}
                             AND "o"."status" = 'loaded' AND {not_linked.format("o")})) AS "c";
  IF n > 0 THEN
    RAISE EXCEPTION {_literal(message)}, owners, n, example, example_id;
  END IF;
END $ferry$;"""


def _next_crosswalk(entity: Entity) -> str:
    """This push's crosswalk rows, before they replace the spec's last ones: a temporary table, the push's own."""
    return f"pg_temp.{quote('_ferry_' + entity.name + '_crosswalk_next')}"


def _entity(spec: Spec, entity: Entity) -> PgEntity:
    schema = quote(spec.target.postgres_schema)
    table = f"{spec.target.table_prefix}{entity.table}"
    columns = [PgColumn(quote(names.ID), "uuid")]
    columns += [PgColumn(quote(f.name), pg_type(f)) for f in entity.fields]
    columns += [PgColumn(quote(r.name), "uuid") for r in entity.references]
    match = entity.match if entity.match is not None and entity.match.mode != "insert_only" else None
    pg_match = None if match is None else PgMatch(
        mode=match.mode,
        on_names=", ".join(match.on),
        join=" AND ".join(f'"t".{quote(f)} = "s".{quote(f)}' for f in match.on),
        updates=", ".join(f'{quote(f)} = "s".{quote(f)}' for f in match.update) if match.mode == "update" else "",
    )
    keys = tuple(
        PgForeignKey(_constraint(table, r.name), quote(r.name),
                     f"{schema}.{quote(spec.target.table_prefix + spec.entity(r.entity).table)}")
        for r in entity.references)
    # Crosswalks live beside the tables, so two specs pushing to two schemas never share one.
    crosswalk = f"{schema}.{quote('_ferry_' + entity.name + '_crosswalk')}"
    return PgEntity(
        name=entity.name,
        table=f"{schema}.{quote(table)}",
        stage=quote(f"_ferry_stage_{entity.name}"),
        crosswalk=crosswalk,
        columns=tuple(columns),
        foreign_keys=keys,
        duckdb_table=names.table_name(names.entity_table(spec.target, entity)),
        duckdb_crosswalk=names.table_name(names.crosswalk_table(entity)),
        next_crosswalk=_next_crosswalk(entity),
        links=f"pg_temp.{quote('_ferry_' + entity.name + '_links')}",
        old_links=f"{schema}.{quote('_ferry_' + entity.name + '_links')}",
        ledger=f"{schema}.{quote('_ferry_' + entity.name + '_written')}",
        match=pg_match,
        references=tuple(PgReference(entity.name, f"{schema}.{quote(table)}", quote(r.name), r.entity)
                         for r in entity.references),
        field_types=tuple((f.name, _catalog_name(pg_type(f))) for f in entity.fields),
        collision_check=_collision_check(spec, entity, f"{schema}.{quote(table)}", crosswalk),
    )


def context(bundle: Bundle, spec_path: str) -> PgLoad:
    spec = bundle.spec
    return PgLoad(
        version=__version__,
        spec_path=one_line(spec_path),
        name=spec.name,
        schema=quote(spec.target.postgres_schema),
        spec=_literal(spec.name),
        crosswalk_columns=tuple(PgColumn(quote(n), t) for n, t in _CROSSWALK),
        entities=tuple(_entity(spec, spec.entity(n)) for n in bundle.order.entities),
    )


def render(bundle: Bundle, spec_path: str, templates: jinja2.Environment) -> Rendered:
    text = templates.get_template("load.sql.j2").render(load=context(bundle, spec_path))
    target = bundle.spec.target
    return Rendered({SCRIPT: text}, {"script": SCRIPT, "schema": target.postgres_schema, "dsn_env": target.dsn_env})


ADAPTER = Adapter(name="postgres", render=render)
