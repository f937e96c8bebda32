"""Parsing transforms: booleans. Each can reject.

(Dates are in ``dates``, tax ids in ``taxid``, locale decimals in ``amounts``.)
"""

from __future__ import annotations

from typing import Any, Mapping

from sqlglot import exp

from compiler.sqlgen.transforms.base import Applied, failing, lit


#: The default words, case-insensitive. Each means the same in every language offered (English,
#: Polish, German, French, Ukrainian, Russian); single letters only where every language that uses
#: them agrees: t (true, tak), f (false, falsch, faux, fałsz), y (yes), n (no, nie, nein, non),
#: j (ja). 'o' (oui) is left out: in typed data it stands for the digit 0 (false) as often.
TRUE_WORDS = ("true", "t", "yes", "y", "1", "tak", "ja", "j", "oui", "так", "да")
FALSE_WORDS = ("false", "f", "no", "n", "0", "nie", "nein", "non", "ні", "нет")


def boolean(value: exp.Expression, args: Mapping[str, Any]) -> Applied:
    """``boolean`` (the words above) or ``boolean: {true: [...], false: [...]}``. Case-insensitive;
    output 'true' / 'false'. A word in both custom lists is F432 at validate, never a silent
    first-list-wins."""
    true_words = tuple(w.lower() for w in args.get("true", TRUE_WORDS))
    false_words = tuple(w.lower() for w in args.get("false", FALSE_WORDS))
    text = exp.Nullif(this=exp.Trim(this=value.copy()), expression=lit(""))
    word = exp.Lower(this=text.copy())
    parsed = (exp.Case()
              .when(exp.In(this=word.copy(), expressions=[lit(w) for w in true_words]), lit("true"))
              .when(exp.In(this=word.copy(), expressions=[lit(w) for w in false_words]), lit("false")))
    ok = exp.In(this=word.copy(), expressions=[lit(w) for w in true_words + false_words])
    return failing(text, parsed, ok, "invalid_boolean")
