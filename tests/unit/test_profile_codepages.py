"""`ferry profile`'s code page choice (``profile.codepages``) on the encodings corpus: every text
of every language, written in each candidate code page that holds it, must be read back as the
same text (a choice that reads the same characters, latin-1 for cp1252 without 0x80-0x9F, is right)."""

from __future__ import annotations

import pytest

from compiler.profile import codepages, detect
from tests.fidelity.test_encodings import CORPUS, csv_bytes, held

CASES = [(lang, enc) for enc in codepages.CODE_PAGES for lang in CORPUS
         if any(not t.isascii() for t in held(lang, enc))]


@pytest.mark.parametrize("language,encoding", CASES, ids=[f"{lang}-{enc}" for lang, enc in CASES])
def test_each_language_reads_back_as_written(tmp_path, language, encoding):
    data = csv_bytes(held(language, encoding), encoding)
    (tmp_path / "texts.csv").write_bytes(data)
    found, evidence = detect.detect_encoding(tmp_path / "texts.csv")
    assert found in codepages.CODE_PAGES, evidence
    assert data.decode(found) == data.decode(encoding), evidence


def test_the_cases_cover_every_candidate():
    assert {enc for _, enc in CASES} == set(codepages.CODE_PAGES)


def test_a_tie_between_two_readings_is_said_and_goes_by_the_documented_order():
    # 0xe8 alone: French è in latin-1, Czech č in cp1250; as many letters either way
    found, evidence = codepages.choose({0xe8: 3}, {0xe8: 3}, (1, 0, b"\xe8"))
    assert found == "latin-1"
    assert any(e.startswith("undecidable: latin-1 and cp1250") for e in evidence), evidence


def test_cyrillic_letters_inside_latin_words_do_not_count():
    # é (0xe9) between ASCII letters, as in 'Société': cp1251 would read 'Sociйtй'
    beside = {0xe9: 10}
    assert codepages.score("cp1251", {0xe9: 10}, beside)[0] == 0
    assert codepages.score("cp1251", {0xe9: 10}, {})[0] == 10
