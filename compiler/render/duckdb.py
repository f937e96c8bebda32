"""The embedded DuckDB target: one SQL file per step of the load order.

Context: ``StepContext`` (the file's name and title, and its statements as text
in the DuckDB dialect). ``ferry run`` executes these files, in the order the
compile manifest lists them.
"""

from __future__ import annotations

from dataclasses import dataclass

import jinja2

from compiler import __version__
from compiler.render.adapter import Adapter, Rendered, one_line
from compiler.sqlgen import Bundle

DIALECT = "duckdb"


@dataclass(frozen=True, slots=True)
class StepContext:
    """Everything a step template may use."""

    version: str
    spec_path: str
    name: str
    title: str
    statements: tuple[str, ...]


def contexts(bundle: Bundle, spec_path: str) -> tuple[StepContext, ...]:
    return tuple(
        StepContext(
            version=__version__,
            spec_path=one_line(spec_path),
            name=file.name,
            title=one_line(file.title),
            # Trees become text exactly once, here, in the target's dialect.
            statements=tuple(s.sql(dialect=DIALECT, pretty=True) for s in file.statements),
        )
        for file in bundle.files
    )


def render(bundle: Bundle, spec_path: str, templates: jinja2.Environment) -> Rendered:
    template = templates.get_template("step.sql.j2")
    return Rendered({step.name: template.render(step=step) for step in contexts(bundle, spec_path)})


ADAPTER = Adapter(name="duckdb", render=render)
