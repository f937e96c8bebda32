"""The Python functions Spark SQL calls where Spark has no built-in with DuckDB's meaning.

In:  a ``SparkSession``.
Out: the session with ``compiler.functions`` (the phone and e-mail slow paths) and these
registered as UDFs of the names ``engines.spark.functions`` writes. Each is checked against
DuckDB's built-in in tests/spark/test_parity.py.
"""

from __future__ import annotations

import unicodedata
from typing import Any

from compiler import functions


def strip_accents(value: str | None) -> str | None:
    """DuckDB's ``strip_accents``: the text decomposed (NFD) without its combining marks."""
    if value is None:
        return None
    return "".join(c for c in unicodedata.normalize("NFD", value) if not unicodedata.combining(c))


def _jaro(a: str, b: str) -> float:
    window = max(max(len(a), len(b)) // 2 - 1, 0)
    used_a, used_b = [False] * len(a), [False] * len(b)
    matches = 0
    for i, c in enumerate(a):
        for j in range(max(0, i - window), min(len(b), i + window + 1)):
            if not used_b[j] and b[j] == c:
                used_a[i] = used_b[j] = True
                matches += 1
                break
    if matches == 0:
        return 0.0
    transposed, k = 0, 0
    for i in range(len(a)):
        if used_a[i]:
            while not used_b[k]:
                k += 1
            transposed += a[i] != b[k]
            k += 1
    return (matches / len(a) + matches / len(b) + (matches - transposed // 2) / matches) / 3


def jaro_winkler(a: str | None, b: str | None) -> float | None:
    """DuckDB's ``jaro_winkler_similarity``: Jaro, raised by a common prefix (up to 4 characters,
    weight 0.1) when above 0.7; 0 for two empty texts."""
    if a is None or b is None:
        return None
    if not a or not b:
        return 0.0
    score = _jaro(a, b)
    if score > 0.7:
        prefix = 0
        for x, y in zip(a[:4], b[:4]):
            if x != y:
                break
            prefix += 1
        score += prefix * 0.1 * (1 - score)
    return score


def register(session: Any) -> Any:
    from pyspark.sql.types import DoubleType, StringType

    for name, (function, _arguments, _returns) in sorted(functions.FUNCTIONS.items()):
        session.udf.register(name, function, StringType())
    session.udf.register("ferry_strip_accents", strip_accents, StringType())
    session.udf.register("ferry_jaro_winkler", jaro_winkler, DoubleType())
    return session
