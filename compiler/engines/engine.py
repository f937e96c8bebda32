"""What an engine is: a name, its folder under ``generated/<name>/``, and a pure translation.

An engine module (``compiler/engines/<engine>``) turns the ``Bundle``'s trees into its
dialect's statement texts, file by file, and says what its runner needs beyond them
(entries for ``manifest["engines"][name]``). It returns None for a spec it cannot run, and
never touches the disk.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable

from compiler.sqlgen import Bundle

#: file name -> its statements as text, in load order; and the engine's manifest entries
Translated = tuple[dict[str, tuple[str, ...]], dict[str, Any]]


@dataclass(frozen=True, slots=True)
class Engine:
    name: str  # the `--engine` value and the key in manifest["engines"]
    folder: str  # under generated/<name>/; "" for the embedded engine only
    translate: Callable[[Bundle], Translated | None]
    titles: tuple[tuple[str, str], ...] = ()  # (file, title) of files the engine adds beyond the bundle's


def one_line(text: str) -> str:
    """Text safe inside a ``--`` comment: every kind of line break becomes a space.

    Spec values (paths, names) appear in file headers; a newline in one would end
    the comment and turn the rest into SQL.
    """
    return " ".join(text.splitlines())
