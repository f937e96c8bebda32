"""Read a spec file: YAML text -> ``Document`` (plain values + where each came from).

In:  a path and its text.
Out: ``Document``: the parsed values, plus an index from key path
(``("entities", "contact", "fields", "email")``) to the ``Span`` of the value
and of its key, so that schema and semantic errors can point at
``file:line:col``.

pyyaml's compose API gives nodes with marks; we build the values ourselves so
that duplicate keys (which YAML silently resolves to the last one) become
errors instead of lost fields.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path
from types import MappingProxyType
from typing import Any, Mapping

import yaml

from compiler.errors import Diagnostic, FerryError, Span

KeyPath = tuple[str | int, ...]


@dataclass(frozen=True, slots=True)
class Document:
    path: str  # as the user wrote it; used in every Span
    text: str
    data: Any
    value_spans: Mapping[KeyPath, Span]
    key_spans: Mapping[KeyPath, Span]

    @property
    def sha256(self) -> str:
        return hashlib.sha256(self.text.encode("utf-8")).hexdigest()

    @property
    def directory(self) -> Path:
        return Path(self.path).parent

    def span(self, path: KeyPath) -> Span:
        """Where the value at ``path`` starts, or its nearest known ancestor."""
        return self._nearest(self.value_spans, tuple(path))

    def key_span(self, path: KeyPath) -> Span:
        """Where the key of ``path`` starts (for 'unknown key' errors)."""
        path = tuple(path)
        if path in self.key_spans:
            return self.key_spans[path]
        return self.span(path)

    def _nearest(self, index: Mapping[KeyPath, Span], path: KeyPath) -> Span:
        while path and path not in index:
            path = path[:-1]
        return index.get(path, Span(self.path, 1, 1))


def _span(file: str, node: yaml.Node) -> Span:
    mark = node.start_mark
    return Span(file, mark.line + 1, mark.column + 1)


class _Builder:
    def __init__(self, file: str, loader: yaml.SafeLoader):
        self.file = file
        self.loader = loader
        self.values: dict[KeyPath, Span] = {}
        self.keys: dict[KeyPath, Span] = {}
        self.diagnostics: list[Diagnostic] = []

    def build(self, node: yaml.Node, path: KeyPath) -> Any:
        self.values[path] = _span(self.file, node)
        if isinstance(node, yaml.MappingNode):
            self.loader.flatten_mapping(node)  # resolve YAML merge keys (<<)
            out: dict[Any, Any] = {}
            for key_node, value_node in node.value:
                # Keys are names, kept as written: YAML 1.1 would read `yes`, `no`, `on` or `1`
                # as booleans and numbers, which breaks value maps such as `{tak: true, nie: false}`.
                key = key_node.value if isinstance(key_node, yaml.ScalarNode) else str(
                    self.loader.construct_object(key_node, deep=True))
                if key in out:
                    first = self.keys[path + (key,)]
                    self.diagnostics.append(
                        Diagnostic(
                            "F002",
                            f"duplicate key '{key}' (first defined at line {first.line})",
                            _span(self.file, key_node),
                            "YAML keeps only the last one; remove or rename one of them",
                        )
                    )
                    continue
                self.keys[path + (key,)] = _span(self.file, key_node)
                out[key] = self.build(value_node, path + (key,))
            return out
        if isinstance(node, yaml.SequenceNode):
            return [self.build(item, path + (i,)) for i, item in enumerate(node.value)]
        return self.loader.construct_object(node, deep=True)


def parse(path: str, text: str) -> Document:
    """Parse spec text; raise ``FerryError`` for YAML syntax errors and duplicate keys."""
    loader = yaml.SafeLoader(text)
    try:
        node = loader.get_single_node()
        builder = _Builder(path, loader)
        data = builder.build(node, ()) if node is not None else None
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        span = Span(path, mark.line + 1, mark.column + 1) if mark else Span(path)
        problem = exc.problem or exc.context or "invalid YAML"
        raise FerryError(
            Diagnostic("F001", f"YAML syntax error: {problem}", span, "check indentation and quoting")
        ) from None
    except yaml.YAMLError as exc:  # pragma: no cover - pyyaml raises marked errors for text input
        raise FerryError(Diagnostic("F001", f"YAML error: {exc}", Span(path))) from None
    finally:
        loader.dispose()
    if builder.diagnostics:
        raise FerryError(builder.diagnostics)
    return Document(
        path=path,
        text=text,
        data=data,
        value_spans=MappingProxyType(builder.values),
        key_spans=MappingProxyType(builder.keys),
    )


def load(path: str | Path) -> Document:
    """Read and parse a spec file (the only I/O in this module)."""
    shown = str(path)
    try:
        raw = Path(path).read_bytes()
    except FileNotFoundError:
        raise FerryError(Diagnostic("F003", f"spec file not found: {shown}", Span(shown))) from None
    except OSError as exc:
        raise FerryError(Diagnostic("F003", f"cannot read spec: {exc.strerror}", Span(shown))) from None
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        raise FerryError(
            Diagnostic("F001", "spec is not valid UTF-8", Span(shown, line, 1), "save the spec as UTF-8")
        ) from None
    return parse(shown, text)
