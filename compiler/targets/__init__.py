"""Targets: where a run's records land. One module or package here per target, for what runs after ``ferry run``.

The target axis, beside the engines (``compiler.engines``: where the SQL runs). Each target is rendered at
compile time by the pipeline's render stage, ``compiler/render/<target>.py`` with its templates in the
top-level ``targets/<target>/`` folder (layout only), into ``generated/<name>/<target>/``; what then moves
the records is here:

* the DuckDB file (the embedded target, the default): ``ferry run`` writes it (``compiler.run``); it is
  also the working copy every other target starts from. No module here.
* ``postgres``: ``ferry push --to postgres`` (``push``), its delta against what users edited on the
  server (``delta``, ``diff``), and ``ferry plan --to postgres`` (``plan``). Rendered by
  ``render/postgres.py`` (``targets/postgres/load.sql.j2``).
* ``bundles``: ``ferry push --to salesforce|hubspot`` writes an importer bundle (Data Loader, HubSpot
  imports). Rendered by ``render/salesforce.py``, ``render/hubspot.py`` and what they share,
  ``render/importer.py``; the export column names, which ``ferry validate`` checks too, are in
  ``compiler.importers``.
"""
