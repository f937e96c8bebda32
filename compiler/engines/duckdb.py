"""The embedded DuckDB engine: the bundle's trees as DuckDB SQL, one file per load step.

``ferry run`` executes these files (at the top of ``generated/<name>/``) in the order the
compile manifest lists them. DuckDB is the dialect the trees are built for, so this is a
plain rendering.
"""

from __future__ import annotations

from compiler.engines.engine import Engine, Translated
from compiler.sqlgen import Bundle

DIALECT = "duckdb"


def translate(bundle: Bundle) -> Translated:
    return {f.name: tuple(s.sql(dialect=DIALECT, pretty=True) for s in f.statements) for f in bundle.files}, {}


ENGINE = Engine(name="duckdb", folder="", translate=translate)
