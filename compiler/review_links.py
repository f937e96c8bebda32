"""The match model's part of the review: why records were linked, and the possible matches to decide.

In:  a connection with the target attached as ``target`` and an entity with a match model.
Out: ``read``: its links and possible matches from ``_ferry.<entity>_model_pairs`` (both old ids, status,
probability, match weight, and per comparison the two values compared, the level and its weight);
``write``: ``<entity>_model_links.csv`` and ``<entity>_possible_matches.csv``; ``markdown``: sections of
``review.md``. Called by ``review``.

``<entity>_possible_matches.csv`` starts with the columns of a decisions file (``left_id``,
``right_id``, ``decision``, the decision left empty): a reviewer writes ``force`` or ``forbid`` and
copies the row into the file named by ``dedup.decisions``; the next run applies it.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable

import duckdb
from sqlglot import exp

from compiler.model import Entity
from compiler.sqlgen import cells, ledgers, names

_LINKED = ("link", "forced", "forbidden")


@dataclass(frozen=True, slots=True)
class Links:
    entity: Entity
    linked: list[dict[str, Any]]  # status link, forced or forbidden
    possible: list[dict[str, Any]]


def read(con: duckdb.DuckDBPyConnection, spec: str, entity: Entity) -> Links:
    """``spec``'s rows of the entity's explained pairs (other specs may load an entity of that name)."""
    table = names.explained_table(entity)
    table.set("catalog", names.ident("target"))
    columns = ("left_key", "right_key", "status", "probability", "match_weight", "why")
    query = exp.select(*(names.col(c) for c in columns)).from_(table).where(ledgers.of_owner(spec))
    query.set("order", exp.Order(expressions=[exp.Ordered(this=names.col("probability"), desc=True, nulls_first=False),
                                              exp.Ordered(this=names.col("left_key")),
                                              exp.Ordered(this=names.col("right_key"))]))
    rows = []
    for left, right, status, probability, weight, why in con.execute(query.sql(dialect="duckdb")).fetchall():
        rows.append({"left_id": left, "right_id": right, "status": status,
                     "probability": None if probability is None else round(probability, 4),
                     "match_weight": None if weight is None else round(weight, 2), "why": why})
    return Links(entity, [r for r in rows if r["status"] in _LINKED], [r for r in rows if r["status"] == "possible"])


def _csv(path: Path, header: list[str], rows: list[dict[str, Any]], write: Callable[[Path, Any], None]) -> None:
    def body(fh: Any) -> None:
        writer = csv.DictWriter(fh, fieldnames=header, lineterminator="\n", extrasaction="ignore")
        writer.writeheader()
        writer.writerows({k: cells.escape_text(v) if isinstance(v, str) else v for k, v in r.items()} for r in rows)
    write(path, body)


def write(out: Path, links: Links, write_file: Callable[[Path, Any], None]) -> tuple[Path, Path]:
    name = links.entity.name
    linked, possible = out / f"{name}_model_links.csv", out / f"{name}_possible_matches.csv"
    _csv(linked, ["left_id", "right_id", "status", "probability", "match_weight", "why"], links.linked, write_file)
    _csv(possible, ["left_id", "right_id", "decision", "probability", "match_weight", "why"],
         [{**r, "decision": ""} for r in links.possible], write_file)
    return linked, possible


def _cell(value: Any) -> str:
    text = "" if value is None else str(value)
    return text.replace("\\", "\\\\").replace("|", "\\|").replace("\n", " ").replace("\r", " ")


def markdown(links: Links, clusters: dict[str, int], limit: int) -> list[str]:
    """Per cluster (of the first ``limit``) the model's links among its members, then the possible
    matches. ``clusters``: old id -> the number of its cluster in the review."""
    entity = links.entity
    decisions = entity.dedup.decisions if entity.dedup is not None else None
    lines = [f"## {entity.name}: why the match model linked records", "",
             "Each comparison: the two values compared, their level and its weight (log2 m/u; 0 when a "
             "value is missing). The weights and the prior add up to the match weight.", ""]
    shown = [r for r in links.linked if clusters.get(r["left_id"], limit + 1) <= limit]
    for r in sorted(shown, key=lambda r: (clusters[r["left_id"]], r["left_id"], r["right_id"])):
        chance = "" if r["probability"] is None else f", probability {r['probability']}, weight {r['match_weight']}"
        lines.append(f"- cluster {clusters[r['left_id']]}: {r['left_id']} and {r['right_id']}: {r['status']}{chance}"
                     + (f": {r['why']}" if r["why"] else ""))
    lines += ["", f"## {entity.name}: {len(links.possible)} possible matches", ""]
    if not links.possible:
        return lines + ["None: no pair scored between review and the threshold.", ""]
    where = f"`{decisions}`" if decisions else "a decisions file (`dedup.decisions`)"
    lines += [f"Not merged. To decide, copy a row of `{entity.name}_possible_matches.csv` into {where} with "
              "decision `force` or `forbid`; the next `ferry run` applies it.", "",
              "| left_id | right_id | probability | match_weight | why |", "|---|---|---|---|---|"]
    lines += [f"| {_cell(r['left_id'])} | {_cell(r['right_id'])} | {r['probability']} | {r['match_weight']} | "
              f"{_cell(r['why'])} |" for r in links.possible[:limit]]
    if len(links.possible) > limit:
        lines.append(f"\n{len(links.possible) - limit} more in `{entity.name}_possible_matches.csv`.")
    return lines + [""]


__all__ = ["Links", "markdown", "read", "write"]
