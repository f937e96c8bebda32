"""A run's prepared inputs, the slow conversions (XML) done while DuckDB runs the steps that do not read them.

In:  the spec's sources, in the compiled manifest's order; the folder their paths are relative to; a scratch folder.
Out: each source's ``PreparedInput`` (``sources.prepare_input``), by name; the DuckDB variables bound for a
source just before the first step that reads it.

An XML source is flattened to NDJSON (seconds per 100 MB, on every core: ``xmlsplit``), and the steps before
the first one that reads it (the other entities' stages, transforms, dedup) do not need it. So such a source is
prepared in a background thread started before the transaction, and a step that reads it waits for it. The
steps are DuckDB queries, which release the GIL: the conversion's Python callbacks run between them.

Nothing else changes: every input is hashed and scanned as before, the run manifest records the same inputs,
and a conversion that fails raises its own located error when a step first needs it (or at the end), inside
the run's transaction, which then rolls back. ``close`` (the end of the ``with``) waits for a conversion
still running, so the scratch folder is never removed under it.
"""

from __future__ import annotations

from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path

import duckdb

from compiler.model import Source

#: Formats prepared in the background: those whose conversion takes long (the others take < 1 s per 100 MB).
BACKGROUND = frozenset({"xml"})


def slow_first(entries: list[dict]) -> list[dict]:
    """The compiled manifest's sources, those prepared in the background first (so they start at once)."""
    return sorted(entries, key=lambda entry: entry["format"] not in BACKGROUND)


class Inputs:
    """Prepared inputs by source name: ``start`` each, ``[name]`` waits for one, ``bind_for`` binds before a step."""

    def __init__(self, base: Path, workdir: Path, background: bool = True):
        self.base, self.workdir = base, workdir
        self.background = background
        self._sources: dict[str, Source] = {}
        self._futures: dict[str, Future] = {}
        self._done: dict[str, object] = {}
        self._bound: set[str] = set()
        self._pool: ThreadPoolExecutor | None = None

    def start(self, source: Source) -> None:
        """Prepare ``source``: now, or (XML, background runs) in the background thread."""
        from compiler import sources

        self._sources[source.name] = source
        if self.background and source.format in BACKGROUND:
            if self._pool is None:
                self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="ferry-prepare")
            self._futures[source.name] = self._pool.submit(sources.prepare_input, source, self.base, self.workdir)
        else:
            self._done[source.name] = sources.prepare_input(source, self.base, self.workdir)

    def __getitem__(self, name: str):
        """``name``'s prepared input, once its conversion has finished (its error raised here if it failed)."""
        if name not in self._done:
            self._done[name] = self._futures.pop(name).result()
        return self._done[name]

    def __iter__(self):
        return iter(self._sources)

    def __len__(self) -> int:
        return len(self._sources)

    def all(self) -> dict:
        """Every prepared input, waiting for those still converting."""
        return {name: self[name] for name in self._sources}

    def bind_ready(self, con: duckdb.DuckDBPyConnection) -> None:
        """Bind the variables of every source prepared so far (in name order), not waiting for the others."""
        for name in sorted(self._sources):
            if name in self._done or (name in self._futures and self._futures[name].done()):
                self.bind_for(con, name)

    def bind_for(self, con: duckdb.DuckDBPyConnection, name: str | None) -> None:
        """Before a step that reads source ``name``: its variables bound, waiting for its conversion."""
        from compiler import sources

        if name is None or name in self._bound or name not in self._sources:
            return
        sources.bind(con, self._sources[name], self[name])
        self._bound.add(name)

    def close(self) -> None:
        """Wait for a conversion still running (its result or error is not needed any more)."""
        if self._pool is not None:
            self._pool.shutdown(wait=True, cancel_futures=True)
            self._pool = None

    def __enter__(self) -> Inputs:
        return self

    def __exit__(self, *exc) -> None:
        self.close()
