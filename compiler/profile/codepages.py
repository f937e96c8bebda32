"""Which single-byte code page a file that is not UTF-8 is in, from its bytes from 0x80.

In:  how often each byte from 0x80 occurs, how often it sits next to an ASCII letter, and the
     first byte that is not UTF-8 (``detect.detect_encoding`` counts them in one pass).
Out: the code page, and the evidence lines that say which bytes decided it.

Candidates: latin-1, cp1252 (Western Europe), cp1250, iso8859-2 (Central Europe), cp1251
(Cyrillic). Each reading of the bytes is scored by the language whose letters it finds most
often: a byte that reads as a letter of that language counts for it, a control character or
an undefined byte counts three times against (no text holds them); on a tie, the reading with
more letters of any of these languages wins (``Gülşen``: ş in cp1250, the ordinal º in cp1252). A Cyrillic letter counts
only where it does not touch an ASCII letter: Cyrillic words are not spelt with Latin
letters inside, while a French ``è`` read as ``и`` always is (``Jaurиs``). So a French file
with ``œ`` (0x9c) and ``è`` (0xe8) is cp1252 (cp1250 reads ``ś`` and ``č``: letters of two
other languages, never of one), and a Polish one with ``ł`` (0xb3) is cp1250 (cp1252 reads ``³``).

Two readings that give the same text for every byte present cannot be told apart, nor need
they be; two that give different text with the same score cannot be told apart by the bytes.
Either way the first in ``CODE_PAGES`` is taken, and the evidence says so: latin-1 before
cp1252 (DuckDB reads latin-1 without transcoding; the two differ only at 0x80-0x9F), cp1250
before iso8859-2 (Windows exports), Western before Central European before Cyrillic.
"""

from __future__ import annotations

CODE_PAGES = ("latin-1", "cp1252", "cp1250", "iso8859-2", "cp1251")
_SHOWN = 4

#: Letters from U+0080 of each language (lower case; upper case is added below). A reading
#: counts the letters of its best language.
_LETTERS = {
    "French": "àâæçéèêëîïôœùûüÿ",
    "German": "äöüß",
    "Dutch": "éëïóöüèáíú",
    "Spanish": "áéíñóúü",
    "Portuguese": "àáâãçéêíóôõú",
    "Italian": "àèéìíîòóùú",
    "Nordic": "åäöæøéüáðþíóúý",
    "Polish": "ąćęłńóśźż",
    "Czech": "áčďéěíňóřšťúůýž",
    "Slovak": "áäčďéíĺľňóôŕšťúýž",
    "Hungarian": "áéíóöőúüű",
    "Croatian and Slovene": "čćđšž",
    "Romanian": "ăâîșțşţ",
    "Russian": "абвгдеёжзийклмнопрстуфхцчшщъыьэюя",
    "Ukrainian": "абвгґдеєжзиіїйклмнопрстуфхцчшщьюя",
    "Bulgarian": "абвгдежзийклмнопрстуфхцчшщъьюя",
    "Serbian": "абвгдђежзијклљмнњопрстћуфхцчџш",
}
ALPHABETS: dict[str, frozenset[str]] = {lang: frozenset(s + s.upper()) for lang, s in _LETTERS.items()}
_ANY = frozenset().union(*ALPHABETS.values())
_CYRILLIC = frozenset(lang for lang, s in _LETTERS.items() if "а" in s)


def char(codepage: str, byte: int) -> str:
    """The character ``byte`` is in ``codepage``, or 'undefined'."""
    try:
        return bytes([byte]).decode(codepage)
    except UnicodeDecodeError:
        return "undefined"


def _bad(c: str) -> bool:
    return c == "undefined" or not c.isprintable()


def score(codepage: str, high: dict[int, int], beside_latin: dict[int, int]) -> tuple[int, int, str]:
    """(score, letters, language): the letters of the reading's best language, less three per
    control byte; then the letters of any language (``Gülşen``: ş in cp1250, º in cp1252)."""
    controls = sum(n for b, n in high.items() if _bad(char(codepage, b)))
    any_letter = sum(n for b, n in high.items() if char(codepage, b) in _ANY)
    best, language = 0, ""
    for lang, letters in ALPHABETS.items():
        found = sum(n - (beside_latin.get(b, 0) if lang in _CYRILLIC else 0)
                    for b, n in high.items() if char(codepage, b) in letters)
        if found > best:
            best, language = found, lang
    return best - 3 * controls, any_letter, language


def choose(high: dict[int, int], beside_latin: dict[int, int], bad: tuple[int, int, bytes]
           ) -> tuple[str, tuple[str, ...]]:
    """The code page of a file that is not UTF-8, and the evidence: the bytes that decided it."""
    scored = {cp: score(cp, high, beside_latin) for cp in CODE_PAGES}
    best = max(CODE_PAGES, key=lambda cp: (*scored[cp][:2], -CODE_PAGES.index(cp)))
    text = {cp: "".join(char(cp, b) for b in sorted(high)) for cp in CODE_PAGES}
    same = [cp for cp in CODE_PAGES if cp != best and text[cp] == text[best]]
    others = [cp for cp in CODE_PAGES if text[cp] != text[best]]
    line, _, byte = bad
    why = [f"not utf-8: byte 0x{byte.hex() or '??'} on line {line} starts no valid UTF-8 sequence"]
    points, _, language = scored[best]
    if not others:
        why.append(f"encoding {best}: every candidate ({', '.join(CODE_PAGES)}) reads these bytes alike")
        return best, tuple(why)
    letters = ALPHABETS.get(language, frozenset())
    of = f" ({language})" if language else ""
    for other in sorted(others, key=lambda cp: (-scored[cp][0], -scored[cp][1], CODE_PAGES.index(cp))):
        deciding = sorted(((n, b) for b, n in high.items() if char(best, b) != char(other, b)
                           and (char(best, b) in letters or _bad(char(other, b)))), reverse=True)
        if deciding:
            shown = ", ".join(f"0x{b:02x} {char(best, b)!r} (in {other} {char(other, b)!r}) x{n:,}"
                              for n, b in deciding[:_SHOWN])
            why.append(f"encoding {best}: these bytes are letters in {best}{of}, not in {other}: {shown}")
        else:
            why.append(f"encoding {best}{of}: the bytes where {best} and {other} differ are letters in neither")
        if scored[other][:2] == scored[best][:2]:
            why.append(f"undecidable: {best} and {other} read as many letters ({points:,}); "
                       f"{best} comes first in {', '.join(CODE_PAGES)}")
    if same:
        why.append(f"{', '.join(same)} read{'s' if len(same) == 1 else ''} these bytes as {best} does; "
                   f"{best} comes first in {', '.join(CODE_PAGES)}")
    return best, tuple(why)
