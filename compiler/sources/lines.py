"""Line breaks of CSV sources: which kinds a file uses, one kind where it mixes them, where an offset lies.

In:  a file's bytes (chunks, while it is hashed); a file DuckDB read and a byte offset it reported.
Out: ``Endings`` (does the file mix ``\\r\\n``, ``\\n`` and ``\\r``?), ``normalize`` (a copy with
every break between rows written ``\\n``), ``line_at`` (the 1-based line of an offset).

DuckDB's strict CSV reader takes one kind of line break per file and stops at the
first other one ("state machine reached an invalid state"). A file that mixes them
(rows appended on another system, a CRLF export edited on Linux) is well-formed
CSV, so it is read from a copy where every break outside a quoted value is ``\\n``;
a break inside a quoted value belongs to the value and stays as written. Each
break stays one break, so the copy's line numbers are the file's.

Lines are counted at any break: ``\\r\\n``, ``\\n``, or ``\\r`` alone.
"""

from __future__ import annotations

import codecs
import re
from pathlib import Path

from compiler import encodings

_CHUNK = 1 << 20
#: Below this many bytes a chunk's breaks are counted with ``bytes.count`` (7 ms per MB for the three
#: counts) rather than numpy, which costs 0.1-0.2 s to import: a spec's small files validate without it.
_SMALL = 1 << 18


def single_byte_breaks(encoding: str) -> bool:
    """True where a line break is the byte 0x0a or 0x0d whatever surrounds it (UTF-8, code pages);
    not UTF-16/32, which DuckDB decodes itself and ferry leaves as they are.

    >>> single_byte_breaks("utf-8"), single_byte_breaks("cp1250"), single_byte_breaks("utf-16")
    (True, True, False)
    """
    name = encodings.canonical(encoding) or encoding
    try:
        return "\r\n,\"".encode(name) == b"\r\n,\"" and not name.startswith(("utf-16", "utf-32"))
    except (LookupError, UnicodeError):
        return False


class Endings:
    """Fed a file's chunks in order, tells whether it uses more than one kind of line break.

    A file without ``\\r`` costs two ``memchr`` per chunk; one with ``\\r`` three counts in
    numpy (0.09 s per 100 MB, where ``bytes.count`` takes 0.7 s), until it is known to mix; a
    chunk under ``_SMALL`` bytes (a small file) is counted with ``bytes.count`` instead.
    """

    def __init__(self) -> None:
        self._lf = self._crlf = self._cr = 0
        self._tail_cr = False  # the last chunk ended with \r: a \r\n or a \r alone, as the next chunk says
        self._masks: tuple | None = None  # numpy work arrays, once a chunk has a \r

    @property
    def mixed(self) -> bool:
        return (self._lf > 0) + (self._crlf > 0) + (self._cr > 0 or self._tail_cr) > 1

    def feed(self, chunk: bytes) -> None:
        if not chunk or (self._lf > 0) + (self._crlf > 0) + (self._cr > 0) > 1:
            return
        start, end = 0, len(chunk) - chunk.endswith(b"\r")
        if self._tail_cr:
            start = int(chunk[:1] == b"\n")
            self._crlf, self._cr = self._crlf + start, self._cr + (not start)
        self._tail_cr = end < len(chunk)
        if chunk.find(b"\r", start, end) < 0:
            self._lf += chunk.find(b"\n", start, end) >= 0
            return
        n = end - start
        if n < _SMALL:  # a small file (or a file's last chunk): not worth importing numpy for
            piece = chunk[start:end]
            crlf = piece.count(b"\r\n")
            self._lf += piece.count(b"\n") - crlf
            self._cr += piece.count(b"\r") - crlf
            self._crlf += crlf
            return
        import numpy  # only large files with a \r pay for it

        if self._masks is None or len(self._masks[0]) < n:  # reused: fresh 1 MiB arrays each chunk cost 5x more
            self._masks = tuple(numpy.empty(n, bool) for _ in range(3))
        data = numpy.frombuffer(chunk, numpy.uint8, n, start)
        cr, lf, pair = (mask[:n] for mask in self._masks)
        numpy.equal(data, 13, out=cr)
        numpy.equal(data, 10, out=lf)
        crlf = int(numpy.count_nonzero(numpy.logical_and(cr[:-1], lf[1:], out=pair[:-1])))
        self._lf += int(numpy.count_nonzero(lf)) - crlf
        self._cr += int(numpy.count_nonzero(cr)) - crlf
        self._crlf += crlf


def normalize(path: Path, out: Path, encoding: str, quote: str, escape: str, delimiter: str) -> Path:
    """Copy ``path`` (in ``encoding``, one where breaks are single bytes) to ``out`` with every line
    break outside a quoted value written ``\\n``.

    Quoting follows DuckDB's reader: a quote opens a value only where the value starts (after a
    delimiter or a break; elsewhere it is text), and closes it at the next quote, unless that is
    doubled (``""``, when ``escape`` is the quote) or follows ``escape``.
    """
    q, e, d = (c.encode(encodings.canonical(encoding) or encoding) for c in (quote, escape, delimiter))
    token = re.compile(b"|".join(re.escape(t) for t in dict.fromkeys((q, e, b"\r\n", b"\r"))))
    starts = (d[-1:], b"\n", b"\r")  # the byte before a quote that opens a value
    inside, before, rest = False, b"\n", b""
    with path.open("rb") as src, out.open("wb") as sink:
        if src.read(3) == codecs.BOM_UTF8 and (encodings.canonical(encoding) or "").startswith("utf-8"):
            sink.write(codecs.BOM_UTF8)  # the file's own mark: a quote after it opens a value
        else:
            src.seek(0)
        while True:
            chunk = src.read(_CHUNK)
            data = rest + chunk
            cut = data.rfind(b"\n") + 1 if chunk else len(data)  # whole lines: no token is split
            piece, rest = data[:cut], data[cut:]
            parts, last, closed, skip = [], 0, -1, -1
            for m in token.finditer(piece):
                t, at = m.group(), m.start()
                if at == skip:
                    continue  # the character after an escape: the value's own
                if t in (b"\r\n", b"\r"):
                    if not inside:
                        parts += (piece[last:at], b"\n")
                        last = m.end()
                elif inside:
                    if t == q:
                        inside, closed = False, m.end()
                    else:
                        skip = m.end()
                elif t == q:
                    prev = piece[at - 1:at] if at else before
                    inside = prev in starts or (e == q and at == closed)  # "" inside a value: one quote
            parts.append(piece[last:])
            sink.write(b"".join(parts))
            before = piece[-1:] or before
            if not chunk:
                break
    return out


def line_at(path: Path, encoding: str, offset: int) -> int:
    """The 1-based line where the record DuckDB reports at ``offset`` (its ``line_byte_position``) starts.

    ``offset`` counts bytes of the text DuckDB decoded the file to (UTF-8, a leading byte-order
    mark included). DuckDB 2.0 reports one byte past the record's first: counting from one byte
    earlier and skipping line breaks there (blank lines, which DuckDB skips before a record)
    finds the record's first line whether the offset is its first byte or the next.
    """
    name = encodings.canonical(encoding) or encoding
    offset = max(offset - 1, 0)
    lines, seen, tail_cr = 1, 0, False
    with path.open("rb") as fh:
        decode = _reencoder(name, fh.read(4))
        fh.seek(0)
        while chunk := fh.read(_CHUNK):
            text = decode(chunk)
            split = tail_cr and text[:1] == b"\n"  # a \r\n split between two chunks, counted once
            if seen + len(text) > offset:
                cut = offset - seen
                while cut < len(text) and text[cut] in b"\r\n":
                    cut += 1
                return lines + _breaks(text[:cut]) - split
            lines += _breaks(text) - split
            tail_cr = text.endswith(b"\r")
            seen += len(text)
    return lines


def _breaks(data: bytes) -> int:
    return data.count(b"\n") + data.count(b"\r") - data.count(b"\r\n")


def _reencoder(name: str, head: bytes):
    """Chunks of the file to the UTF-8 bytes DuckDB counts (UTF-8 as it is; others decoded)."""
    if name in ("utf-8", "utf-8-sig"):
        return lambda chunk: chunk
    if name == "utf-16":  # decoded keeping the byte-order mark as a character, as DuckDB counts it
        name = "utf-16-be" if head.startswith(codecs.BOM_UTF16_BE) else "utf-16-le"
    decoder = codecs.getincrementaldecoder(name)(errors="replace")
    return lambda chunk: decoder.decode(chunk).encode("utf-8", errors="surrogatepass")
