"""What a target adapter is: a name, whether a spec wants it, and a pure render function.

An adapter module (``compiler/render/<target>.py``) builds a frozen, typed
context from the ``Bundle`` (entities in load order, columns with the target's
types, keys) and renders the templates in ``targets/<target>/`` with it. It
returns file texts and the entries it adds to the compile manifest; it never
touches the disk.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Callable

import jinja2

from compiler.engines.engine import one_line  # noqa: F401  (adapters import it from here)
from compiler.model import Spec
from compiler.sqlgen import Bundle


@dataclass(frozen=True, slots=True)
class Rendered:
    files: dict[str, str]  # name (may contain "/") -> text, relative to the target's folder
    manifest: dict[str, Any] = field(default_factory=dict)  # extra entries for manifest["targets"][name]


@dataclass(frozen=True, slots=True)
class Adapter:
    name: str  # the folder in targets/, the key in the compile manifest, the `--to` value
    render: Callable[[Bundle, str, jinja2.Environment], Rendered]
    wanted: Callable[[Spec], bool] = lambda spec: True
    folder: str = ""  # where its files go under generated/<name>/ (default: its name)

    def __post_init__(self) -> None:
        object.__setattr__(self, "folder", self.folder or self.name)
