"""The PostgreSQL target, after ``ferry run``: pushing the run's DuckDB file to a server, and planning it.

* ``push``: ``ferry push --to postgres`` executes ``generated/<name>/postgres/load.sql`` (rendered by
  ``render/postgres.py``) in one transaction, or one per phase and batch.
* ``delta``: the server's records and ferry's ledger read back and resolved as a run would (C, W, T).
* ``diff``: which records a delta must read back at all (the fast path).
* ``plan``: ``ferry plan --to postgres``, the same resolution in a read-only transaction.
"""
