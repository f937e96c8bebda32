"""The duplicate review: every cluster, its members and the record they became, for the people who
approve a migration. CSV for filtering in a spreadsheet, Markdown for reading (or a PR comment).

In:  the (schema-valid) ``Spec`` and a target DuckDB file written by a run of it.
Out: ``<entity>_clusters.csv`` per entity with dedup rules, and one ``review.md``; for a match model
also ``<entity>_model_links.csv`` and ``<entity>_possible_matches.csv`` (``review_links``).

An I/O edge like ``rejects``: it reads the spec's rows of ``_ferry.<entity>_duplicates``
(members with their own values, the rules that matched them, their survivor rank;
other specs loading the entity have theirs there too) and the entity's table (the
surviving values). Clusters are listed largest first.
"""

from __future__ import annotations

import csv
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import duckdb
from sqlglot import exp

from compiler.errors import Diagnostic, FerryError, Span, first_line
from compiler.model import Entity, Spec
from compiler import review_links
from compiler.sqlgen import cells, ledgers, linkage, names

#: Member columns before the entity's fields, in the CSV and the Markdown tables.
_LEAD = ("cluster", "cluster_size", "role", "rank", "source_key", "source_row", "matched_by", "best_score")


@dataclass(frozen=True, slots=True)
class ReviewFile:
    entity: str
    path: Path
    clusters: int
    members: int
    summary: str | None = None  # what the file holds, when it is not clusters (the match model's files)


def _rows(con: duckdb.DuckDBPyConnection, spec: Spec, entity: Entity) -> list[dict[str, Any]]:
    """Members and results interleaved: each cluster's members in survivor order, then its result."""
    fields = [f.name for f in entity.fields]
    dup, table = names.duplicates_table(entity), names.entity_table(spec.target, entity)
    for t in (dup, table):
        t.set("catalog", names.ident("target"))
    # Only this spec's members; a table from before the owner column is a single spec's.
    has_owner = con.execute("SELECT count(*) FROM duckdb_columns() WHERE database_name = 'target' AND schema_name = ? "
                            "AND table_name = ? AND column_name = ?", [dup.db, dup.name, ledgers.OWNER]).fetchall()
    mine = ledgers.of_owner(spec.name) if has_owner[0][0] else exp.true()
    members = exp.select(names.col("cluster"), names.col("cluster_id"), names.col("cluster_size"), names.col("rank"),
                         names.col("survivor"), names.col("source_key"), names.col("source_row"),
                         names.col("matched_by"), names.col("best_score"),
                         *(names.col(f) for f in fields)).from_(dup.copy()).where(mine)
    members.set("order", exp.Order(expressions=[exp.Ordered(this=names.col("cluster_size"), desc=True),
                                                exp.Ordered(this=names.col("cluster")),
                                                exp.Ordered(this=names.col("rank"))]))
    results = exp.select(names.col(names.ID), *(names.col(f) for f in fields)).from_(table).where(
        names.col(names.ID).isin(query=exp.select(names.col("cluster_id")).from_(dup).where(mine.copy())))
    merged = {r[0]: r[1:] for r in con.execute(results.sql(dialect="duckdb")).fetchall()}
    out: list[dict[str, Any]] = []
    number, last, last_size, last_record = 0, None, 0, None
    for row in con.execute(members.sql(dialect="duckdb")).fetchall():
        cluster, record, size, rank, survivor, key, source_row, matched_by, score, *values = row
        if cluster != last:
            if last is not None:
                out.append(_result(number, last_size, merged[last_record], fields))
            number, last, last_size, last_record = number + 1, cluster, size, record
        out.append({"cluster": number, "cluster_size": size, "role": "survivor" if survivor else "merged",
                    "rank": rank, "source_key": key, "source_row": source_row, "matched_by": matched_by,
                    "best_score": None if score is None else round(score, 3), **dict(zip(fields, values))})
    if last is not None:
        out.append(_result(number, last_size, merged[last_record], fields))
    return out


def _result(number: int, size: int, values: tuple[Any, ...], fields: list[str]) -> dict[str, Any]:
    return {"cluster": number, "cluster_size": size, "role": "result", "rank": None, "source_key": None,
            "source_row": None, "matched_by": None, "best_score": None, **dict(zip(fields, values))}


def _cell(value: Any) -> str:
    text = "" if value is None else str(value)
    return text.replace("\\", "\\\\").replace("|", "\\|").replace("\n", " ").replace("\r", " ")


def _unlinked(con: duckdb.DuckDBPyConnection, spec: Spec, entity: Entity) -> list[tuple[Any, ...]]:
    """This spec's pairs that ``one_to_one`` left out (``sqlgen.linkage``), as ``source/id`` pairs."""
    table = linkage.unlinked_table(entity)
    table.set("catalog", names.ident("target"))
    query = (exp.select(names.col("left_key"), names.col("right_key"), names.col("score")).from_(table)
             .where(ledgers.of_owner(spec.name)).order_by(names.col("left_key"), names.col("right_key")))
    return con.execute(query.sql(dialect="duckdb")).fetchall()


def _markdown(spec: Spec, sections: list[tuple[Entity, list[dict[str, Any]]]], limit: int) -> str:
    lines = [f"# Duplicate review: {spec.name}", ""]
    for entity, rows in sections:
        clusters = max((r["cluster"] for r in rows), default=0)
        members = sum(1 for r in rows if r["role"] != "result")
        lines += [f"## {entity.name}: {clusters} clusters, {members} records merged into {clusters}", ""]
        if not rows:
            lines += ["No duplicates found.", ""]
            continue
        columns = ["role", "source_key", "matched_by", "best_score", *(f.name for f in entity.fields)]
        for number in range(1, min(clusters, limit) + 1):
            part = [r for r in rows if r["cluster"] == number]
            lines += [f"### Cluster {number} ({part[0]['cluster_size']} records)", "",
                      "| " + " | ".join(columns) + " |", "|" + "---|" * len(columns)]
            for r in part:
                cells = [f"**{_cell(r[c])}**" if r["role"] == "result" and r[c] is not None else _cell(r[c])
                         for c in columns]
                lines.append("| " + " | ".join(cells) + " |")
            lines.append("")
        if clusters > limit:
            lines += [f"{clusters - limit} smaller clusters are in `{entity.name}_clusters.csv`.", ""]
    return "\n".join(lines)


def _write(path: Path, write: Any) -> None:
    partial = path.with_name(f".{path.name}.tmp")
    with partial.open("w", encoding="utf-8", newline="") as fh:
        write(fh)
    os.replace(partial, path)


def export(spec: Spec, target: Path, out: Path, limit: int = 50) -> tuple[ReviewFile, ...]:
    entities = [e for e in spec.entities if e.dedup is not None]
    if not target.is_file():
        raise FerryError(Diagnostic("F606", f"no target at {target}", Span(str(target)),
                                    f"run `ferry run {spec.path}` first"))
    con = duckdb.connect()
    try:
        con.execute("ATTACH ? AS target (READ_ONLY)", [str(target)])
        sections = [(e, _rows(con, spec, e)) for e in entities]
        linked = [review_links.read(con, spec.name, e) for e in entities if e.dedup.model is not None]
        unlinked = [(e, _unlinked(con, spec, e)) for e in entities if e.multi and e.dedup.one_to_one]
    except duckdb.Error as exc:
        raise FerryError(Diagnostic("F606", f"cannot read the duplicates: {first_line(exc)}", Span(str(target)),
                                    "is the target from a run of this spec?")) from None
    finally:
        con.close()
    out.mkdir(parents=True, exist_ok=True)
    written = []
    for entity, rows in sections:
        header = [*_LEAD, *(f.name for f in entity.fields)]
        path = out / f"{entity.name}_clusters.csv"

        def write_csv(fh: Any, rows: list[dict[str, Any]] = rows, header: list[str] = header) -> None:
            writer = csv.DictWriter(fh, fieldnames=header, lineterminator="\n")
            writer.writeheader()
            # Opened in spreadsheets: a value that would run as a formula is escaped (sqlgen.cells).
            writer.writerows({k: cells.escape_text(v) if isinstance(v, str) else v for k, v in r.items()} for r in rows)

        _write(path, write_csv)
        clusters = max((r["cluster"] for r in rows), default=0)
        written.append(ReviewFile(entity.name, path, clusters, sum(1 for r in rows if r["role"] != "result")))
    extra: list[str] = []
    for links in linked:  # the match model: why records were linked, and the possible matches
        clusters = {r["source_key"]: r["cluster"] for e, rows in sections if e is links.entity for r in rows
                    if r["source_key"] is not None}
        for path, count in zip(review_links.write(out, links, _write), (links.linked, links.possible)):
            what = "possible matches to decide" if count is links.possible else "links explained"
            written.append(ReviewFile(links.entity.name, path, 0, 0, f"{len(count)} {what}"))
        extra += review_links.markdown(links, clusters, limit)
    for entity, pairs in unlinked:  # one_to_one: pairs across sources that were not each one's best
        path = out / f"{entity.name}_unlinked.csv"

        def write_pairs(fh: Any, pairs: list[tuple[Any, ...]] = pairs) -> None:
            writer = csv.writer(fh, lineterminator="\n")
            writer.writerow(["left_id", "right_id", "decision", "score"])  # a decisions file's columns first
            writer.writerows((cells.escape_text(a), cells.escape_text(b), "", score) for a, b, score in pairs)

        _write(path, write_pairs)
        written.append(ReviewFile(entity.name, path, 0, 0, f"{len(pairs)} pairs one_to_one left unlinked"))
        extra += [f"## {entity.name}: {len(pairs)} pairs left unlinked by one_to_one", "",
                  f"Each record links to its best counterpart in the other source; the others are in "
                  f"`{path.name}` (write `force` to link one anyway).", ""]
    markdown = out / "review.md"
    _write(markdown, lambda fh: fh.write("\n".join([_markdown(spec, sections, limit), *extra])))
    written.append(ReviewFile("", markdown, sum(f.clusters for f in written), sum(f.members for f in written)))
    return tuple(written)
