"""What semantic checks see: the spec, and each source's header as read from disk."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Mapping

from compiler.errors import Diagnostic
from compiler.model import Spec

#: A source's column names, or the diagnostic explaining why they could not be read.
Header = tuple[str, ...] | Diagnostic


@dataclass(frozen=True, slots=True)
class Context:
    spec: Spec
    headers: Mapping[str, Header]

    def columns(self, source: str) -> tuple[str, ...] | None:
        header = self.headers.get(source)
        return header if isinstance(header, tuple) else None
