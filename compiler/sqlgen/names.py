"""Every name ferry gives to a table, column or variable, in one place.

The compiled SQL, the manifest and the runner all take their names from here
(the runner through the manifest), so renaming a table is a one-line change.
"""

from __future__ import annotations

from sqlglot import exp

from compiler.model import Entity, Source, Target

#: Schema for ferry's own persistent tables (crosswalks, rejects, unresolved references).
INTERNAL_SCHEMA = "_ferry"

# Columns of the per-entity working table.
ROW = "_ferry_row"  # 1-based data row number in the source file
KEY = "_ferry_key"  # the old system's id, trimmed
REASONS = "_ferry_reasons"  # why the row is rejected; empty list = valid
EMPTIED = "_ferry_emptied"  # values a field with ``on_error: null`` emptied, with their reasons; NULL = none
SURVIVOR = "_ferry_survivor_key"  # old id of the record this row becomes (itself, or the one it merges into)
STATUS = "_ferry_status"  # 'loaded' | 'merged' | 'archived' | 'rejected'
ID = "id"
# An entity with several sources (``sqlgen.origin``): the row's source, its row in that file, its old id there.
SOURCE, SOURCE_ROW, SOURCE_KEY = "_ferry_source", "_ferry_source_row", "_ferry_source_key"

SHARED = "_ferry_shared_"  # a value several of a select's expressions read, built once (``sqlgen.shared``)
LINKED = "_ferry_linked"  # the row's record already exists in the target (``match``); its id is that one
ARCHIVED_FLAG = "_ferry_archived"  # the entity's filter did not keep the row
LOADED, MERGED, ARCHIVED, REJECTED = "loaded", "merged", "archived", "rejected"
#: A crosswalk row of a record a delta run kept though its row is gone (``delta: {gone: keep}``): references
#: to its old id still resolve to it; it is no source row's outcome (accounting, diff ignore it).
KEPT = "kept"


#: ``Expression.meta`` key of the spec step an expression computes: ``(order, label)`` pairs (``lineage`` reads
#: them back from the trees; meta is never rendered, so the SQL does not change).
STEP = "ferry_step"
#: ``meta`` keys marking a subtree an engine other than DuckDB builds its own way (``compiler.engines``):
#: the connected components of an entity's pairs (the value: the entity), a UUIDv5 (the value: its name).
COMPONENTS = "ferry_components"
UUID5 = "ferry_uuid5"
CAST_STEP, MERGE_STEP = 100, 200  # after every transform (ordered by their index in the field's list)


def mark_step(expression: exp.Expression, order: int, label: str) -> exp.Expression:
    """Record on ``expression`` (in place) that it computes the spec step ``label`` (a transform's name)."""
    expression.meta[STEP] = (*expression.meta_get(STEP, ()), (order, label))
    return expression


def ident(name: str) -> exp.Identifier:
    return exp.to_identifier(name, quoted=True)


def col(name: str, table: str | None = None) -> exp.Column:
    return exp.column(name, table=table, quoted=True)


def table(name: str, schema: str | None = None, alias: str | None = None) -> exp.Table:
    t = exp.Table(this=ident(name), db=ident(schema) if schema else None)
    return t.as_(alias, quoted=True) if alias else t


def bad_value(field: str, step: int, reason: int = 0) -> str:
    """Working column holding the input a transform step could not handle (NULL when it could);
    a step that can fail in several ways has one per way (``reason`` 1, 2... after the first)."""
    return f"_ferry_bad_{field}_{step}" + (f"_{reason}" if reason else "")


def raw_reference(name: str) -> str:
    """Working-table column holding a reference's old id, before it is resolved."""
    return f"_ferry_ref_{name}"


def source_variable(source: Source) -> str:
    """DuckDB variable the runner sets to the path of the source's readable file."""
    return f"ferry_source_{source.name}"


def columns_variable(source: Source) -> str:
    """DuckDB variable the runner sets to the columns of a source read as CSV (``{name: 'VARCHAR'}``)."""
    return f"ferry_columns_{source.name}"


def stage_table(source: Source | str) -> exp.Table:
    return table(f"_ferry_stage_{getattr(source, 'name', source)}")


def read_table(source: Source | str) -> exp.Table:
    """An engine that reads sources itself (Spark) registers each as this table, with ``READ_ORDER``."""
    return table(f"_ferry_read_{getattr(source, 'name', source)}")


READ_ORDER = "_ferry_read_order"  # increasing in file order, in ``read_table``


def components_table(entity: Entity | str) -> exp.Table:
    """An engine without recursive CTEs (Spark) computes the connected components of the pairs into this."""
    return table(f"_ferry_components_{getattr(entity, 'name', entity)}")


def rows_table(entity: Entity | str) -> exp.Table:
    return table(f"_ferry_rows_{getattr(entity, 'name', entity)}")


def checked_table(entity: Entity | str) -> exp.Table:
    """Mapped, typed and checked rows of an entity that looks for duplicates (read several times)."""
    return table(f"_ferry_checked_{getattr(entity, 'name', entity)}")


def pairs_table(entity: Entity | str) -> exp.Table:
    """Duplicate pairs found by each dedup rule: the edges of the duplicate graph."""
    return table(f"_ferry_pairs_{getattr(entity, 'name', entity)}")


def blocks_table(entity: Entity | str) -> exp.Table:
    """Fuzzy rules' compared texts, blocking keys and block sizes per valid row (``sqlgen.blocks``)."""
    return table(f"_ferry_blocks_{getattr(entity, 'name', entity)}")


def clusters_table(entity: Entity | str) -> exp.Table:
    """Each row in a duplicate cluster: its cluster, its rank in survivor order, the survivor's old id."""
    return table(f"_ferry_clusters_{getattr(entity, 'name', entity)}")


def model_rows_table(entity: Entity | str) -> exp.Table:
    """A match model's rows: what each comparison compares, blocking keys and block sizes (``sqlgen.linkmodel``)."""
    return table(f"_ferry_model_rows_{getattr(entity, 'name', entity)}")


def model_pairs_table(entity: Entity | str) -> exp.Table:
    """The pairs a match model's blocking rules find, with each comparison's level."""
    return table(f"_ferry_model_pairs_{getattr(entity, 'name', entity)}")


def model_u_table(entity: Entity | str) -> exp.Table:
    """Each comparison level's u, from random pairs."""
    return table(f"_ferry_model_u_{getattr(entity, 'name', entity)}")


def model_table(entity: Entity | str) -> exp.Table:
    """The estimated model: lambda, and m and u per level as lists (one row)."""
    return table(f"_ferry_model_{getattr(entity, 'name', entity)}")


def model_scores_table(entity: Entity | str) -> exp.Table:
    """Each blocked pair's weights and match probability."""
    return table(f"_ferry_model_scores_{getattr(entity, 'name', entity)}")


def decisions_table(entity: Entity | str) -> exp.Table:
    """The pairs of ``dedup.decisions`` that name two valid rows: (a, b) row numbers and the decision."""
    return table(f"_ferry_decisions_{getattr(entity, 'name', entity)}")


def decisions_variable(entity: Entity | str) -> str:
    """DuckDB variable the runner sets to the path of the entity's decisions file."""
    return f"ferry_decisions_{getattr(entity, 'name', entity)}"


def explained_table(entity: Entity | str) -> exp.Table:
    """The match model's links, possible matches and decided pairs, each explained: what review shows."""
    return table(f"{getattr(entity, 'name', entity)}_model_pairs", INTERNAL_SCHEMA)


def dedup_model_table() -> exp.Table:
    """Per entity with a match model: m, u and weight per comparison level, and lambda."""
    return table("dedup_model", INTERNAL_SCHEMA)


def duplicates_table(entity: Entity | str) -> exp.Table:
    """Every member of every cluster with its own values: what the review report shows."""
    return table(f"{getattr(entity, 'name', entity)}_duplicates", INTERNAL_SCHEMA)


#: DuckDB macros that fold text for fuzzy comparisons (``sqlgen.fold``), in ``INTERNAL_SCHEMA``.
FOLD, FOLD_COMMON, FOLD_RARE = "fold", "fold_common", "fold_rare"


def fold_macro(name: str = FOLD) -> exp.Table:
    return table(name, INTERNAL_SCHEMA)


def dedup_stats_table() -> exp.Table:
    return table("dedup_stats", INTERNAL_SCHEMA)


def crosswalk_table(entity: Entity | str) -> exp.Table:
    return table(f"{getattr(entity, 'name', entity)}_crosswalk", INTERNAL_SCHEMA)


def written_table(entity: Entity | str) -> exp.Table:
    """The values ferry last wrote to each of its records, per spec: the base a delta run compares
    the source and the target with (``compiler.delta``)."""
    return table(f"{getattr(entity, 'name', entity)}_written", INTERNAL_SCHEMA)


def archive_table(entity: Entity | str) -> exp.Table:
    return table(f"{getattr(entity, 'name', entity)}_archive", INTERNAL_SCHEMA)


def archived_table(entity: Entity | str) -> exp.Table:
    """This run's archived rows of the entity (temporary), in the spec's own columns: the archive file."""
    return table(f"_ferry_archived_{getattr(entity, 'name', entity)}")


def rejects_table() -> exp.Table:
    return table("rejects", INTERNAL_SCHEMA)


def runs_table() -> exp.Table:
    """One row per run of each spec into the target, with its run manifest (``compiler.history``)."""
    return table("runs", INTERNAL_SCHEMA)


def emptied_table() -> exp.Table:
    """Values loaded as NULL because their field says ``on_error: null``: the ledger of what was emptied."""
    return table("emptied_values", INTERNAL_SCHEMA)


def unresolved_table() -> exp.Table:
    return table("unresolved_references", INTERNAL_SCHEMA)


def entity_table(target: Target, entity: Entity) -> exp.Table:
    return table(f"{target.table_prefix}{entity.table}", target.schema)


def table_name(t: exp.Table) -> str:
    """Dotted, unquoted name for manifests and messages."""
    return ".".join(p for p in (t.db, t.name) if p)
