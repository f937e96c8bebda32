"""Flattening XML records with pyexpat: the callbacks, and the parse of one part of a file.

In:  an XML file's bytes (all of them, or its head followed by the bytes from
one record start on), a record path (``/export/deals/deal`` or ``deal``).
Out: one flat ``dict`` per record, in document order, handed to ``emit``; the
byte-order marks removed from values (count and lines); where a part stopped.

The rules (which ``xmlrecords`` documents for users) are kept here in one
place, for the whole-file parse and for the parts ``xmlsplit`` parses side by
side. The module imports only the standard library: ``xmlsplit`` runs it as a
script in a child process (``python -I -S xmlflatten.py JOB``), which then
starts in milliseconds instead of importing ferry, DuckDB and sqlglot.

Speed: a callback is a Python call per element, and that is the whole cost
(expat alone parses 5x faster). So character data goes straight into one list
(``text.append``, no Python frame); an element's text is the slice of that list
between its start and its end, and a child's slice is cut out when the child
closes, so a parent holds only its own text, as before.
"""

from __future__ import annotations

import json
import sys
from json import encoder as _json
from typing import Callable, TextIO
from xml.parsers import expat

MARK = "\ufeff"
SEPARATOR = "; "
CHUNK = 1 << 20
_MARK_LINES = 20  # as ``evidence.MarkLog`` keeps them

Record = dict[str, str]


class Stop(Exception):
    """Raised from a callback to stop parsing (the head has been read, or a part reached its end)."""


class _LocalNames(dict):
    """Qualified name -> local name (``crm:deal`` -> ``deal``), computed once per name."""

    def __missing__(self, qname: str) -> str:
        name = self[qname] = qname.rpartition(":")[2]
        return name


class Flattener:
    """pyexpat callbacks: keeps the element path outside records, and builds one flat record at a time.

    ``start`` and ``end`` are closures over the lists and the record they use: they run for every
    element of the file (most of a conversion's time), and a closure's variable costs less to reach
    than an attribute.
    """

    def __init__(self, record_path: str, emit: Callable[[Record], None]):
        self.absolute = record_path.startswith("/")
        self.want = record_path.strip("/").split("/")
        self.emit = emit
        self.stack: list[str] = []  # local names of the open elements up to the record
        self.qnames: list[str] = []  # the same as written (``crm:deal``): what expat matches end tags by
        self.keys: list[str] = []  # inside a record: each open element's column name ("" for the record)
        self.starts: list[int] = []  # inside a record: where each open child's text starts in ``text``
        self.text: list[str] = []  # character data, in order (the parser appends to it)
        self.names = _LocalNames()
        self.paths: set[str] = set()  # element paths seen outside records, for the hint when nothing matches
        self.mark_count = 0  # byte-order marks removed from values, and the first lines they were on
        self.mark_lines: list[int] = []
        self.line: Callable[[], int] = lambda: 0  # the parser's current line, set by ``parser``
        self.at_start: Callable[[str], None] | None = None  # called as each record starts (``Part``)
        self.start, self.end = self._handlers()

    def _clean(self, value: str) -> str:
        self.mark_count += value.count(MARK)
        line = self.line()
        if len(self.mark_lines) < _MARK_LINES and (not self.mark_lines or self.mark_lines[-1] != line):
            self.mark_lines.append(line)
        return value.replace(MARK, "")

    def _handlers(self) -> tuple[Callable[[str, dict[str, str]], None], Callable[[str], None]]:
        """The start and end handlers (``add`` is inlined in ``end``: it runs once per element)."""
        keys, starts, text, names, stack, qnames = self.keys, self.starts, self.text, self.names, self.stack, self.qnames
        emit, clean, want, absolute = self.emit, self._clean, self.want, self.absolute
        pop, clear = text.pop, text.clear
        record: Record = {}

        def attributes(prefix: str, attrs: dict[str, str]) -> None:
            for attr, value in attrs.items():
                if MARK in value:
                    value = clean(value)
                if value and not value.isspace():  # the same test as ``not value.strip()``
                    key = prefix + names[attr]
                    if key in record:
                        record[key] += SEPARATOR + value
                    else:
                        record[key] = value

        def outside(tag: str, attrs: dict[str, str]) -> None:
            nonlocal record
            stack.append(names[tag])
            clear()  # text between records is nobody's
            if stack != want if absolute else stack[-len(want):] != want:
                if len(stack) <= 4:
                    self.paths.add("/" + "/".join(stack))
                qnames.append(tag)
                return
            if self.at_start is not None:
                self.at_start(tag)  # may raise Stop before the record is read
            qnames.append(tag)
            keys.append("")
            record = {}
            if attrs:
                attributes("", attrs)

        def start(tag: str, attrs: dict[str, str]) -> None:
            if not keys:
                outside(tag, attrs)
                return
            parent = keys[-1]
            key = parent + "." + names[tag] if parent else names[tag]
            keys.append(key)
            starts.append(len(text))
            if attrs:
                attributes(key + ".", attrs)

        def end(tag: str) -> None:
            if keys:
                key = keys.pop()
                if keys:  # a child closes: its text is a value
                    at = starts.pop()
                    if len(text) == at + 1:
                        value = pop()
                    else:
                        value = "".join(text[at:])
                        del text[at:]
                    if MARK in value:
                        value = clean(value)
                    if value and not value.isspace():
                        if key in record:
                            record[key] += SEPARATOR + value
                        else:
                            record[key] = value
                    return
                clear()
                emit(record)
            stack.pop()
            qnames.pop()

        return start, end


def ndjson(sink: TextIO) -> Callable[[Record], None]:
    """An ``emit`` writing each record to ``sink`` as one line of JSON (UTF-8 as it is, no spaces)."""
    lines = Lines(sink)

    def emit(record: Record) -> None:
        lines.emit(record)
        lines.flush()

    return emit


class Lines:
    """NDJSON lines of records: ``emit`` keeps a record (``list.append``: no Python frame per record),
    ``flush`` writes those kept, one line each, as ``json.dumps`` writes it (UTF-8 as it is, no spaces).

    Records come in few shapes (the same keys in the same order), so each shape's line is made once
    as a ``%`` template with its keys already escaped, and a record's values are escaped by the C
    function ``json`` escapes strings with (``encode_basestring``): 5% fewer instructions per record
    than ``json``'s C encoder, which escapes every key of every record again. At most ``_FORMS``
    shapes are kept (a file whose records vary more costs the same as ``json.dumps``). The lines are
    checked against ``json.dumps`` on a probe; where they differ (another Python), each is ``json.dumps``.
    """

    def __init__(self, sink: TextIO):
        self.write = sink.write
        self.records: list[Record] = []
        self.emit: Callable[[Record], None] = self.records.append
        self.forms: dict[tuple[str, ...], str] = {}
        self.exact = True
        probe = [{"a\"\n\u0142%s": "\ufeff\t\\%", "": "</deal>", "\u2028": "\U0001f600"}, {}]
        self.exact = self._lines(probe) == "".join(_dumps(record) + "\n" for record in probe)
        self.forms.clear()

    def flush(self) -> None:
        if self.records:
            self.write(self._lines(self.records))
            self.records.clear()

    def _lines(self, records: list[Record]) -> str:
        if not self.exact:
            return "".join([_dumps(record) + "\n" for record in records])
        forms, form, escape = self.forms, self._form, _json.encode_basestring
        return "".join([(forms.get(keys := tuple(record)) or form(keys)) % tuple(map(escape, record.values()))
                        for record in records])

    def _form(self, keys: tuple[str, ...]) -> str:
        escape = _json.encode_basestring
        line = "{" + ",".join(escape(key).replace("%", "%%") + ":%s" for key in keys) + "}\n"
        if len(self.forms) < _FORMS:
            self.forms[keys] = line
        return line


_FORMS = 4096
_dumps = json.JSONEncoder(ensure_ascii=False, separators=(",", ":")).encode


def parser(flattener: Flattener) -> expat.XMLParserType:
    """An expat parser (no namespace processing: prefixes are dropped by name) driving ``flattener``."""
    p = expat.ParserCreate()
    p.buffer_text = True
    p.StartElementHandler = flattener.start
    p.EndElementHandler = flattener.end
    p.CharacterDataHandler = flattener.text.append
    flattener.line = lambda: p.CurrentLineNumber
    return p


class Part:
    """One part of a split file: the file's head, then its bytes from ``start`` to the first proven boundary.

    The head (every byte before the first record) puts the parser where it was at the first record:
    the same declaration, encoding and open ancestors. A part stops at the first of ``boundaries``
    (file offsets) that it proves to be a record start with the same open ancestors as the first
    record; the part that starts there then continues exactly as one parse of the whole file would.
    A boundary the parse passes without a record start there (a ``<deal`` inside a comment or CDATA,
    a nested ``deal``) is skipped, and the part reads on to the next one, or to the end of the file.
    """

    def __init__(self, path: str, record: str, head_end: int, ancestors: list[str], start: int,
                 boundaries: list[int], lines: Lines, chunk: int = CHUNK):
        self.path, self.head_end, self.start, self.chunk = path, head_end, start, chunk
        self.ancestors = ancestors
        self.boundaries = [head_end + b - start for b in boundaries]  # as offsets into the parsed stream
        self.next = 0  # the first boundary not yet passed
        self.stopped: int | None = None  # index in ``boundaries`` of the boundary this part stopped at
        self.stop_line = 0  # the parser's line there
        self.lines = lines
        self.flattener = Flattener(record, lines.emit)
        self.parser = parser(self.flattener)

    def _at_start(self, tag: str) -> None:
        position, boundaries = self.parser.CurrentByteIndex, self.boundaries
        while self.next < len(boundaries) and position > boundaries[self.next]:
            self.next += 1  # passed without a record start there: not a boundary
        if self.next < len(boundaries) and position == boundaries[self.next]:
            if self.flattener.qnames == self.ancestors:
                self.stopped, self.stop_line = self.next, self.parser.CurrentLineNumber
                raise Stop
            self.next += 1  # a record start, but under other ancestors

    def run(self) -> Part:
        """Parse the head, then the part's bytes; a record start is checked against the boundaries
        (``_at_start``) only in a chunk that reaches the next one, not at every record."""
        parse, boundaries, flattener, fed = self.parser.Parse, self.boundaries, self.flattener, 0
        try:
            with open(self.path, "rb") as fh:
                for chunk in self._chunks(fh):
                    fed += len(chunk)
                    near = self.next < len(boundaries) and fed > boundaries[self.next]
                    flattener.at_start = self._at_start if near else None
                    parse(chunk, False)
                    self.lines.flush()
                parse(b"", True)
        except Stop:
            pass
        self.lines.flush()
        return self

    def _chunks(self, fh):
        yield fh.read(self.head_end)
        fh.seek(self.start)
        while chunk := fh.read(self.chunk):
            yield chunk

    def summary(self) -> dict:
        f = self.flattener
        return {"stopped": self.stopped, "stop_line": self.stop_line, "mark_count": f.mark_count,
                "mark_lines": f.mark_lines}


def main(job: str) -> int:
    """A child process's work: ``job`` is JSON (file, record, head_end, ancestors, start, boundaries, out).

    Prints the part's summary as JSON; any error exits non-zero (the caller then parses in one process).
    """
    args = json.loads(job)
    with open(args["out"], "w", encoding="utf-8") as sink:
        part = Part(args["file"], args["record"], args["head_end"], args["ancestors"], args["start"],
                    args["boundaries"], Lines(sink), args.get("chunk", CHUNK)).run()
    print(json.dumps(part.summary()))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
