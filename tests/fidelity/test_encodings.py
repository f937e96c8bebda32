"""Encodings: real texts in every code page that holds them and in UTF-8, read the way ferry reads them.

Corpus: 50 texts (people, companies and addresses, upper and lower case, sentences, pangrams) in
10 languages (PL, CZ, SK, HU, DE, FR, ES, UA, RU, BG), 251 distinct words. Each language's texts
that a code page holds are written as a CSV in it, for 13 single-byte code pages (cp1250,
iso8859-2, cp852, mac-latin2, cp1257, cp1251, koi8-u, iso8859-5, cp866, latin-1, cp1252,
iso8859-15, cp850: 51 files with accented text), and all of them in UTF-8, UTF-8 with a
byte-order mark and UTF-16 (30 files). Each file is read as ``ferry validate`` reads it
(``read_header``) and as ``ferry run`` does (``prepare_input``, then the compiled ``read_csv``).
The reference is the text itself.

- Declared right (81 files): every value loads exactly as the text was, byte for byte.
- A UTF-8 file declared in any of the 13 code pages (130 pairs): F311 at validate and F607 at
  run, never a value. A code-page file declared UTF-8 (51): F306 at validate, refused by the
  run's read.
- The rule's false positives, measured on this corpus (``encodings.Evidence.utf8`` on each piece
  alone): no whole file; 1 of 30 accented lines and 2 of 88 accented words in cp1250 (GÓŁKA,
  SPÓŁDZIELNIA: upper-case Ó then Ł is d3 a3, valid UTF-8), 1 of 74 words in iso8859-2, 1 of 81
  in mac-latin2 (Jiří), none in the 10 others. A file trips it only if every one of its accented
  letters sits in such a pair: ``encoding_check: warn`` is for that, and the hint says so.
- One code page declared as another. Of the 612 such pairs here, 47 fail to decode (an undefined
  byte), 37 give the same text and 528 give other text without an error. Where that text holds a
  character no text holds (a C1 control, a box-drawing one inside a word: ``encodings.implausible``)
  the file is refused (F326 / F612): 226 of the 528, asserted pair by pair against the rule stated
  on the text. The others are not decidable from the bytes (cp1250 as cp1251 gives Cyrillic letters).
"""

from __future__ import annotations

import codecs
import csv
import io
from pathlib import Path

import duckdb
import pytest
from hypothesis import example, given, settings, strategies as st

from compiler import encodings
from compiler.errors import FerryError, Span
from compiler.model import CsvOptions, Source
from compiler.sources import bind, prepare_input, read_header
from compiler.sqlgen.stage import read_source

CORPUS: dict[str, tuple[str, ...]] = {
    "pl": ("Zażółć gęślą jaźń", "Paweł Żółtek", "Łódzka Fabryka Mebli sp. z o.o., ul. Piotrkowska 104, 90-926 Łódź",
           "Grzegorz Brzęczyszczykiewicz, Chrząszczyżewoszyce, powiat Łękołody", "GÓŁKA", "ŻÓŁĆ",
           "WRÓBLEWSKA-ŚLIWIŃSKA", "Przedsiębiorstwo Handlowo-Usługowe „Dąbrówka” s.c.",
           "Spotkanie przełożone na środę, 14:30 — proszę potwierdzić.", "Małgorzata Wiśniewska-Kołodziej",
           "SPÓŁDZIELNIA MIESZKANIOWA „ŚRÓDMIEŚCIE”", "Gdańsk, ul. Długa 45/3"),
    "cz": ("Příliš žluťoučký kůň úpěl ďábelské ódy", "Jiří Šťastný, Náměstí Míru 15, 120 00 Praha 2",
           "ŘEDITELSTVÍ SILNIC A DÁLNIC ČR", "Vážená paní Dvořáková, děkujeme za objednávku č. 2024/117.",
           "ČEZ, a. s., Duhová 2/1444"),
    "sk": ("Kŕdeľ ďatľov učí koňa žrať kôru", "Ľubomír Ďurovič, Štúrova 8, Bratislava"),
    "hu": ("Árvíztűrő tükörfúrógép", "Kovács Gyöngyvér, Győr, Szent István tér 1."),
    "de": ("Jürgen Groß, Müllerstraße 5, 80331 München", "Falsches Üben von Xylophonmusik quält jeden größeren Zwerg",
           "ÄRZTEKAMMER NORDRHEIN, Düsseldorf", "Bürgschaft über 1.234,56 € fällig", "Özdemir Gülşen, Köln",
           "GRÜNE ÖKOSTROM GMBH", "Schöne Grüße aus Österreich"),
    "fr": ("Voix ambiguë d'un cœur qui, au zéphyr, préfère les jattes de kiwis",
           "Société Générale, 29 boulevard Haussmann, 75009 Paris", "François Lefèvre, Île-de-France",
           "ÇA NE VA PAS À L'ÉCOLE", "Crème brûlée à 12,50 €", "Hélène Bérégovoy, Aix-en-Provence", "CRÉDIT AGRICOLE SA"),
    "es": ("El pingüino Wenceslao hizo kilómetros bajo exhaustiva lluvia y frío, añoraba a su querido cachorro.",
           "Muñoz Ibáñez, A Coruña", "AÑO NUEVO, ¿SÍ?"),
    "ua": ("Чуєш їх, доцю, га? Кумедна ж ти, прощайся без ґольфів!", "Київ, вул. Хрещатик, 22", "Олена Коваленко",
           "ТОВАРИСТВО З ОБМЕЖЕНОЮ ВІДПОВІДАЛЬНІСТЮ «ЇЖАК»", "Він їде до Львова в неділю", "ІВАНО-ФРАНКІВСЬК",
           "Ґалаґан Євген Іванович"),
    "ru": ("Съешь же ещё этих мягких французских булок, да выпей же чаю", "ООО «Ромашка», г. Москва", "ЁЖИК В ТУМАНЕ"),
    "bg": ("Жълтата дюля беше щастлива, че пухът, който цъфна, замръзна като гьон", "София, бул. „Витоша“ 1"),
}
CODE_PAGES = ("cp1250", "iso8859-2", "cp852", "mac-latin2", "cp1257", "cp1251", "koi8-u", "iso8859-5", "cp866",
              "latin-1", "cp1252", "iso8859-15", "cp850")
UNICODE = ("utf-8", "utf-8-sig", "utf-16")


def held(language: str, encoding: str) -> tuple[str, ...]:
    """The language's texts the encoding can hold."""
    out = []
    for text in CORPUS[language]:
        try:
            text.encode(encoding)
        except UnicodeEncodeError:
            continue
        out.append(text)
    return tuple(out)


def csv_bytes(texts: tuple[str, ...], encoding: str) -> bytes:
    buffer = io.StringIO(newline="")
    writer = csv.writer(buffer, delimiter=";", lineterminator="\n")
    writer.writerow(("id", "text"))
    writer.writerows((i, text) for i, text in enumerate(texts, start=1))
    return buffer.getvalue().encode(encoding)


def source(encoding: str) -> Source:
    span = Span("spec.yaml", 1, 1)
    return Source("texts", "texts.csv", "csv", "id", CsvOptions(delimiter=";", encoding=encoding), span, span, span)


def load(tmp_path: Path, data: bytes, encoding: str) -> list[str]:
    """The values ferry loads: validate's header, run's preparation, then the compiled read_csv."""
    (tmp_path / "texts.csv").write_bytes(data)
    src = source(encoding)
    columns = read_header(src, tmp_path).names
    prepared = prepare_input(src, tmp_path, tmp_path)
    con = duckdb.connect()
    try:
        bind(con, src, prepared)
        query = f"SELECT \"text\" FROM {read_source(src, columns).sql(dialect='duckdb')} ORDER BY \"id\"::INT"
        return [text for (text,) in con.execute(query).fetchall()]
    finally:
        con.close()


RIGHT = [(lang, enc) for enc in CODE_PAGES for lang in CORPUS
         if any(not t.isascii() for t in held(lang, enc))] + [(lang, enc) for enc in UNICODE for lang in CORPUS]


@pytest.mark.parametrize("language,encoding", RIGHT, ids=[f"{lang}-{enc}" for lang, enc in RIGHT])
def test_declared_right_loads_byte_exact(tmp_path, language, encoding):
    texts = held(language, encoding)
    assert load(tmp_path, csv_bytes(texts, encoding), encoding) == list(texts)


WRONG = [(lang, enc) for enc in CODE_PAGES for lang in CORPUS]


@pytest.mark.parametrize("language,encoding", WRONG, ids=[f"{lang}-utf8-as-{enc}" for lang, enc in WRONG])
def test_utf8_declared_as_a_code_page_is_an_error_at_validate_and_at_run(tmp_path, language, encoding):
    (tmp_path / "texts.csv").write_bytes(csv_bytes(CORPUS[language], "utf-8"))
    src = source(encoding)
    with pytest.raises(FerryError) as validate:
        read_header(src, tmp_path)
    assert validate.value.diagnostics[0].code == "F311"
    with pytest.raises(FerryError) as run:
        prepare_input(src, tmp_path, tmp_path)
    problem = run.value.diagnostics[0]
    assert problem.code == "F607" and "texts.csv:2:" in problem.message and "utf-8" in problem.hint


CODE_PAGE_FILES = [(lang, enc) for lang, enc in RIGHT if enc in CODE_PAGES]


@pytest.mark.parametrize("language,encoding", CODE_PAGE_FILES,
                         ids=[f"{lang}-{enc}-as-utf8" for lang, enc in CODE_PAGE_FILES])
def test_a_code_page_declared_utf8_is_an_error_at_validate_and_at_run(tmp_path, language, encoding):
    data = csv_bytes(held(language, encoding), encoding)
    (tmp_path / "texts.csv").write_bytes(data)
    with pytest.raises(FerryError) as validate:
        read_header(source("utf-8"), tmp_path)
    assert validate.value.diagnostics[0].code == "F306"
    with pytest.raises(duckdb.InvalidInputException, match="not utf-8 encoded"):
        _run_read(tmp_path, "utf-8")


def _run_read(tmp_path: Path, encoding: str) -> list[tuple]:
    """The run's path alone (its header is not read first: validate has already refused it)."""
    src = source(encoding)
    prepared = prepare_input(src, tmp_path, tmp_path)
    con = duckdb.connect()
    try:
        bind(con, src, prepared)
        return con.execute(f"SELECT * FROM {read_source(src, ('id', 'text')).sql(dialect='duckdb')}").fetchall()
    finally:
        con.close()


# The streaming scan against its definition, on files cut into chunks anywhere.
WORDS = sorted({word for texts in CORPUS.values() for text in texts for word in text.split()})


def reference_utf8(data: bytes) -> bool:
    """encodings' rule, stated on the whole file at once."""
    if data.isascii():
        return False
    if codecs.BOM_UTF8 in data:
        return True
    try:
        data.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


def scanned(data: bytes, encoding: str, cuts: list[int]) -> encodings.Evidence:
    scan = encodings.Scan(encoding, data[:4])
    start = 0
    for cut in sorted(set(cuts)) + [len(data)]:
        scan.feed(data[start:cut])
        start = cut
    return scan.result()


@settings(max_examples=300, deadline=None)
@given(st.lists(st.sampled_from(WORDS), min_size=1, max_size=12), st.sampled_from(CODE_PAGES + ("utf-8",)),
       st.sampled_from(CODE_PAGES), st.lists(st.integers(0, 200), max_size=6), st.booleans())
@example(["SPÓŁKA", "Akcyjna"], "cp1250", "cp1250", [3], False)  # a true positive of the rule, by chance
@example(["Paweł", "Żółtek"], "utf-8", "cp1250", [5, 6], False)  # the file, a sequence cut in two
@example(["Łódź"], "cp1250", "cp1250", [2, 3], True)  # a UTF-8 mark fed a byte at a time: part of it is UTF-8
def test_the_streaming_scan_agrees_with_the_rule(words, written_in, declared, cuts, bom):
    text = " ".join(words)
    data = (codecs.BOM_UTF8 if bom else b"") + text.encode(written_in, errors="replace")
    evidence = scanned(data, declared, cuts)
    assert evidence.utf8 == reference_utf8(data)
    if evidence.utf8:
        assert data[evidence.utf8_at] >= 0x80


@settings(max_examples=200, deadline=None)
@given(st.lists(st.sampled_from(WORDS + ["\ufeff", "\n"]), min_size=1, max_size=20), st.sampled_from(("utf-8", "utf-16")),
       st.lists(st.integers(0, 300), max_size=6))
@example(["a", "\ufeff", "b"], "utf-8", [1, 2, 3])  # a mark fed one byte at a time
def test_the_scan_finds_every_byte_order_mark_after_the_start(parts, encoding, cuts):
    text = "".join(parts)
    data = text.encode(encoding)  # utf-16: Python writes its own mark first, so every U+FEFF of the text is after it
    pattern, align = encodings.mark_pattern(encoding, data[:2])
    expected = [i for i in range(1, len(data)) if data.startswith(pattern, i) and i % align == 0]
    evidence = scanned(data, encoding, cuts)
    assert evidence.mark_count == len(expected) == text.count("\ufeff") - (encoding == "utf-8" and text[:1] == "\ufeff")
    assert list(evidence.marks) == expected[:len(evidence.marks)] and len(evidence.marks) == min(len(expected), 20)


# One code page declared as another: what the bytes can say (encodings.implausible), against its definition.
def reference_garbled(text: str) -> bool:
    """The rule stated on the decoded text: a C1 control character, or a box-drawing one between two letters."""
    return any("\x80" <= c <= "\x9f" or ("\u2500" <= c <= "\u259f" and 0 < i < len(text) - 1
                                         and text[i - 1].isalpha() and text[i + 1].isalpha())
               for i, c in enumerate(text))


MISDECLARED = [(lang, written, declared) for lang, written in CODE_PAGE_FILES for declared in CODE_PAGES
               if declared != written]


def test_a_code_page_declared_as_another_is_refused_exactly_when_the_text_says_so(tmp_path):
    """Of the 612 pairs, 528 decode to other text without an error; the rule refuses 226 of them (the rest
    read as plausible text: cp1250 as cp1251 gives Cyrillic letters, which real data mixes in too), and
    every file declared right passes (test_declared_right_loads_byte_exact reads them all)."""
    refused, silent = [], 0
    for lang, written, declared in MISDECLARED:
        data = csv_bytes(held(lang, written), written)
        try:
            text = data.decode(declared)
        except UnicodeDecodeError:
            continue  # F306 at validate
        if text == data.decode(written):
            continue  # the same text: nothing to refuse
        silent += 1
        found = scanned(data, declared, [len(data) // 3, len(data) // 2]).garbled_at
        assert (found is not None) == reference_garbled(text), (lang, written, declared)
        if found is not None:
            refused.append((lang, written, declared))
    assert silent == 528 and len(refused) == 226
    # the exports this is for: Polish and Czech cp1250 read as iso8859-2, latin-1 or cp852
    assert {(lang, "cp1250", d) for lang in ("pl", "cz") for d in ("iso8859-2", "latin-1", "cp852")} <= set(refused)


@pytest.mark.parametrize("declared,code", [("iso8859-2", "F612"), ("cp852", "F612")])
def test_a_misdeclared_code_page_beyond_validates_head_fails_the_run(tmp_path, declared, code):
    """validate reads the head; the run scans the whole file while hashing it and refuses before any value."""
    plain = "".join(f"{i};Jan Kowalski;Warszawa\n" for i in range(1, 20_000))  # ASCII: > 256 KiB
    data = ("id;text;city\n" + plain + "20000;Śląskie Zakłady;Łódź\n").encode("cp1250")
    (tmp_path / "texts.csv").write_bytes(data)
    src = source(declared)
    read_header(src, tmp_path)  # the head alone is plain ASCII
    with pytest.raises(FerryError) as run:
        prepare_input(src, tmp_path, tmp_path)
    problem = run.value.diagnostics[0]
    assert problem.code == code and "texts.csv:20001:" in problem.message and "cp1250" in problem.hint
