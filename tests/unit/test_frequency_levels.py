"""Term-frequency adjustment of a match model's levels (``frequency: true`` and ``all``), as DuckDB SQL
on hand-made rows: the share each pair carries (``linkmodel._pair_frequency``) and the weight of
its level (``estimate._weight``), against the formulas written out here in Python.
"""

from __future__ import annotations

import math

import duckdb
import pytest

from compiler.errors import Span
from compiler.matchmodel import Comparison, Level
from compiler.sqlgen import comparisons, estimate, linkmodel

SPAN = Span("spec.yaml", 1, 1)
LEVELS = (Level("exact", None, SPAN), Level("jaro_winkler", 0.92, SPAN), Level("swapped", None, SPAN, other="first_name"))
EXACT_ONLY = Comparison("last_name", ("last_name",), LEVELS, SPAN, frequency=True)
ALL = Comparison("last_name", ("last_name",), LEVELS, SPAN, frequency=True, frequency_similar=True)
#: m and u per level position: exact, jaro_winkler, swapped, else.
M, U = (0.7, 0.2, 0.05, 0.05), (0.002, 0.01, 0.001, 0.987)


def _pair_share(comparison: Comparison, left: tuple[str, float], right: tuple[str, float]) -> float | None:
    value, tf = comparisons.value_column(comparison), comparisons.tf_column(comparison)
    sql = (f"SELECT {linkmodel._pair_frequency(comparison).sql(dialect='duckdb')} "
           f"FROM (SELECT ? AS \"{value}\", ?::DOUBLE AS \"{tf}\") AS l, (SELECT ? AS \"{value}\", ?::DOUBLE AS \"{tf}\") AS r")
    return duckdb.connect().execute(sql, [*left, *right]).fetchone()[0]


def _weight(comparison: Comparison, level: int, share: float | None) -> float:
    sql = (f"SELECT {estimate._weight(comparison, 0).sql(dialect='duckdb')} "
           f"FROM (SELECT ?::INTEGER AS \"g_last_name\", ?::DOUBLE AS \"tf_last_name\") AS p, "
           f"(SELECT ?::DOUBLE[] AS m, ?::DOUBLE[] AS u) AS model")
    return duckdb.connect().execute(sql, [level, share, list(M), list(U)]).fetchone()[0]


@pytest.mark.parametrize(("comparison", "left", "right", "expected"), [
    (EXACT_ONLY, ("nowak", 0.01), ("nowak", 0.01), 0.01),
    (EXACT_ONLY, ("nowak", 0.01), ("nowack", 0.00001), None),     # only agreements carry a share
    (ALL, ("nowak", 0.01), ("nowak", 0.01), 0.01),
    (ALL, ("nowak", 0.01), ("nowack", 0.00001), 0.01),            # the more common of the two
    (ALL, ("nowack", 0.00001), ("nowak", 0.01), 0.01),            # either way round
    (ALL, ("jabłoński", 0.0001), ("jablonsky", 0.00001), 0.0001),
])
def test_a_pair_carries_the_share_of_its_more_common_value(comparison, left, right, expected):
    assert _pair_share(comparison, left, right) == pytest.approx(expected) if expected else \
        _pair_share(comparison, left, right) is None


@pytest.mark.parametrize("share", [0.01, 0.002, 0.00001])
def test_frequency_all_scales_a_similarity_level_by_the_value_share(share):
    expected = math.log2(M[1] / U[1]) + math.log2(U[0] / share)
    assert _weight(ALL, 2, share) == pytest.approx(expected)
    assert _weight(EXACT_ONLY, 2, share) == pytest.approx(math.log2(M[1] / U[1]))  # true: only exact is adjusted


def test_a_typo_of_a_common_name_weighs_less_than_one_of_a_rare_name():
    assert _weight(ALL, 2, 0.01) < _weight(EXACT_ONLY, 2, None) < _weight(ALL, 2, 0.00001)


@pytest.mark.parametrize("comparison", [EXACT_ONLY, ALL])
def test_exact_swapped_null_and_else(comparison):
    assert _weight(comparison, 1, 0.01) == pytest.approx(math.log2(M[0] / 0.01))
    assert _weight(comparison, 3, 0.01) == pytest.approx(math.log2(M[2] / U[2]))  # swapped: not a similarity
    assert _weight(comparison, 4, None) == pytest.approx(math.log2(M[3] / U[3]))
    assert _weight(comparison, 0, None) == 0
