"""The Python functions Spark SQL calls where Spark has no built-in with DuckDB's meaning.

In:  a ``SparkSession``.
Out: the session with ``compiler.functions`` (the phone and e-mail slow paths) and these
registered as UDFs of the names ``engines.spark.functions`` writes. Each is checked against
DuckDB's built-in in tests/spark/test_parity.py.

Each is an Arrow UDF (pyspark's ``arrow_udf``, pyarrow only): Spark hands the Python worker a
batch of rows as Arrow columns and takes one column back, instead of pickling every row both
ways. A row whose first argument is NULL answers NULL without calling the function: that is
how a guarded call (``engines.spark.guards``: the argument is NULL on the rows the SQL fast
path settles) costs nothing on those rows, although Spark sends them all.
"""

from __future__ import annotations

import unicodedata
from fractions import Fraction
from typing import Any, Callable

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
        # DuckDB's build fuses this multiply and add (one rounding, not two): 'lena wolf' / 'lnea wolf'
        # is 0.9666666666666667 there, ...666 with two roundings. Exact arithmetic, rounded once.
        score = float(Fraction(prefix * 0.1) * Fraction(1 - score) + Fraction(score))
    return score


#: name -> (python function, Spark type of its answer)
UDFS: dict[str, tuple[Callable[..., Any], str]] = {
    **{name: (function, "string") for name, (function, _arguments, _returns) in functions.FUNCTIONS.items()},
    "ferry_strip_accents": (strip_accents, "string"),
    "ferry_jaro_winkler": (jaro_winkler, "double"),
}


def batched(function: Callable[..., Any], returns: str) -> Callable[..., Any]:
    """``function`` over Arrow columns: called once per row whose first value is not NULL, in row order."""
    import pyarrow as pa
    import pyarrow.compute as pc

    kind = pa.string() if returns == "string" else pa.float64()

    def run(*columns):  # no type hints: pyspark reads its kind from them (none: a scalar Arrow UDF)
        present = pc.is_valid(columns[0])
        if not pc.any(present).as_py():  # no row to compute (a guarded call's usual batch)
            return pa.nulls(len(columns[0]), kind)
        rows = zip(*(pc.filter(c, present).to_pylist() for c in columns))
        answers = pa.array([function(*row) for row in rows], kind)
        return pc.replace_with_mask(pa.nulls(len(columns[0]), kind), present, answers)
    return run


def register(session: Any, wrap: Callable[[str, Callable[..., Any]], Callable[..., Any]] | None = None) -> Any:
    """``wrap(name, function)``, if given, is called in its place (a test counts the calls through it)."""
    from pyspark.sql.functions import arrow_udf

    for name, (function, returns) in sorted(UDFS.items()):
        session.udf.register(name, arrow_udf(batched(wrap(name, function) if wrap else function, returns), returns))
    return session
