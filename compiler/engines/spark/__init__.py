"""The Spark engine: the bundle's trees as Spark SQL, in ``generated/<name>/spark/``.

In:  the ``Bundle`` (trees built with DuckDB's semantics).
Out: each step's statements as Spark SQL text (``passes`` rewrite copies of the trees for
Spark's semantics, then sqlglot's Spark dialect writes them), and the manifest entries the
Spark runner needs: where it computes connected components itself, the tables it
registers the sources as, and the file of session functions it runs first (``functions``:
ferry's DuckDB macros as Spark SQL functions, ``sqlfunctions``). A spec with a construct Spark cannot express with the same
meaning gets no files, and the manifest says which construct (``unsupported``).
"""

from __future__ import annotations

from dataclasses import asdict

from sqlglot import exp

from compiler.engines.engine import Engine, Translated
from compiler.engines.spark import passes, sqlfunctions
from compiler.sqlgen import Bundle, names

DIALECT = "spark"


def _texts(statements: tuple[exp.Expression, ...]) -> tuple[str, ...]:
    """The rewritten trees as text. They are the passes' own copies, read by nothing after, so the
    generator may change them in place (``copy=False``) instead of copying each once more."""
    return tuple(s.sql(dialect=DIALECT, pretty=True, copy=False) for s in statements)


def translate(bundle: Bundle) -> Translated:
    files: dict[str, tuple[str, ...]] = {}
    components: list[dict] = []
    try:
        functions = passes.session_functions(tuple(s for f in bundle.files for s in f.statements))
        if functions:
            files[sqlfunctions.FILE] = _texts(functions)
        for f in bundle.files:
            rewritten = passes.rewrite(f.statements, f.step)
            files[f.name] = _texts(rewritten.statements)
            components.extend({"file": f.name, **asdict(c)} for c in rewritten.components)
    except passes.Unsupported as exc:
        return {}, {"unsupported": str(exc)}
    reads = {s.name: names.table_name(names.read_table(s)) for s in bundle.spec.sources}
    first = {"functions": sqlfunctions.FILE} if sqlfunctions.FILE in files else {}
    return files, {"components": components, "reads": reads, "read_order": names.READ_ORDER, **first}


ENGINE = Engine(name="spark", folder="spark", translate=translate, titles=((sqlfunctions.FILE, sqlfunctions.TITLE),))
