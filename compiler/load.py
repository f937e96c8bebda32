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


#: A spec is a few levels deep and a few thousand values long. Beyond these, the YAML is not a
#: spec: nesting that would exhaust the stack, or aliases expanding exponentially (a "billion
#: laughs" document of nine lines), which is refused before it is built, not after a minute.
MAX_DEPTH = 64
MAX_VALUES = 100_000


class _TooBig(Exception):
    def __init__(self, message: str, node: yaml.Node):
        self.message, self.node = message, node


class _Builder:
    def __init__(self, file: str, loader: yaml.SafeLoader):
        self.file = file
        self.loader = loader
        self.values: dict[KeyPath, Span] = {}
        self.keys: dict[KeyPath, Span] = {}
        self.diagnostics: list[Diagnostic] = []

    def build(self, node: yaml.Node, path: KeyPath) -> Any:
        if len(path) > MAX_DEPTH:
            raise _TooBig(f"nested more than {MAX_DEPTH} levels deep", node)
        if len(self.values) >= MAX_VALUES:
            raise _TooBig(f"more than {MAX_VALUES:,} values (aliases expanding?)", node)
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


def _compose(loader: yaml.SafeLoader) -> yaml.Node | None:
    """The document's node tree; pyyaml composes nesting recursively, so a deep one ends the stack."""
    try:
        return loader.get_single_node()
    except RecursionError:
        mark = loader.get_mark()
        raise _TooBig(f"nested more than {MAX_DEPTH} levels deep", yaml.ScalarNode("", "", mark, mark)) from None


def parse(path: str, text: str) -> Document:
    """Parse spec text; raise ``FerryError`` for YAML syntax errors, duplicate keys, and documents
    too deep or too large to be a spec."""
    try:
        loader = yaml.SafeLoader(text)
    except yaml.reader.ReaderError as exc:  # a NUL or another control character
        line = text.count("\n", 0, exc.position) + 1
        col = exc.position - (text.rfind("\n", 0, exc.position) + 1) + 1
        raise FerryError(Diagnostic("F001", f"the spec contains the control character U+{exc.character:04X}",
                                    Span(path, line, col), "remove it; a spec is plain text")) from None
    try:
        node = _compose(loader)
        builder = _Builder(path, loader)
        data = builder.build(node, ()) if node is not None else None
    except _TooBig as exc:
        raise FerryError(Diagnostic("F001", f"the spec is {exc.message}", _span(path, exc.node),
                                    "a spec is a few levels of keys and a few thousand values; write them out instead of aliasing")) from None
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
        hint = "name the spec's YAML file; with no spec, validate and compile take every spec under specs/" \
            if Path(path).is_dir() else None
        raise FerryError(Diagnostic("F003", f"cannot read spec: {exc.strerror}", Span(shown), hint)) from None
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        raise FerryError(
            Diagnostic("F001", "spec is not valid UTF-8", Span(shown, line, 1), "save the spec as UTF-8")
        ) from None
    return parse(shown, text)
