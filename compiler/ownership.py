"""Errors the compiled SQL raises on purpose about ownership -> located ``FerryError``s.

In:  the ``Spec`` and the text of an error DuckDB or PostgreSQL raised while running its SQL.
Out: ``stop``: F611 at the entity in the spec, with a hint, when the error is the collision check's
(``sqlgen.collisions``: a record this run would insert has the id of a record it did not insert);
None for any other error, which the caller reports as before.
"""

from __future__ import annotations

import re

from compiler.errors import Diagnostic, FerryError
from compiler.model import Spec
from compiler.sqlgen import collisions

_MARK = re.compile(r"\[(F61\d) ([A-Za-z0-9_]+)\] (.*)")


def stop(spec: Spec, error_text: str) -> FerryError | None:
    found = _MARK.search(error_text)
    entity = spec.entity(found.group(2)) if found and found.group(1) == collisions.CODE else None
    if entity is None:
        return None
    message = found.group(3).splitlines()[0] if found.group(3) else ""
    hint = (f"to link this spec's rows to those records, give entity '{entity.name}' a `match:` on fields that "
            f"identify them; to keep both, give source '{entity.source}' another name in one of the specs "
            "(an id is made from the entity, the source's name and the old id)")
    return FerryError(Diagnostic(collisions.CODE, message, entity.span, hint))
