"""Columns that name a country, by its ISO code or its name in any language phonenumbers knows.

In:  a loaded source's sample and a text column with few distinct values.
Out: one ``Shape`` per value (kind ``country``, ``detail`` the region code: ``Belgique`` -> BE)
when nearly every value names a country, else None. ``ferry init`` then gives the file's
phone columns ``region_from``: a row's own country decides how its national numbers read.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

import duckdb
from sqlglot import exp

from compiler.profile.measure import Loaded, sql, value
from compiler.profile.model import Shape

#: A country column has at most this many distinct values, and this share of its values name one.
MAX_DISTINCT = 60
SHARE = 0.9


def locale_data() -> dict[str, dict[str, str]]:
    """phonenumbers' country names by region and language (``phonenumbers.geodata.locale``), read
    without its package: importing ``phonenumbers.geodata`` first loads every prefix's place
    names (0.3 CPU s, a tenth of a profile of 1M rows) that nothing here uses."""
    import importlib.util

    import phonenumbers

    path = Path(phonenumbers.__file__).parent / "geodata" / "locale.py"
    spec = importlib.util.spec_from_file_location("phonenumbers.geodata.locale", path)
    if spec is None or spec.loader is None or not path.is_file():  # installed some other way
        from phonenumbers.geodata.locale import LOCALE_DATA
        return LOCALE_DATA
    module = importlib.util.module_from_spec(spec)  # not put in sys.modules: its package is not loaded
    spec.loader.exec_module(module)
    return module.LOCALE_DATA


@lru_cache(maxsize=1)
def names() -> dict[str, str]:
    """Case-folded ISO code or country name (every language of phonenumbers' locale data) -> region."""
    import phonenumbers

    found: dict[str, str] = {}
    for region, by_language in sorted(locale_data().items()):
        if region not in phonenumbers.SUPPORTED_REGIONS:
            continue
        found.setdefault(region.casefold(), region)
        for name in by_language.values():
            name = by_language.get(name[1:], "") if name.startswith("*") else name
            if name:
                found.setdefault(name.casefold(), region)
    return found


def country(con: duckdb.DuckDBPyConnection, loaded: Loaded, name: str, distinct: int) -> tuple[Shape, ...] | None:
    if not 1 <= distinct <= MAX_DISTINCT:
        return None
    v = value(name)
    rows = con.execute(sql(exp.select(v, exp.Count(this=exp.Star())).from_(loaded.sample)
                           .where(exp.not_(exp.Is(this=v.copy(), expression=exp.null()))).group_by(exp.Literal.number(1))
                           .order_by(exp.Literal.number(1)))).fetchall()
    total = sum(n for _, n in rows)
    known = {text: names().get(text.casefold()) for text, _ in rows}
    if not total or sum(n for text, n in rows if known[text]) < SHARE * total:
        return None
    return tuple(sorted((Shape("country", text, n / total, n, known[text] or "", text) for text, n in rows),
                        key=lambda s: (-s.count, s.label)))
