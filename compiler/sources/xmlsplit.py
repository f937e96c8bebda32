"""Converting a large XML file in parts on all cores, into the same NDJSON as one parse would write.

In:  the XML file, its record path and declared encoding, the output path.
Out: the NDJSON written (records in document order, so every ``_ferry_row`` is
the same) and the byte-order marks removed (count and lines); or None when the
file is not split, and then the caller parses it whole in one process.

How a file is cut, and why the parts add up to one parse:

1. The head (every byte before the first record) is parsed once, to learn the
   first record's start byte, its open ancestors as written, and its line.
2. Cut points are chosen near equal shares of the rest, each moved forward to
   the next bytes that look like a record's start tag after another's end tag
   (``</deal>`` and ``<deal`` with a space, ``/`` or ``>``), or like a start tag
   alone. They are only guesses: such bytes can sit in a comment or in CDATA, or
   be a ``deal`` nested in a record, or under another parent.
3. Part k parses the head followed by the file from its cut point on, so its
   parser has the same declaration, encoding and open ancestors as at the first
   record (``xmlflatten.Part``). Part 0 runs in this process, the others in
   child processes, each writing its own NDJSON file.
4. A part stops at the first later cut point where its own parse meets a record
   start whose open ancestors are those of the first record. That proves the
   next part's parser starts in the state one whole parse would be in there:
   between records nothing else carries over (no DTD, refused below; no
   namespace processing, as prefixes are dropped by name; text outside records
   is no value). The parts are chained from part 0 along those proofs; a part
   whose start was not proven is not used (the part before it reads on over it).
5. The files of the chained parts are joined in order; the marks' lines are moved
   by each part's offset (its proven start line less the first record's line).

A file is parsed whole, in one process, when it is small (``_SPLIT_BYTES``), on a
single core, when it has a document type declaration (entities would be
expanded in each part and counted apart by expat's protection against entity
bombs), in UTF-16 or another encoding where ``<`` is not one byte, or when its
first record comes late. If a part fails (the file is not well-formed there),
the whole file is parsed again in one process, so the error is located exactly
as before. The cut points depend only on the file and the number of cores; the
output depends on neither.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from xml.parsers import expat

from compiler import encodings
from compiler.sources import xmlflatten

_SPLIT_BYTES = 8 << 20  # smaller files are parsed in one process (~0.4 s; the tests lower it)
_MAX_PARTS = 8
_HEAD_SHARE = 4  # a first record beyond 1/4 of the file: the head would be parsed by every part
_SEARCH = 1 << 20  # how far past an equal share a record start tag is looked for
_MARK_LINES = 20
_CHUNK = xmlflatten.CHUNK  # bytes a part reads at a time (the tests lower it)


@dataclass(frozen=True, slots=True)
class Converted:
    """What a split conversion did: the marks removed (as ``evidence.Marks``), and how many parts were used."""

    mark_count: int
    mark_lines: tuple[int, ...]
    parts: int


@dataclass(frozen=True, slots=True)
class Head:
    """Where the first record starts: byte, line, its qualified name, and the open ancestors as written."""

    end: int
    line: int
    qname: str
    ancestors: tuple[str, ...]


def convert(path: Path, record: str, encoding: str, out: Path) -> Converted | None:
    """Write ``out`` from ``path`` in parts; None when the file is not split (nothing is written then)."""
    size = path.stat().st_size
    parts = min(_cores(), _MAX_PARTS)
    codec = encodings.canonical(encoding)
    if size < _SPLIT_BYTES or parts < 2 or not _runnable() or codec is None \
            or not (codec == "utf-8" or encodings.single_byte(codec)):
        return None
    head = _head(path, record, size // _HEAD_SHARE)
    if head is None:
        return None
    cuts = _cuts(path, head, codec, size, parts)
    if not cuts:
        return None
    return _run(path, record, head, cuts, out)


def _runnable() -> bool:
    """A child process can run ``xmlflatten`` as a script (not so from a zip, or in an embedded Python)."""
    return bool(sys.executable) and Path(xmlflatten.__file__).is_file()


def _cores() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


def _head(path: Path, record: str, limit: int) -> Head | None:
    """Parse up to the first record; None when it is not in the first ``limit`` bytes, a DTD comes first, or
    the head is not XML."""
    found: list[Head] = []
    doctype: list[bool] = []
    flattener = xmlflatten.Flattener(record, lambda r: None)
    parser = xmlflatten.parser(flattener)
    parser.StartDoctypeDeclHandler = lambda *a: doctype.append(True)

    def at_start(tag: str) -> None:
        found.append(Head(parser.CurrentByteIndex, parser.CurrentLineNumber, tag, tuple(flattener.qnames)))
        raise xmlflatten.Stop

    flattener.at_start = at_start
    try:
        with path.open("rb") as fh:
            while fh.tell() < limit and (chunk := fh.read(64 * 1024)):
                parser.Parse(chunk, False)
    except xmlflatten.Stop:
        pass
    except (expat.ExpatError, LookupError, ValueError):
        return None
    return found[0] if found and not doctype else None


def _cuts(path: Path, head: Head, codec: str, size: int, parts: int) -> list[int]:
    """Candidate cut points: after each equal share, the first record start tag that follows the end tag of
    another (``</deal> <deal``), else the first record start tag; only guesses, which the parts then prove."""
    try:
        name = re.escape(head.qname.encode(codec))
    except UnicodeEncodeError:
        return []
    start = b"(<" + name + rb"[ \t\r\n/>])"
    sibling, tag = re.compile(b"</" + name + rb"[ \t\r\n]*>[ \t\r\n]*" + start), re.compile(start)
    cuts: list[int] = []
    with path.open("rb") as fh:
        for k in range(1, parts):
            at = head.end + (size - head.end) * k // parts
            fh.seek(at)
            window = fh.read(_SEARCH)
            found = sibling.search(window) or tag.search(window)
            if found and (not cuts or at + found.start(1) > cuts[-1]):
                cuts.append(at + found.start(1))
    return cuts


def _run(path: Path, record: str, head: Head, cuts: list[int], out: Path) -> Converted | None:
    files = [out] + [out.with_name(f"{out.name}.part{k}") for k in range(1, len(cuts) + 1)]
    children = []
    try:
        for k, start in enumerate(cuts, start=1):
            job = {"file": str(path), "record": record, "head_end": head.end, "ancestors": list(head.ancestors),
                   "start": start, "boundaries": cuts[k:], "out": str(files[k]), "chunk": _CHUNK}
            children.append(subprocess.Popen(
                [sys.executable, "-I", "-S", xmlflatten.__file__, json.dumps(job)],
                stdout=subprocess.PIPE, stderr=subprocess.PIPE, stdin=subprocess.DEVNULL))
        try:
            first = _first_part(path, record, head, cuts, out)
        except Exception:  # not well-formed, or anything else: the one-process parse says what
            return None
        summaries = [first] + [_summary(child) for child in children]
        chain = _chain(summaries, head)
        if chain is None:
            return None
        with out.open("ab", buffering=0) as sink:
            for k, _ in chain[1:]:
                with files[k].open("rb", buffering=0) as part:
                    _append(sink, part)
        return _marks(summaries, chain)
    finally:
        for child in children:
            if child.poll() is None:
                child.kill()
            child.wait()
        for extra in files[1:]:
            extra.unlink(missing_ok=True)


def _append(sink, part) -> None:
    """Append the file ``part`` to ``sink`` (both unbuffered): in the kernel where it can (``sendfile``)."""
    size, done = os.fstat(part.fileno()).st_size, 0
    try:
        while done < size and (sent := os.sendfile(sink.fileno(), part.fileno(), done, size - done)):
            done += sent
    except (AttributeError, OSError):  # no sendfile, or not between two files here
        pass
    part.seek(done)
    shutil.copyfileobj(part, sink, 4 << 20)


def _first_part(path: Path, record: str, head: Head, cuts: list[int], out: Path) -> dict:
    with out.open("w", encoding="utf-8") as sink:
        part = xmlflatten.Part(str(path), record, head.end, list(head.ancestors), head.end, cuts,
                               xmlflatten.Lines(sink), _CHUNK).run()
    return part.summary()


def _summary(child: subprocess.Popen) -> dict | None:
    stdout, _ = child.communicate()
    if child.returncode != 0:
        return None
    try:
        return json.loads(stdout)
    except ValueError:
        return None


def _chain(summaries: list[dict | None], head: Head) -> list[tuple[int, int]] | None:
    """The parts used, in order, each with its line offset; None when a part needed failed."""
    chain = [(0, 0)]
    while True:
        k, offset = chain[-1]
        summary = summaries[k]
        if summary is None:
            return None
        if summary["stopped"] is None:
            return chain
        chain.append((k + summary["stopped"] + 1, summary["stop_line"] + offset - head.line))


def _marks(summaries: list[dict | None], chain: list[tuple[int, int]]) -> Converted:
    """The marks of the used parts, their lines moved to the file's and kept as ``MarkLog`` keeps them."""
    count, lines = 0, []
    for k, offset in chain:
        summary = summaries[k]
        assert summary is not None
        count += summary["mark_count"]
        for line in summary["mark_lines"]:
            if len(lines) < _MARK_LINES and (not lines or lines[-1] != line + offset):
                lines.append(line + offset)
    return Converted(count, tuple(lines), len(chain))
