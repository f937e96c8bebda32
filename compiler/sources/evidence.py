"""What a source's bytes say against its spec: UTF-8 under a code-page label, byte-order marks after the start.

In:  ``encodings.Evidence`` from a scan of the file (its head at validate time,
all of it while it is hashed at run time), decoded lines, values.
Out: located ``Diagnostic``s, and ``Marks``: the byte-order marks removed.

- **UTF-8 declared as a code page.** A file declared cp1250 (latin-1, cp1251,
  an XML declaration saying windows-1250...) whose bytes are UTF-8 is an
  error (F311 at validate, F607 at run), or a note in the run manifest with
  ``options: {encoding_check: warn}``.
- **One code page declared as another.** Bytes the declared code page reads as
  characters no text holds (``encodings.implausible``: a control character, a
  box-drawing one inside a word) are an error (F326 at validate, F612 at run),
  or a note with ``encoding_check: warn``.
- **Byte-order marks after the start** (U+FEFF, left where two exports were
  joined into one file) are removed, never loaded: the run manifest counts them
  and names their lines. Only when the file DuckDB reads has one does ferry copy
  it without them (one pass, in the same encoding). A line that starts with a
  mark and repeats the header line is the second export's header: an error
  (F312 at validate, F608 at run), since it would load as a row.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Iterable

from compiler import encodings
from compiler.errors import Diagnostic, FerryError
from compiler.model import Source

MARK = "\ufeff"
_CHUNK = 1 << 20
_SHOWN = 5  # lines named in a note


@dataclass(frozen=True, slots=True)
class Marks:
    """Byte-order marks removed from a source: how many, and the first lines (xlsx: sheet rows) they were on."""

    count: int = 0
    lines: tuple[int, ...] = ()

    def note(self) -> str | None:
        if not self.count:
            return None
        shown = ", ".join(map(str, self.lines[:_SHOWN])) + (", ..." if self.count > _SHOWN else "")
        plural = "s" if self.count > 1 else ""
        return f"removed {self.count} byte-order mark{plural} (U+FEFF) after the start of the file, line{plural} {shown}"


class MarkLog:
    """Collects the marks removed from values while a reader streams them (XML text, xlsx cells)."""

    def __init__(self) -> None:
        self.count = 0
        self.lines: list[int] = []

    def clean(self, value: str, line: int) -> str:
        if MARK not in value:
            return value
        self.count += value.count(MARK)
        if len(self.lines) < 20 and (not self.lines or self.lines[-1] != line):
            self.lines.append(line)
        return value.replace(MARK, "")

    def marks(self) -> Marks:
        return Marks(self.count, tuple(self.lines))


def utf8_mismatch(source: Source, path: Path, encoding: str, evidence: encodings.Evidence, code: str,
                  before: bytes | None = None) -> Diagnostic | None:
    """The error for a file declared in a single-byte code page whose bytes are UTF-8, else None.

    ``before``: the bytes up to the evidence (validate has the head); else the file is read that far.
    """
    if not evidence.utf8 or evidence.utf8_at is None:
        return None
    at = evidence.utf8_at
    line = before[:at].count(b"\n") + 1 if before is not None else _line_at(path, at)
    sample = before[at:at + 4] if before is not None and len(before) >= at + 4 else _read(path, at, 4)
    shown = sample.decode("utf-8", errors="ignore")[:1] or "?"
    what = ("a UTF-8 byte-order mark (EF BB BF)" if sample.startswith(encodings.UTF8_BOM)
            else f"'{shown}' written as UTF-8 ({sample[:len(shown.encode('utf-8'))].hex(' ')})")
    if source.format == "xml":
        said, hint = (f"its XML declaration says {encoding}",
                      "the file is UTF-8: correct its XML declaration (encoding=\"UTF-8\"), or re-export it")
    else:
        said, hint = (f"declared {encoding}", "the file is UTF-8: set options.encoding: utf-8")
    if not evidence.fits:  # read as UTF-8 it holds nothing this code page could: maybe it is what it says
        hint += (f"; if it really is {encoding} (upper-case text such as SPÓŁKA can form valid UTF-8 by chance), "
                 "set options.encoding_check: warn")
    elif code != "note":
        hint += f" (or options.encoding_check: warn to read it as {encoding} anyway)"
    return Diagnostic(code, f"{path}:{line}: {said}, but its bytes are UTF-8 ({what}); read as {encoding} "
                            "it would load as mojibake", source.option_span("encoding"), hint)


def check_utf8(source: Source, path: Path, encoding: str, evidence: encodings.Evidence, code: str,
               before: bytes | None = None) -> str | None:
    """Raise ``code`` for UTF-8 under a single-byte label; with ``encoding_check: warn``, return a note instead."""
    return _enforce(utf8_mismatch, source, path, encoding, evidence, code, before)


def _enforce(find, source: Source, path: Path, encoding: str, evidence: encodings.Evidence, code: str,
             before: bytes | None) -> str | None:
    """``find``'s problem raised as ``code``, or with ``encoding_check: warn`` a note for the run manifest."""
    warn = getattr(source.options, "encoding_check", "error") == "warn"
    problem = find(source, path, encoding, evidence, "note" if warn else code, before)
    if problem is None:
        return None
    if not warn:
        raise FerryError(problem)
    return f"{problem.message}; read as {encoding} because options.encoding_check is warn"


def garbled(source: Source, path: Path, encoding: str, evidence: encodings.Evidence, code: str,
            before: bytes | None = None) -> Diagnostic | None:
    """The error for a byte no text in the declared code page holds (``encodings.implausible``), else None."""
    at = evidence.garbled_at
    if at is None:
        return None
    line = before[:at].count(b"\n") + 1 if before is not None and len(before) > at else _line_at(path, at)
    byte = before[at:at + 1] if before is not None and len(before) > at else _read(path, at, 1)
    char = byte.decode(encoding, errors="replace")
    what = ("a control character" if "\x80" <= char <= "\x9f" else f"'{char}', a box-drawing character inside a word")
    where = "correct its XML declaration" if source.format == "xml" else "set options.encoding"
    hint = (f"{where} to the code page the export was written in (Polish, Czech, Slovak and Hungarian exports are "
            "usually cp1250; `ferry profile` shows what the bytes suggest)")
    if code != "note":
        hint += f", or options.encoding_check: warn to read it as {encoding} anyway"
    said = f"its XML declaration says {encoding}" if source.format == "xml" else f"declared {encoding}"
    return Diagnostic(code, f"{path}:{line}: {said}, but byte {byte.hex()} reads as {what} (U+{ord(char):04X}), which "
                            f"no text in {encoding} holds: the file is in another code page and would load garbled",
                      source.option_span("encoding"), hint)


def check_garbled(source: Source, path: Path, encoding: str, evidence: encodings.Evidence, code: str,
                  before: bytes | None = None) -> str | None:
    """Raise ``code`` for a byte no text in the declared code page holds; with ``encoding_check: warn``, a note."""
    return _enforce(garbled, source, path, encoding, evidence, code, before)


def repeated_header(lines: Iterable[str]) -> int | None:
    """The 1-based number of the first line that starts with a byte-order mark and repeats line 1, or None."""
    header = None
    for number, line in enumerate(lines, start=1):
        if number == 1:
            header = line.lstrip(MARK).rstrip("\r\n")
        elif line.startswith(MARK) and line.lstrip(MARK).rstrip("\r\n") == header:
            return number
    return None


def repeated_header_error(source: Source, path: Path, line: int, code: str) -> Diagnostic:
    return Diagnostic(code, f"{path}:{line}: a byte-order mark starts a line that repeats the header: two exports "
                            "were joined into one file, and this header would load as a row", source.path_span,
                      f"delete line {line} of the file (keep its rows), or join the exports without their headers")


def strip_marks(source: Source, path: Path, encoding: str, out: Path, header: bool,
                named: Path | None = None) -> Marks:
    """Copy ``path`` to ``out`` in the same encoding without U+FEFF (one pass, line by line).

    The mark that starts the file is the file's own and is not counted. With ``header``, a
    line that starts with a mark and repeats line 1 is an error (F608). ``named``: the file
    errors name, when ``path`` is a transcoded copy of it (same lines). Lines end at ``\\n`` only,
    as they are counted everywhere else.
    """
    codec = encodings.canonical(encoding) or encoding
    errors = "surrogateescape" if codec.startswith("utf-8") else "strict"  # DuckDB reports bad bytes as it would
    count, lines, first = 0, [], None
    with path.open(encoding=codec, errors=errors, newline="\n") as src, \
            out.open("w", encoding=codec, errors=errors, newline="") as sink:
        for number, line in enumerate(src, start=1):
            if number == 1:
                first = line.lstrip(MARK).rstrip("\r\n")
                line = line.lstrip(MARK)
            if MARK in line:
                if header and line.startswith(MARK) and line.lstrip(MARK).rstrip("\r\n") == first:
                    raise FerryError(repeated_header_error(source, named or path, number, "F608"))
                count += line.count(MARK)
                if len(lines) < 20:
                    lines.append(number)
                line = line.replace(MARK, "")
            sink.write(line)
    return Marks(count, tuple(lines))


def _line_at(path: Path, offset: int) -> int:
    """The 1-based line of a byte offset, counted streaming (only where a problem was found)."""
    lines, done = 1, 0
    with path.open("rb") as fh:
        while done < offset and (chunk := fh.read(min(_CHUNK, offset - done))):
            lines += chunk.count(b"\n")
            done += len(chunk)
    return lines


def _read(path: Path, start: int, size: int) -> bytes:
    with path.open("rb") as fh:
        fh.seek(start)
        return fh.read(size)
