"""Duplicate-pair quality of a run against the generator's ground truth.

    python bench/quality.py TARGET.duckdb TRUTH_DIR

Truth pairs are all pairs within each cluster of ``truth/duplicates.csv``;
found pairs are all pairs of old ids that the run's crosswalk maps to one new
id (the survivor or a matched record). Precision, recall and F1 are over pairs,
per entity and in total, computed in DuckDB (no Python loop over rows).
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import duckdb

_PAIRS = """
WITH truth AS (
  SELECT entity, source_id::VARCHAR AS key, cluster_id::VARCHAR AS cluster
  FROM read_csv(?, header = true, all_varchar = true)
),
truth_pairs AS (
  SELECT a.entity, a.key AS a, b.key AS b FROM truth a JOIN truth b
    ON a.entity = b.entity AND a.cluster = b.cluster AND a.key < b.key
),
found AS ({found}),
found_pairs AS (
  SELECT a.entity, a.key AS a, b.key AS b FROM found a JOIN found b
    ON a.entity = b.entity AND a.id = b.id AND a.key < b.key
)
SELECT entity,
       (SELECT count(*) FROM truth_pairs t WHERE t.entity = e.entity) AS truth,
       (SELECT count(*) FROM found_pairs f WHERE f.entity = e.entity) AS found,
       (SELECT count(*) FROM truth_pairs t JOIN found_pairs f USING (entity, a, b) WHERE t.entity = e.entity) AS hit
FROM (SELECT DISTINCT entity FROM truth) e ORDER BY entity
"""


def pair_quality(target: Path, truth_dir: Path) -> dict[str, dict[str, float]]:
    con = duckdb.connect()
    try:
        con.execute("ATTACH ? AS t (READ_ONLY)", [str(target)])
        crosswalks = [name for (name,) in con.execute(
            "SELECT table_name FROM duckdb_tables() WHERE database_name = 't' AND schema_name = '_ferry' "
            "AND table_name LIKE '%\\_crosswalk' ESCAPE '\\' ORDER BY 1").fetchall()]
        found = " UNION ALL ".join(
            f"SELECT '{name[:-len('_crosswalk')]}' AS entity, source_key AS key, id FROM t._ferry.\"{name}\""
            for name in crosswalks)
        rows = con.execute(_PAIRS.format(found=found), [str(truth_dir / "duplicates.csv")]).fetchall()
    finally:
        con.close()
    out: dict[str, dict[str, float]] = {}
    totals = [0, 0, 0]
    for entity, truth, found_n, hit in rows:
        out[entity] = _scores(truth, found_n, hit)
        totals = [totals[0] + truth, totals[1] + found_n, totals[2] + hit]
    out["all"] = _scores(*totals)
    return out


def _scores(truth: int, found: int, hit: int) -> dict[str, float]:
    precision = hit / found if found else 1.0
    recall = hit / truth if truth else 1.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return {"truth_pairs": truth, "found_pairs": found, "true_positives": hit,
            "precision": round(precision, 4), "recall": round(recall, 4), "f1": round(f1, 4)}


if __name__ == "__main__":
    print(json.dumps(pair_quality(Path(sys.argv[1]), Path(sys.argv[2])), indent=2))
