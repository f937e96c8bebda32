"""RE2 (DuckDB) regular expressions and replacements -> Java (Spark) ones with the same matches.

In:  a tree node calling a regex function with DuckDB's semantics.
Out: the Spark call: the pattern rewritten where Java reads it differently, back-references
``\\1`` as ``$1``, and a replace without ``'g'`` limited to the first match.
"""

from __future__ import annotations

import re

from sqlglot import exp


class Unsupported(Exception):
    """A construct the Spark engine cannot express with the same meaning; ``args[0]`` says which."""


def _fn(name: str, *args: exp.Expression) -> exp.Expression:
    return exp.Anonymous(this=name, expressions=list(args))


def _lit(value: str | int) -> exp.Literal:
    return exp.Literal.string(value) if isinstance(value, str) else exp.Literal.number(value)


#: RE2's ``\\s``: Java's also matches the vertical tab.
_SPACE = "\\t\\n\\f\\r "


def java_regex(pattern: str) -> str:
    r"""An RE2 pattern as a Java one with the same matches: ``\p{Cyrillic}`` (a script) is
    ``\p{IsCyrillic}``, ``\s`` leaves out the vertical tab, ``$`` is the end of the text (``\z``)."""
    out, i, in_class = [], 0, False
    while i < len(pattern):
        c = pattern[i]
        if c == "\\" and i + 1 < len(pattern):
            nxt = pattern[i + 1]
            if nxt in "pP" and pattern[i + 2:i + 3] == "{":
                end = pattern.index("}", i)
                name = pattern[i + 3:end]
                out.append(f"\\{nxt}{{{'Is' + name if len(name) > 2 else name}}}")
                i = end + 1
                continue
            if nxt == "s":
                out.append(_SPACE if in_class else f"[{_SPACE}]")
            elif nxt == "S":
                if in_class:
                    raise Unsupported("\\S inside a character class")
                out.append(f"[^{_SPACE}]")
            else:
                out.append(pattern[i:i + 2])
            i += 2
            continue
        if c == "[" and not in_class:
            in_class = True
            out.append(c)
            if pattern[i + 1:i + 2] == "^":
                out.append("^")
                i += 1
            if pattern[i + 1:i + 2] == "]":  # a literal ] first in a class
                out.append("\\]")
                i += 1
        elif c == "]" and in_class:
            in_class = False
            out.append(c)
        elif c == "$" and not in_class:
            out.append("\\z")
        else:
            out.append(c)
        i += 1
    return "".join(out)


def regex(pattern: exp.Expression, what: str) -> exp.Expression:
    if not isinstance(pattern, exp.Literal):
        raise Unsupported(f"{what} with a computed pattern")
    return _lit(java_regex(pattern.name))


def java_replacement(text: str) -> str:
    r"""An RE2 replacement (``\1`` back-references, ``\\`` a backslash) as a Java one (``$1``, ``\$``)."""
    out, i = [], 0
    while i < len(text):
        c = text[i]
        if c == "\\" and i + 1 < len(text):
            nxt = text[i + 1]
            out.append(f"${nxt}" if nxt.isdigit() else ("\\\\" if nxt == "\\" else nxt))
            i += 2
            continue
        out.append("\\$" if c == "$" else c)
        i += 1
    return "".join(out)


def _shifted(java: str) -> str:
    """A Java replacement with every group number one higher (a group was put in front)."""
    return re.sub(r"(?<!\\)\$(\d)", lambda m: f"${int(m.group(1)) + 1}", java)


def regexp_replace(node: exp.RegexpReplace) -> exp.Expression:
    pattern, replacement = node.expression, node.args.get("replacement")
    modifiers = node.args.get("modifiers")
    flags = modifiers.name if isinstance(modifiers, exp.Literal) else ""
    if not (isinstance(pattern, exp.Literal) and isinstance(replacement, exp.Literal)) or set(flags) - {"g"}:
        raise Unsupported("regexp_replace with a computed pattern, replacement or modifiers other than 'g'")
    java = java_replacement(replacement.name)
    text = java_regex(pattern.name)
    if "g" not in flags and not text.startswith("^"):
        # Only the first match: the shortest prefix before it is kept as group 1.
        text, java = f"^((?s:.*?))(?:{text})", "$1" + _shifted(java)
    return _fn("REGEXP_REPLACE", node.this, _lit(text), _lit(java))


def full_match(node: exp.Expression) -> exp.Expression:
    pattern = regex(node.expression, "regexp_full_match").name
    return _fn("RLIKE", node.this, _lit(f"^(?:{pattern})\\z"))


def partial_match(node: exp.RegexpLike) -> exp.Expression:
    return _fn("RLIKE", node.this, regex(node.expression, "regexp_matches"))


def extract_all(node: exp.RegexpExtractAll) -> exp.Expression:
    group = node.args.get("group")
    if (group is not None and group != exp.Literal.number(0)) or node.args.get("parameters") or node.args.get("position"):
        raise Unsupported("regexp_extract_all with a group, position or options")
    return _fn("REGEXP_EXTRACT_ALL", node.this, regex(node.expression, "regexp_extract_all"), _lit(0))
