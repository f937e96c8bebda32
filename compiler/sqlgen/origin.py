"""Where a working row comes from: its source, its row in that source's file, its old id there.

In:  an ``Entity`` (and the alias of a table holding its working rows).
Out: expressions for the row's source name, source row number and old id, as the ledgers
(rejects, archive, crosswalk, emptied values, unresolved references) record them.

An entity with one source keeps these implicit: its rows are numbered as in the file
(``_ferry_row``) and keyed by their old id (``_ferry_key``). An entity with several sources
(``sources:``) unions its sources' rows, so both must stay unique across sources: its
``_ferry_row`` is the source's position times ``ROW_STRIDE`` plus the row in the file, and its
``_ferry_key`` is ``<source>/<old id>`` (how review and decision files name a record); the row's
source, row in the file and old id are kept beside them.
"""

from __future__ import annotations

from sqlglot import exp

from compiler.model import Entity, Reference, Spec
from compiler.sqlgen import names

#: An entity with several sources numbers the rows of its n-th source (from 0) n * ROW_STRIDE + row:
#: unique across sources, in source then file order, and readable (row 2000000000017: third source, row 17).
ROW_STRIDE = 1_000_000_000_000


def source_of(entity: Entity, table: str | None = None) -> exp.Expression:
    """The row's source name."""
    return names.col(names.SOURCE, table) if entity.multi else exp.Literal.string(entity.source)


def source_row(entity: Entity, table: str | None = None) -> exp.Column:
    """The row's number in its source file (1-based, data rows)."""
    return names.col(names.SOURCE_ROW if entity.multi else names.ROW, table)


def source_key(entity: Entity, table: str | None = None) -> exp.Column:
    """The row's old id in its source (trimmed; NULL when empty)."""
    return names.col(names.SOURCE_KEY if entity.multi else names.KEY, table)


def per_source(entity: Entity, values: dict[str, str | None], table: str | None) -> exp.Expression:
    """A text that depends on the row's source (the column a reason names): a literal when every source
    gives the same one."""
    distinct = set(values.values())
    if len(distinct) == 1:
        (only,) = distinct
        return exp.Literal.string(only) if only is not None else exp.cast(exp.null(), "VARCHAR")
    case = exp.Case(this=names.col(names.SOURCE, table))
    for source, value in values.items():
        case = case.when(exp.Literal.string(source),
                         exp.Literal.string(value) if value is not None else exp.cast(exp.null(), "VARCHAR"))
    return case


def referenced_source(spec: Spec, owner: Entity, ref: Reference, table: str | None) -> exp.Expression | None:
    """Which source of the referenced entity a reference's old ids are from: None when that entity has
    one source (its crosswalk holds no other), the source the reference names, or, on a self-reference
    that names none, the row's own."""
    parent = spec.entity(ref.entity)
    if parent is None or not parent.multi:
        return None
    if ref.source is not None:
        return exp.Literal.string(ref.source)
    return names.col(names.SOURCE, table) if owner.multi else exp.Literal.string(parent.source)
