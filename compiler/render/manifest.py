"""The compile manifest: what ``ferry run`` needs to execute ``generated/<spec>/``.

It names the files in load order with their sha256, the sources (paths
relative to the spec, read options, the DuckDB variable each is bound to) and
every table the run reads or writes. The runner reads this and the SQL files,
never the compiler. It carries no timestamps or machine paths, so it is as
deterministic as the SQL.
"""

from __future__ import annotations

from typing import Any, Mapping

from compiler import __version__, encodings
from compiler.model import READS_AS
from compiler.order import LoadStep, StageStep, Step
from compiler.sqlgen import Bundle, names

FORMAT = "ferry.generated/v1"


def _reads(bundle: Bundle, step: Step | None) -> str | None:
    """The source file a step parses, if any: errors while running it are blamed on that file.

    A staging view is parsed by the load step that selects from it.
    """
    if isinstance(step, StageStep):
        return step.source
    if isinstance(step, LoadStep):
        return bundle.spec.entity(step.entity).source
    return None


def build_manifest(bundle: Bundle, spec_path: str, hashes: Mapping[str, str]) -> dict[str, Any]:
    spec = bundle.spec
    return {
        "format": FORMAT,
        "ferry_version": __version__,
        "spec": {"name": spec.name, "path": spec_path, "sha256": spec.sha256},
        "target": {
            "kind": spec.target.kind,
            "path": spec.target.path,
            "schema": spec.target.schema,
        },
        "sources": [
            {
                "name": s.name,
                "path": s.path,
                "format": s.format,
                "encoding": s.encoding,
                "reads_as": READS_AS[s.format],
                "converted": READS_AS[s.format] != s.format or encodings.needs_transcoding(s.encoding),
                "variable": names.source_variable(s),
                "stage_table": names.table_name(names.stage_table(s)),
            }
            for s in spec.sources
        ],
        "entities": [
            {
                "name": e.name,
                "source": e.source,
                **({"sources": list(e.source_names)} if e.multi else {}),  # unioned (sqlgen.origin)
                "table": names.table_name(names.entity_table(spec.target, e)),
                "crosswalk": names.table_name(names.crosswalk_table(e)),
                "rows_table": names.table_name(names.rows_table(e)),
                "archive": None if e.filter is None else {
                    "table": names.table_name(names.archive_table(e)),  # every spec's archived rows (_ferry_spec)
                    "rows": names.table_name(names.archived_table(e)),  # this run's (temporary)
                    "path": e.filter.archive,
                },
            }
            for e in (spec.entity(n) for n in bundle.order.entities)
        ],
        "tables": {
            "rejects": names.table_name(names.rejects_table()),
            "unresolved_references": names.table_name(names.unresolved_table()),
            "emptied_values": names.table_name(names.emptied_table()),
            "dedup_stats": names.table_name(names.dedup_stats_table()),
            "dedup_model": names.table_name(names.dedup_model_table()),
        },
        # Files of pairs a person decided (dedup.decisions), read on every run through these variables.
        "decisions": [
            {"entity": e.name, "path": e.dedup.decisions, "variable": names.decisions_variable(e)}
            for e in spec.entities if e.dedup is not None and e.dedup.decisions is not None
        ],
        "files": [
            {"name": f.name, "title": f.title, "sha256": hashes[f.name], "reads": _reads(bundle, f.step)}
            for f in bundle.files
        ],
    }
