"""Fidelity of ``boolean``: a word table, language by language, is the reference.

Corpus: the 21 default words in 4 spellings each (as listed, upper, title, padded), 33 words that
must reject (other languages' words, ambiguous letters, near misses), 2 custom lists, plus
hypothesis: 200 lists of up to 10 strings built from the words' letters (about 1,200 inputs a run).
"""

from __future__ import annotations

import unicodedata

from hypothesis import given, settings, strategies as st

from compiler.sqlgen.transforms.parse import FALSE_WORDS, TRUE_WORDS
from tests.fidelity.harness import disagreements, expected, outcomes

#: language -> (words for true, words for false). Single letters are listed under every language
#: that uses them, so a letter two languages read differently would show up as a clash.
LANGUAGES = {
    "en": (["true", "yes", "t", "y", "1"], ["false", "no", "f", "n", "0"]),
    "pl": (["tak", "t"], ["nie", "n"]),
    "de": (["ja", "j"], ["nein", "n"]),
    "fr": (["oui"], ["non", "n"]),
    "uk": (["так"], ["ні"]),
    "ru": (["да"], ["нет"]),
}
#: Words the default list does not take, and why.
NOT_WORDS = [
    "o",        # oui's letter, but in typed data as often the digit 0 (false): ambiguous
    "O",
    "wahr", "falsch", "vrai", "faux", "prawda", "fałsz", "правда",  # not in the default list
    "si", "sí", "ano", "ne", "evet", "da",  # other languages, or a transliteration
    "т", "н", "д",  # Cyrillic initials are not offered
    "yes!", "tak.", "n/a", "-", "2", "1.0", "10", "00", "true false", "y n", "tak/nie",
    "nein\tnein", "0x0", "off", "on",
]


def word_table() -> dict[str, str]:
    table: dict[str, str] = {}
    for language, (true, false) in LANGUAGES.items():
        for meaning, words in (("true", true), ("false", false)):
            for word in words:
                assert table.setdefault(word, meaning) == meaning, f"{word!r} ({language}) means both"
    return table


def strip_spaces(value: str) -> str:
    """Surrounding Unicode space separators go (NBSP too), not tabs or line breaks."""
    start, end = 0, len(value)
    while start < end and unicodedata.category(value[start]) == "Zs":
        start += 1
    while end > start and unicodedata.category(value[end - 1]) == "Zs":
        end -= 1
    return value[start:end]


def reference(value: str) -> str | None:
    return word_table().get(strip_spaces(value).lower())


def check(inputs: list[str | None], **args) -> None:
    got = outcomes("boolean", inputs, **args)
    want = expected(reference if not args else custom_reference(args), inputs)
    assert got == want, "\n".join(disagreements(inputs, got, want))


def test_the_default_lists_are_the_word_table():
    table = word_table()
    assert sorted(TRUE_WORDS) == sorted(w for w, m in table.items() if m == "true")
    assert sorted(FALSE_WORDS) == sorted(w for w, m in table.items() if m == "false")


def test_default_words_in_every_spelling():
    words = sorted(word_table())
    check([w for word in words for w in (word, word.upper(), word.title(), f"  {word}\u00a0")])


def test_words_that_are_not_booleans_reject():
    check(NOT_WORDS + [None, "", "   "])
    assert all(o.rejected for o in outcomes("boolean", [w for w in NOT_WORDS if w.strip()]))


def custom_reference(args):
    true, false = {w.lower() for w in args["true"]}, {w.lower() for w in args["false"]}

    def read(value: str) -> str | None:
        word = strip_spaces(value).lower()
        return "true" if word in true else "false" if word in false else None
    return read


def test_custom_lists_replace_the_defaults():
    check(["Aktywny", "NIEAKTYWNY", "archiwum", "tak", "true", "aktywny?"],
          true=("aktywny",), false=("nieaktywny", "archiwum"))
    check(["Active", "inactive", "yes", "no"], true=("Active",), false=("Inactive",))


@given(st.lists(st.text("takniejaoufsey01TAKNIEтакнідаєт ", max_size=6), min_size=1, max_size=10))
@settings(max_examples=200, deadline=None)
def test_random_strings_agree_with_the_table(texts):
    check(texts)
