"""Text encodings: which DuckDB reads itself, which ferry transcodes, and what the bytes say.

In:  encoding names from the spec; chunks of a file's bytes (``Scan``).
Out: codec names, and ``Evidence``: whether a file declared in a single-byte
code page is really UTF-8, and where byte-order marks sit after its start.

DuckDB's ``read_csv`` decodes only UTF-8, UTF-16 and Latin-1 without the
``encodings`` extension (which cannot be assumed to be installable). Every
other code page, cp1250 above all, is transcoded to UTF-8 in a streaming step
before DuckDB reads it. Both the compiler (which writes the ``encoding``
option into the SQL) and the runner (which transcodes) ask this module, so
they cannot disagree.

A single-byte code page (cp1250, latin-1, cp1251, koi8-u...) decodes any bytes,
so a UTF-8 file declared in one loads as mojibake (``PaweĹ‚``) without an
error. The rule that tells them apart (``Evidence.utf8``): the file has at
least one byte >= 0x80 and every such byte belongs to a well-formed UTF-8
multi-byte sequence, or it holds a UTF-8 byte-order mark (EF BB BF) anywhere.
Real text in a code page almost never passes: every accented letter must then
be followed by exactly the right number of bytes from 0x80-0xBF, which are
symbols or capitals in these code pages. The exception is upper-case pairs
such as cp1250 ``ÓŁ`` (d3 a3, SPÓŁKA); tests/fidelity/test_encodings.py
measures the rate per code page, and the error's hint names the case when the
UTF-8 reading holds nothing the declared code page could (``Evidence.fits``).

One code page declared as another decodes without error too (a cp1250 export
declared iso-8859-2, cp852 or latin-1). Where the declared code page maps a
byte to a character no text holds, the bytes say so (``Evidence.garbled_at``):
a C1 control character (U+0080-U+009F: cp1250's ś, ź, š, ž read as iso-8859-2
or latin-1), or a box-drawing or block character with a letter on each side
(cp1250's ł, ą, ż, ß read as cp852: ``Us│ugowe``). Letters of another alphabet
are not such a sign (Ukrainian text with a Latin ``i`` for ``і`` is real data),
so cp1250 declared cp1251 is still not told from the bytes.
"""

from __future__ import annotations

import codecs
import re
from dataclasses import dataclass
from functools import lru_cache

_NATIVE = {"utf-8": "utf-8", "utf-16": "utf-16", "iso8859-1": "latin-1"}

#: U+FEFF in UTF-8; in a single-byte code page these bytes are mojibake (``ď»ż``, ``ï»¿``).
UTF8_BOM = codecs.BOM_UTF8
_NON_ASCII = re.compile(rb"[\x80-\xff]")
_KEEP = 20  # offsets of byte-order marks kept for messages; all are counted


def canonical(encoding: str) -> str | None:
    """Python's canonical codec name, or None when the encoding is unknown.

    >>> canonical("windows-1250"), canonical("UTF8"), canonical("klingon"), canonical("utf\\x00-8")
    ('cp1250', 'utf-8', None, None)
    """
    try:
        codec = codecs.lookup(encoding)
    except (LookupError, ValueError):  # ValueError: a NUL in the name
        return None
    return codec.name if getattr(codec, "_is_text_encoding", True) else None  # not hex, rot13, zlib...


def duckdb_reads(encoding: str) -> str:
    """The encoding name DuckDB is told: the file's own, or utf-8 once transcoded.

    >>> duckdb_reads("latin-1"), duckdb_reads("cp1250"), duckdb_reads("utf-8-sig")
    ('latin-1', 'utf-8', 'utf-8')
    """
    name = canonical(encoding) or encoding
    return _NATIVE.get(name, "utf-8")


def needs_transcoding(encoding: str) -> bool:
    name = canonical(encoding) or encoding
    return name not in _NATIVE and name != "utf-8-sig"


@lru_cache(maxsize=None)
def single_byte(encoding: str) -> bool:
    """True for code pages with one character per byte, the ones a UTF-8 file decodes in without error.

    Decided by the codec's behaviour, not a list: every byte on its own decodes to one
    character or is undefined, never the start of a longer sequence.

    >>> single_byte("cp1250"), single_byte("latin-1"), single_byte("koi8-u"), single_byte("utf-8"), single_byte("gbk")
    (True, True, True, False, False)
    """
    name = canonical(encoding)
    if name is None:
        return False
    for byte in range(256):
        try:
            text = codecs.getincrementaldecoder(name)().decode(bytes([byte]))
        except UnicodeDecodeError:
            continue  # undefined in this code page (0x81 in cp1250)
        if len(text) != 1:
            return False
    return True


def mark_pattern(encoding: str, head: bytes) -> tuple[bytes, int] | None:
    """The bytes of U+FEFF in a file DuckDB decodes itself, and their alignment; None where
    ferry decodes the file (and sees U+FEFF as a character) or the code page has no such mark.

    >>> mark_pattern("utf-8", b"id"), mark_pattern("utf-16", b"\\xfe\\xff"), mark_pattern("cp1250", b"")
    ((b'\\xef\\xbb\\xbf', 1), (b'\\xfe\\xff', 2), None)
    """
    name = canonical(encoding) or encoding
    if name in ("utf-8", "utf-8-sig"):
        return UTF8_BOM, 1
    if name == "utf-16":
        return (codecs.BOM_UTF16_BE if head.startswith(codecs.BOM_UTF16_BE) else codecs.BOM_UTF16_LE), 2
    return None


@dataclass(frozen=True, slots=True)
class Implausible:
    """The bytes of a single-byte code page that no text in it holds (see the module's docstring)."""

    controls: re.Pattern[bytes] | None  # bytes decoding to C1 control characters
    boxes: re.Pattern[bytes] | None  # bytes decoding to box-drawing or block characters
    letters: frozenset[int]  # bytes decoding to letters (ASCII ones included)

    def first(self, chunk: bytes) -> int | None:
        """Offset of the first implausible byte in ``chunk``; a box at either end is not judged (no neighbour)."""
        control = self.controls.search(chunk) if self.controls is not None else None
        found = [control.start()] if control else []
        if self.boxes is not None:
            for m in self.boxes.finditer(chunk, 1, len(chunk) - 1):  # box characters are rare: check each
                at = m.start()
                if found and at > found[0]:
                    break
                if chunk[at - 1] in self.letters and chunk[at + 1] in self.letters:
                    found.append(at)
                    break
        return min(found) if found else None


def _char(encoding: str, byte: int) -> str | None:
    try:
        return codecs.decode(bytes([byte]), encoding)
    except UnicodeDecodeError:
        return None


def _class(chosen: list[int]) -> re.Pattern[bytes] | None:
    return re.compile(b"[" + b"".join(re.escape(bytes([b])) for b in chosen) + b"]") if chosen else None


@lru_cache(maxsize=None)
def implausible(encoding: str) -> Implausible | None:
    """What no text in this single-byte code page holds, or None when every byte can be real text (cp1250).

    >>> implausible("cp1250") is None, implausible("iso8859-2").first(b"P\xf3\x9f"), implausible("cp852").first(b"U\xb3u")
    (True, 2, 1)
    """
    name = canonical(encoding)
    if name is None or not single_byte(name):
        return None
    chars = {b: _char(name, b) for b in range(256)}
    controls = [b for b, c in chars.items() if b >= 0x80 and c is not None and "\x80" <= c <= "\x9f"]
    boxes = [b for b, c in chars.items() if c is not None and "\u2500" <= c <= "\u259f"]
    if not controls and not boxes:
        return None
    letters = frozenset(b for b, c in chars.items() if c is not None and c.isalpha())
    return Implausible(_class(controls), _class(boxes), letters)


@dataclass(frozen=True, slots=True)
class Evidence:
    """What one pass over a file's bytes found (see ``Scan``)."""

    non_ascii_at: int | None  # offset of the first byte >= 0x80
    utf8: bool  # single-byte code page declared, and the bytes are UTF-8 (the module's rule)
    utf8_at: int | None  # where it shows: the first multi-byte sequence or UTF-8 byte-order mark
    fits: bool  # read as UTF-8, some non-ASCII character is one the declared code page has (see ``Scan``)
    marks: tuple[int, ...]  # offsets of byte-order marks after the start (the first few)
    mark_count: int
    garbled_at: int | None = None  # the first byte no text in the declared code page holds (see ``implausible``)


class Scan:
    """Fed a file's chunks in order (while it is hashed anyway), collects ``Evidence``.

    Costs a ``memchr`` per chunk for the first byte of a byte-order mark, and for single-byte
    code pages an ``isascii`` per chunk until the first non-ASCII byte, then UTF-8 decoding only
    as long as the bytes stay valid UTF-8 (a real cp1250 file stops at its first accented
    letter). On 110 MiB: 1.02x the time of hashing alone for UTF-8 and cp1250 files.
    """

    def __init__(self, encoding: str, head: bytes = b"", *, marks: bool = True):
        self._single = single_byte(encoding)
        self._pattern = mark_pattern(encoding, head) if marks else None
        self._decoder = codecs.getincrementaldecoder("utf-8")()
        self._offset = 0
        self._tail = b""  # the last bytes of the previous chunk, for a mark split across two
        self._name = canonical(encoding) or encoding
        self._fits = False
        self._non_ascii: int | None = None
        self._invalid = False
        self._utf8_bom: int | None = None
        self._marks: list[int] = []
        self._count = 0
        self._implausible = implausible(encoding) if self._single else None
        self._garbled: int | None = None
        self._last = b""  # the last two bytes of the previous chunk: a box's neighbours may sit across chunks

    def feed(self, chunk: bytes) -> None:
        if self._single:
            self._feed_single(chunk)
        elif self._pattern is not None:
            self._find_marks(chunk)
        self._offset += len(chunk)

    def result(self, final: bool = True) -> Evidence:
        """What was found; ``final=False`` for the head of a file (a sequence cut at its end is not an error)."""
        if final and self._single and self._non_ascii is not None and not self._invalid:
            try:
                self._decoder.decode(b"", final=True)
            except UnicodeDecodeError:
                self._invalid = True  # cut short inside a sequence
        utf8 = self._single and self._non_ascii is not None and (not self._invalid or self._utf8_bom is not None)
        at = self._utf8_bom if self._invalid else self._non_ascii  # valid UTF-8: its first sequence
        return Evidence(self._non_ascii, utf8, at if utf8 else None, self._fits, tuple(self._marks), self._count,
                        self._garbled)

    def _feed_single(self, chunk: bytes) -> None:
        if self._non_ascii is None:
            if chunk.isascii():
                self._last = (self._last + chunk)[-2:]
                return
            self._non_ascii = self._offset + _NON_ASCII.search(chunk).start()
        if self._implausible is not None and self._garbled is None:
            at = self._implausible.first(self._last + chunk)
            self._garbled = None if at is None else self._offset - len(self._last) + at
            self._last = (self._last + chunk)[-2:]
        if self._utf8_bom is None:
            found = self._find(chunk, UTF8_BOM, 1)
            self._utf8_bom = found[0] if found else None
        if not self._invalid:
            try:
                text = self._decoder.decode(chunk)
            except UnicodeDecodeError:
                self._invalid = True
                return
            # Text a UTF-8 file declared cp1250 by mistake holds (ł, ü) fits cp1250; the rare cp1250 text
            # that is valid UTF-8 (SPÓŁKA: Ó Ł = d3 a3) reads as characters cp1250 lacks (ӣ). Only the
            # message uses this: the rule does not, so UTF-8 Polish declared koi8-u is still caught.
            self._fits = self._fits or not text.encode(self._name, errors="ignore").isascii()

    def _find_marks(self, chunk: bytes) -> None:
        pattern, align = self._pattern
        for at in self._find(chunk, pattern, align):
            if at > 0:
                self._count += 1
                if len(self._marks) < _KEEP:
                    self._marks.append(at)

    def _find(self, chunk: bytes, pattern: bytes, align: int) -> list[int]:
        """Offsets in the stream where ``pattern`` starts in this chunk (or in the last bytes before it).

        A ``memchr`` for the pattern's first byte comes first: most chunks have none, and then
        nothing else is done (no copy of the chunk, no substring search).
        """
        start = self._offset
        found = []
        if self._tail:
            edge = (self._tail + chunk[:len(pattern) - 1]).find(pattern)
            if edge >= 0:
                found.append(start - len(self._tail) + edge)
        at = chunk.find(pattern[:1])
        if at >= 0:
            at = chunk.find(pattern, at)
            while at >= 0:
                found.append(start + at)
                at = chunk.find(pattern, at + 1)
        keep = len(pattern) - 1
        self._tail = chunk[-keep:] if len(chunk) >= keep else (self._tail + chunk)[-keep:]
        return [at for at in found if at % align == 0]
