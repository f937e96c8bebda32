"""What fuzzy matching's text preparation and scores cost in DuckDB, before and after issue 12.7.

    python bench/fold.py [--rows 1000000] [--repeat 3]

The strings are "first last" names drawn like bench/generate.py's contacts (PL 55%, DE 13%,
FR 12%, UA 20%, from its name pools), with 1 in 10 replaced by a name from other Latin
alphabets (Danish, Norwegian, Icelandic, Croatian, Turkish, Vietnamese) and 1 in 1000 with a
rare letter (a ligature, a fullwidth or an IPA letter). Timings print; nothing asserts them.

* **compared text**: before, ``nullif(lower(strip_accents(v)), '')``; after, ferry's
  ``similarity.compared`` (the ``_ferry.fold`` macros, lower, final sigma), over every string.
* **jaccard**: ferry computes each row's bigrams once (per row), then one score per pair from
  the two lists; DuckDB's ``jaccard(a, b)`` (sets of single characters, the old, wrong
  score) and ``jaro_winkler_similarity`` on the same pairs (each name and the next) for scale.

Each query writes its result to a temporary in-memory table, as a projection (the way
``sqlgen.dedup`` uses them, where DuckDB also shares repeated subexpressions). Median of
--repeat runs, alternated. The machine's other load shows in the spread of the runs.
"""

from __future__ import annotations

import argparse
import importlib.util
import random
import statistics
import sys
import time
from pathlib import Path

import duckdb
from sqlglot import exp

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from compiler.model import FuzzyRule, Span  # noqa: E402
from compiler.sqlgen import fold, similarity  # noqa: E402

HERE = Path(__file__).resolve().parent
OTHER_LATIN = ("Søren Kierkegaard", "Ærø Jørgensen", "Þórunn Guðmundsdóttir", "Sigurður Þórðarson",
               "Đorđe Đoković", "Ivana Šarić", "Işıl Yıldız", "Ömer Güneş", "Nguyễn Thị Hương",
               "Œuvre Cœurdevey", "Ståle Øvrebø", "Bjørn Dæhlie")
RARE = ("ﬁona ﬂeming", "ＡＮＮＡ Ｋｏｗａｌ", "Ĳsbrand Ĳzerman", "ǅemal Ǉubić", "Ƀarbara Ɗiallo")


def _generate_module():
    spec = importlib.util.spec_from_file_location("ferry_bench_generate", HERE / "generate.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def names(rows: int, seed: int = 2026) -> list[str]:
    g = _generate_module()
    rng = random.Random(seed)
    out = []
    for _ in range(rows):
        roll = rng.random()
        if roll < 0.001:
            out.append(rng.choice(RARE))
            continue
        if roll < 0.1:
            out.append(rng.choice(OTHER_LATIN))
            continue
        draw = rng.random()
        lang = next(i for i, cum in enumerate(g.CONTACT_LANG_CUM) if draw < cum)
        first = rng.choice(g.FIRST_NAMES[lang][rng.random() < 0.5])
        out.append(f"{first} {rng.choice(g.LAST_NAMES[lang])}")
    return out


def timed(con: duckdb.DuckDBPyConnection, sql: str) -> float:
    start = time.perf_counter()
    con.execute(sql)
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()

    con = duckdb.connect()
    con.execute("CREATE SCHEMA _ferry")
    for statement in fold.compile_macros():
        con.execute(statement.sql(dialect="duckdb"))
    con.execute("CREATE TABLE t AS SELECT unnest($1::VARCHAR[]) AS v", [names(args.rows)])
    ascii_share = con.execute("SELECT avg((strlen(v) = length(v))::INT) FROM t").fetchone()[0]
    print(f"{args.rows:,} names, {ascii_share:.0%} plain ASCII")

    v = exp.column("v")
    rule = FuzzyRule(("name",), "jaccard", 0.5, ("x",), 1000, Span("bench", 1, 1))
    compared = similarity.compared(v).sql(dialect="duckdb")
    bigrams = similarity.prepared(rule, exp.column("t")).sql(dialect="duckdb")
    score = similarity.score(rule, exp.column("a"), exp.column("b")).sql(dialect="duckdb")
    # inputs of the pair scores, made once: each compared text and its bigrams beside the next row's
    con.execute(f"CREATE TABLE texts AS SELECT {compared} AS t, rowid AS r FROM t")
    con.execute("CREATE TABLE text_pairs AS SELECT t AS a, lead(t) OVER (ORDER BY r) AS b FROM texts")
    con.execute(f"CREATE TABLE gram_pairs AS SELECT g AS a, lead(g) OVER (ORDER BY r) AS b "
                f"FROM (SELECT {bigrams} AS g, r FROM texts WHERE t IS NOT NULL)")
    out = "CREATE OR REPLACE TEMP TABLE o AS SELECT "
    queries = {
        "compared text, before": out + "nullif(lower(strip_accents(v)), '') FROM t",
        "compared text, after": out + f"{compared} FROM t",
        "bigrams of each text": out + f"{bigrams} FROM texts WHERE t IS NOT NULL",
        "pair, DuckDB jaccard": out + "jaccard(a, b) FROM text_pairs WHERE b IS NOT NULL",
        "pair, ferry jaccard": out + f"{score} FROM gram_pairs WHERE b IS NOT NULL",
        "pair, jaro_winkler": out + "jaro_winkler_similarity(a, b) FROM text_pairs WHERE b IS NOT NULL",
    }
    times: dict[str, list[float]] = {name: [] for name in queries}
    for _ in range(args.repeat):
        for name, sql in queries.items():
            times[name].append(timed(con, sql))
    for name, runs in times.items():
        print(f"{name:24} median {statistics.median(runs):6.3f} s  (runs: {', '.join(f'{r:.3f}' for r in runs)})")


if __name__ == "__main__":
    main()
