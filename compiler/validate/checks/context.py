"""What semantic checks see: the spec, and each source's columns as read from disk."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Mapping

from compiler.errors import Diagnostic
from compiler.headers import Columns
from compiler.model import Spec

#: A source's columns, or the diagnostic explaining why they could not be read.
Header = Columns | Diagnostic


@dataclass(frozen=True, slots=True)
class Context:
    spec: Spec
    headers: Mapping[str, Header]

    def columns(self, source: str) -> tuple[str, ...] | None:
        """The source's column names as its file writes them (a repeated name appears more than once)."""
        header = self.headers.get(source)
        return header.names if isinstance(header, Columns) and not header.empty else None

    def header(self, source: str) -> Columns | None:
        """The source's header; None when it could not be read, or when the file has no records and so
        no columns to check the spec against (an empty export loads as zero rows)."""
        header = self.headers.get(source)
        return header if isinstance(header, Columns) and not header.empty else None
