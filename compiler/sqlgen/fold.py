"""Accent folding for comparisons: ``_ferry.fold(text)``, DuckDB macros defined in the prelude.

In:  a SQL text expression (``fold``); the letter tables below are ferry's own.
Out: ``compile_macros()``: the ``CREATE MACRO`` statements; ``fold(expr)``: a call to the macro.

DuckDB's ``strip_accents`` removes combining marks after a canonical decomposition, so ``ą``,
``é``, ``ü`` and ``ő`` lose their accents, but letters that Unicode does not decompose stay as
they are: ``Łukasz`` and ``Lukasz`` would differ. The fold spells every Latin letter the way a
person typing without it would: a letter *with* a stroke, bar, hook or tail as its base letter
(``ł``->``l``, ``đ``->``d``, ``ø``->``o``, ``ħ``->``h``, ``ŧ``->``t``), ``ß``->``ss``, ``æ``->``ae``,
``œ``->``oe``, ``þ``->``th``, ``ð``->``d``, dotless ``ı``->``i``, ``ŀ``->``l``, and the compatibility
forms of Latin letters (ligatures ``ﬁ``, ``ĳ``, ``ǆ``; fullwidth ``Ａ``; sub- and superscripts) as
their letters (Unicode NFKD). Case is kept. Other Latin letters (IPA, medieval: ``ə``, ``ŋ``,
``ʒ``) and other scripts only lose their accents: Cyrillic and Greek are never transliterated.
tests/fidelity/test_similarity.py checks every Latin letter against a Python reference
(``unicodedata`` NFKD without marks, plus the explicit letters above).

Cost: ``translate`` rebuilds its character map for every row (~10 us a row for a map of
300 letters) and ``replace`` copies the text even when nothing changes, while a
regular-expression scan for a class of letters is cheap. So each tier runs only on rows
that contain one of its letters: the letters of European names (one short ``translate``
and eight ``replace``), then the rare ones (letter by letter through a map).
bench/fold.py measures it.
"""

from __future__ import annotations

import json

from sqlglot import exp

from compiler.sqlgen import names

#: One letter for one: the undecomposable letters of European names.
COMMON: dict[str, str] = {
    "ł": "l", "Ł": "L", "ø": "o", "Ø": "O", "đ": "d", "Đ": "D", "ð": "d", "Ð": "D",
    "ħ": "h", "Ħ": "H", "ı": "i", "ŧ": "t", "Ŧ": "T", "ŀ": "l", "Ŀ": "L", "ſ": "s",
}

#: Several letters for one, in European names.
COMMON_LONG: dict[str, str] = {
    "ß": "ss", "ẞ": "SS", "æ": "ae", "Æ": "AE", "œ": "oe", "Œ": "OE", "þ": "th", "Þ": "TH",
}

#: Only on rows that contain one of them, letter by letter through a map: letters with a hook,
#: bar or tail (Latin Extended-B, IPA, Latin Extended-C/D/E, phonetic), sub- and superscripts,
#: fullwidth letters, and ligatures and digraphs (spelled as NFKD spells them).
RARE: dict[str, str] = {
    "ƀ": "b", "Ɓ": "B", "Ƃ": "B", "ƃ": "b", "Ƈ": "C", "ƈ": "c", "Ɗ": "D", "Ƌ": "D", "ƌ": "d", "Ƒ": "F",
    "ƒ": "f", "Ɠ": "G", "Ɨ": "I", "Ƙ": "K", "ƙ": "k", "ƚ": "l", "Ɲ": "N", "ƞ": "n", "Ɵ": "O", "Ƥ": "P",
    "ƥ": "p", "ƫ": "t", "Ƭ": "T", "ƭ": "t", "Ʈ": "T", "Ʋ": "V", "Ƴ": "Y", "ƴ": "y", "Ƶ": "Z", "ƶ": "z",
    "Ǥ": "G", "ǥ": "g", "Ƞ": "N", "ȡ": "d", "Ȥ": "Z", "ȥ": "z", "ȴ": "l", "ȵ": "n", "ȶ": "t", "ȷ": "j",
    "Ⱥ": "A", "Ȼ": "C", "ȼ": "c", "Ƚ": "L", "Ⱦ": "T", "ȿ": "s", "ɀ": "z", "Ƀ": "B", "Ɇ": "E", "ɇ": "e",
    "Ɉ": "J", "ɉ": "j", "ɋ": "q", "Ɍ": "R", "ɍ": "r", "Ɏ": "Y", "ɏ": "y", "ɓ": "b", "ɕ": "c", "ɖ": "d",
    "ɗ": "d", "ɠ": "g", "ɦ": "h", "ɨ": "i", "ɫ": "l", "ɬ": "l", "ɭ": "l", "ɱ": "m", "ɲ": "n", "ɳ": "n",
    "ɼ": "r", "ɽ": "r", "ɾ": "r", "ʂ": "s", "ʈ": "t", "ʋ": "v", "ʐ": "z", "ʑ": "z", "ʝ": "j", "ʠ": "q",
    "ᵢ": "i", "ᵣ": "r", "ᵤ": "u", "ᵥ": "v", "ᵬ": "b", "ᵭ": "d", "ᵮ": "f", "ᵯ": "m", "ᵰ": "n", "ᵱ": "p",
    "ᵲ": "r", "ᵳ": "r", "ᵴ": "s", "ᵵ": "t", "ᵶ": "z", "ᵽ": "p", "ᶀ": "b", "ᶁ": "d", "ᶂ": "f", "ᶃ": "g",
    "ᶄ": "k", "ᶅ": "l", "ᶆ": "m", "ᶇ": "n", "ᶈ": "p", "ᶉ": "r", "ᶊ": "s", "ᶌ": "v", "ᶍ": "x", "ᶎ": "z",
    "ᶏ": "a", "ᶑ": "d", "ᶒ": "e", "ᶖ": "i", "ᶙ": "u", "Ỿ": "Y", "ỿ": "y", "ⁱ": "i", "ⁿ": "n", "ₐ": "a",
    "ₑ": "e", "ₒ": "o", "ₓ": "x", "ₔ": "ə", "ₕ": "h", "ₖ": "k", "ₗ": "l", "ₘ": "m", "ₙ": "n", "ₚ": "p",
    "ₛ": "s", "ₜ": "t", "Ⱡ": "L", "ⱡ": "l", "Ɫ": "L", "Ᵽ": "P", "Ɽ": "R", "ⱥ": "a", "ⱦ": "t", "Ⱨ": "H",
    "ⱨ": "h", "Ⱪ": "K", "ⱪ": "k", "Ⱬ": "Z", "ⱬ": "z", "Ɱ": "M", "ⱱ": "v", "Ⱳ": "W", "ⱳ": "w", "ⱴ": "v",
    "ⱸ": "e", "ⱺ": "o", "ⱼ": "j", "Ȿ": "S", "Ɀ": "Z", "Ꝁ": "K", "ꝁ": "k", "Ꝃ": "K", "ꝃ": "k", "Ꝅ": "K",
    "ꝅ": "k", "Ꝉ": "L", "ꝉ": "l", "Ꝋ": "O", "ꝋ": "o", "Ꝍ": "O", "ꝍ": "o", "Ꝑ": "P", "ꝑ": "p", "Ꝓ": "P",
    "ꝓ": "p", "Ꝕ": "P", "ꝕ": "p", "Ꝗ": "Q", "ꝗ": "q", "Ꝙ": "Q", "ꝙ": "q", "Ꝟ": "V", "ꝟ": "v", "ꞎ": "l",
    "Ꞑ": "N", "ꞑ": "n", "Ꞓ": "C", "ꞓ": "c", "ꞔ": "c", "ꞕ": "h", "Ꞗ": "B", "ꞗ": "b", "Ꞙ": "F", "ꞙ": "f",
    "Ꞡ": "G", "ꞡ": "g", "Ꞣ": "K", "ꞣ": "k", "Ꞥ": "N", "ꞥ": "n", "Ꞧ": "R", "ꞧ": "r", "Ꞩ": "S", "ꞩ": "s",
    "Ɦ": "H", "Ɬ": "L", "Ʝ": "J", "Ꞹ": "U", "ꞹ": "u", "Ꞔ": "C", "Ʂ": "S", "Ᶎ": "Z", "Ꟈ": "D", "ꟈ": "d",
    "Ꟊ": "S", "ꟊ": "s", "ꬴ": "e", "ꬷ": "l", "ꬸ": "l", "ꬹ": "l", "ꬺ": "m", "ꬻ": "n", "ꭉ": "r", "ꭎ": "u",
    "ꭒ": "u", "ꭖ": "x", "ꭗ": "x", "ꭘ": "x", "ꭙ": "x", "ꭚ": "y", "Ａ": "A", "Ｂ": "B", "Ｃ": "C", "Ｄ": "D",
    "Ｅ": "E", "Ｆ": "F", "Ｇ": "G", "Ｈ": "H", "Ｉ": "I", "Ｊ": "J", "Ｋ": "K", "Ｌ": "L", "Ｍ": "M", "Ｎ": "N",
    "Ｏ": "O", "Ｐ": "P", "Ｑ": "Q", "Ｒ": "R", "Ｓ": "S", "Ｔ": "T", "Ｕ": "U", "Ｖ": "V", "Ｗ": "W", "Ｘ": "X",
    "Ｙ": "Y", "Ｚ": "Z", "ａ": "a", "ｂ": "b", "ｃ": "c", "ｄ": "d", "ｅ": "e", "ｆ": "f", "ｇ": "g", "ｈ": "h",
    "ｉ": "i", "ｊ": "j", "ｋ": "k", "ｌ": "l", "ｍ": "m", "ｎ": "n", "ｏ": "o", "ｐ": "p", "ｑ": "q", "ｒ": "r",
    "ｓ": "s", "ｔ": "t", "ｕ": "u", "ｖ": "v", "ｗ": "w", "ｘ": "x", "ｙ": "y", "ｚ": "z", "𝼉": "t", "𝼑": "l",
    "𝼓": "l", "𝼖": "r", "𝼚": "i", "𝼛": "o", "𝼝": "c", "𝼞": "s",
    "Ĳ": "IJ", "ĳ": "ij", "ŉ": "ʼn", "Ǆ": "DZ", "ǅ": "Dz", "ǆ": "dz", "Ǉ": "LJ", "ǈ": "Lj",
    "ǉ": "lj", "Ǌ": "NJ", "ǋ": "Nj", "ǌ": "nj", "Ǳ": "DZ", "ǲ": "Dz", "ǳ": "dz", "ẚ": "aʾ",
    "ﬀ": "ff", "ﬁ": "fi", "ﬂ": "fl", "ﬃ": "ffi", "ﬄ": "ffl", "ﬅ": "st", "ﬆ": "st",
}


def _lit(value: str) -> exp.Literal:
    return exp.Literal.string(value)


def _translate(value: exp.Expression, table: dict[str, str]) -> exp.Expression:
    return exp.func("translate", value, _lit("".join(table)), _lit("".join(table.values())), dialect="duckdb")


def _replace(value: exp.Expression, table: dict[str, str]) -> exp.Expression:
    for letter, spelled in table.items():
        value = exp.func("replace", value, _lit(letter), _lit(spelled), dialect="duckdb")
    return value


def _class(letters: str) -> exp.Literal:
    return _lit("[" + "".join(sorted(letters)) + "]")  # no ASCII, so nothing to escape in the class


def _common(text: exp.Expression) -> exp.Expression:
    """The ``COMMON`` letters, only when the text has one of them (a regular-expression scan
    is much cheaper than ``translate`` and ``replace``, which copy the text even when nothing
    changes)."""
    has = exp.func("regexp_matches", text, _class("".join(COMMON) + "".join(COMMON_LONG)), dialect="duckdb")
    return exp.Case().when(has, _replace(_translate(text.copy(), COMMON), COMMON_LONG)).else_(text.copy())


def _rare(text: exp.Expression) -> exp.Expression:
    """Letter by letter through the ``RARE`` map, only when the text has one of its letters."""
    has = exp.func("regexp_matches", text, _class("".join(RARE)), dialect="duckdb")
    table = exp.cast(exp.cast(_lit(json.dumps(RARE, ensure_ascii=False, sort_keys=True, separators=(",", ":"))),
                              "JSON"), exp.DataType.build("MAP(VARCHAR, VARCHAR)", dialect="duckdb"))
    c = names.ident("_ferry_c")
    spelled = exp.func("coalesce", exp.Bracket(this=table, expressions=[exp.column(c.copy())]),
                       exp.column(c.copy()))
    each = exp.func("list_transform", exp.func("string_split", text.copy(), _lit(""), dialect="duckdb"),
                    exp.Lambda(this=spelled, expressions=[c]), dialect="duckdb")
    joined = exp.func("array_to_string", each, _lit(""), dialect="duckdb")
    return exp.Case().when(has, joined).else_(text.copy())


def compile_macros() -> tuple[exp.Create, ...]:
    """``_ferry.fold_common``, ``_ferry.fold_rare`` and ``_ferry.fold``: fixed bodies over ferry's
    own tables. Macros, so that the SQL that uses them stays readable; DuckDB expands them."""
    param = names.ident("text")

    def macro(name: str, body: exp.Expression) -> exp.Create:
        function = exp.UserDefinedFunction(this=names.fold_macro(name), expressions=[param.copy()], wrapped=True)
        return exp.Create(this=function, kind="MACRO", replace=True, expression=body)

    stripped = exp.func("strip_accents", exp.column(param.copy()), dialect="duckdb")
    return (macro(names.FOLD_COMMON, _common(exp.column(param.copy()))),
            macro(names.FOLD_RARE, _rare(exp.column(param.copy()))),
            macro(names.FOLD, _call(names.FOLD_RARE, _call(names.FOLD_COMMON, stripped))))


def _call(name: str, text: exp.Expression) -> exp.Expression:
    return exp.Dot(this=names.ident(names.INTERNAL_SCHEMA),
                   expression=exp.Anonymous(this=names.ident(name), expressions=[text]))


def fold(text: exp.Expression) -> exp.Expression:
    """The text as compared: accents removed, Latin letter variants spelled with plain letters."""
    return _call(names.FOLD, text)


__all__ = ["COMMON", "COMMON_LONG", "RARE", "compile_macros", "fold"]
