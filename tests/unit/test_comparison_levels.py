"""The match model's swapped and transposed levels, as SQL run in DuckDB on hand-made pairs.

Each case gives the two rows' values as the model carries them (``comparisons.row_columns``:
the compared text of the field, and of the other field for ``swapped``) and the level number
``comparisons.level`` must give: 0 null, 1..K the first declared level that holds, K+1 else.
"""

from __future__ import annotations

from dataclasses import dataclass

import duckdb
import pytest

from compiler.errors import Span
from compiler.matchmodel import Comparison, Level
from compiler.sqlgen import comparisons

SPAN = Span("spec.yaml", 1, 1)


@dataclass(frozen=True)
class _Field:
    name: str
    type: str


@dataclass(frozen=True)
class _Entity:
    fields: tuple[_Field, ...]

    def field(self, name: str) -> _Field | None:
        return next((f for f in self.fields if f.name == name), None)


ENTITY = _Entity((_Field("first_name", "string"), _Field("last_name", "string"), _Field("born", "date")))
FIRST = Comparison("first_name", ("first_name",), (Level("exact", None, SPAN), Level("swapped", None, SPAN,
                   other="last_name"), Level("jaro_winkler", 0.9, SPAN)), SPAN)
BORN = Comparison("born", ("born",), (Level("exact", None, SPAN), Level("transposed", None, SPAN, other="day_month"),
                  Level("within", 3, SPAN)), SPAN)


def _level(comparison: Comparison, columns: dict[str, tuple[object, object]], cast: str = "VARCHAR") -> int:
    sides = []
    for side in ("l", "r"):
        values = ", ".join(f"CAST(? AS {cast if c.startswith('_ferry_v_') else 'VARCHAR'}) AS \"{c}\""
                           for c in columns)
        sides.append(f"(SELECT {values}) AS {side}")
    params = [v[0] for v in columns.values()] + [v[1] for v in columns.values()]
    sql = f"SELECT {comparisons.level(ENTITY, comparison).sql(dialect='duckdb')} FROM {sides[0]}, {sides[1]}"
    return duckdb.connect().execute(sql, params).fetchone()[0]


@pytest.mark.parametrize(("first", "other", "expected"), [
    (("jan", "jan"), ("kowalski", "nowak"), 1),             # exact comes first
    (("jan", "kowalski"), ("kowalski", "jan"), 2),           # first and last name swapped
    (("jan", "kowalska"), ("kowalski", "jan"), 2),           # r's last name is l's first name (married name)
    (("jan", "kowalski"), ("kowalski", "nowak"), 2),         # l's last name is r's first name
    (("jan", "kowalska"), ("kowalski", "nowak"), 4),         # no field holds the other's value: else
    (("jan", "jann"), ("kowalski", "kowalski"), 3),          # not swapped: the similarity level
    (("jan", None), ("kowalski", "jan"), 0),                 # no first name on one side: null
    (("jan", "nowak"), (None, None), 4),                     # no last names to look in: else, not swapped
])
def test_swapped_finds_the_value_in_the_other_field_either_way(first, other, expected):
    columns = {comparisons.value_column(FIRST): first, comparisons.swapped_column(FIRST, "last_name"): other}
    assert _level(FIRST, columns) == expected


@pytest.mark.parametrize(("born", "expected"), [
    (("1965-11-08", "1965-11-08"), 1),
    (("1965-11-08", "1965-08-11"), 2),   # day and month swapped
    (("1965-11-08", "1966-08-11"), 4),   # swapped, but another year
    (("1965-11-08", "1965-11-10"), 3),   # two days apart: within, not transposed
    (("1965-03-03", "1965-03-04"), 3),
    (("1965-11-08", None), 0),
])
def test_transposed_day_month(born, expected):
    assert _level(BORN, {comparisons.value_column(BORN): born}, cast="DATE") == expected
