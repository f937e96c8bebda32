"""The IR of a match model (``dedup.model``): frozen dataclasses, a span on every node.

In:  nothing (built by ``validate.build_model`` from a schema-valid ``Document``).
Out: ``MatchModel`` and its parts, which ``model.Dedup`` holds. Kept apart from ``model`` so that
module stays small; every later stage reads these, never raw YAML. ``blocking_parts`` says what a
blocking rule means, for ``validate`` (which refuses one without a key) and ``sqlgen`` alike.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from compiler.errors import Span

if TYPE_CHECKING:  # sqlglot is imported where it is used: the IR loads without it (`ferry --help`)
    from sqlglot import exp

#: Comparison levels of a match model, each "the first that holds" in the order written:
#: ``exact`` (equal, text compared as fuzzy rules compare it), a similarity at or above a
#: threshold (``sqlgen.similarity``), at most ``edits`` (Damerau-Levenshtein), ``within``
#: a difference (numbers; days for dates), or ``swapped``: the value is the other record's value
#: of another field, either way round (a first name written as the last name), or ``transposed``:
#: a date with its day and month swapped (``day_month``). ``sqlgen.comparisons`` turns each into SQL.
LEVEL_KINDS: tuple[str, ...] = ("exact", "jaro_winkler", "levenshtein", "jaccard", "edits", "within", "swapped",
                                "transposed")
#: The levels that hold for texts alike but not equal: ``frequency: all`` adjusts their weight by
#: how common the more common of the two values is.
SIMILAR_KINDS: tuple[str, ...] = ("jaro_winkler", "levenshtein", "jaccard", "edits")


@dataclass(frozen=True, slots=True)
class Level:
    """One comparison level; ``value`` is the threshold, the most edits or the largest difference;
    ``other`` the field a ``swapped`` level looks for the value in."""

    kind: str
    value: float | None  # None for exact and swapped
    span: Span
    q: int = 2  # jaccard: the q-gram length
    written: tuple[str, ...] = ()  # the methods the level's mapping names (validate wants exactly one)
    q_written: bool = False
    other: str | None = None  # swapped: the other field; transposed: what is swapped (day_month)

    @property
    def label(self) -> str:
        """How reports name the level: ``exact``, ``jaro_winkler>=0.92``, ``edits<=1``, ``within 30``."""
        if self.kind == "exact":
            return "exact"
        if self.kind in ("swapped", "transposed"):
            return f"{self.kind} {self.other}"
        value = f"{self.value:g}"
        if self.kind == "edits":
            return f"edits<={value}"
        if self.kind == "within":
            return f"within {value}"
        return f"{self.kind}>={value}" + (f",q={self.q}" if self.kind == "jaccard" and self.q != 2 else "")


@dataclass(frozen=True, slots=True)
class Comparison:
    """How a match model compares two records on one field (or several, joined with a space):
    ordered levels, then two implicit ones: ``null`` (either side has no value: no evidence,
    weight 0) and ``else`` (none of the levels holds)."""

    name: str
    fields: tuple[str, ...]
    levels: tuple[Level, ...]
    span: Span
    frequency: bool = False  # term-frequency adjustment of the exact level
    frequency_span: Span | None = None
    frequency_similar: bool = False  # ``frequency: all``: of the similarity levels too


@dataclass(frozen=True, slots=True)
class Blocking:
    """A blocking rule: SQL over the two records of a pair, ``l`` and ``r``; pairs it holds for are compared."""

    condition: str
    span: Span
    train: bool = True  # m is estimated from the pairs it finds (with the other training rules)


@dataclass(frozen=True, slots=True)
class MatchModel:
    """A Fellegi-Sunter model (``dedup.model``): m and u per comparison level, estimated without
    labels, match weights summed over comparisons, a match probability per blocked pair."""

    block: tuple[Blocking, ...]
    compare: tuple[Comparison, ...]  # sorted by name
    threshold: float  # pairs at or above this probability are duplicates
    span: Span
    review: float | None = None  # pairs from this up to the threshold are possible matches
    max_block: int = 1000
    sample: int = 1_000_000  # random pairs for u
    seed: int = 0
    iterations: int = 100  # EM: at most this many
    tolerance: float = 1e-6  # EM: stop when no m changes by more than this
    threshold_span: Span | None = None
    review_span: Span | None = None

    def comparison(self, name: str) -> Comparison | None:
        return next((c for c in self.compare if c.name == name), None)


#: The two records of a pair, as blocking rules name them (``l.phone = r.phone``).
SIDES = ("l", "r")


def side(column: exp.Column) -> str | None:
    """``l`` or ``r`` for a column of one side of the pair, else None."""
    return column.table.lower() if column.table.lower() in SIDES else None


def mirrored(tree: exp.Expression) -> exp.Expression:
    """The expression with the two sides swapped (``l.a < r.a`` -> ``r.a < l.a``)."""
    from sqlglot import exp

    def swap(node: exp.Expression) -> exp.Expression:
        if isinstance(node, exp.Column) and side(node):
            swapped = node.copy()
            swapped.set("table", exp.to_identifier("r" if side(node) == "l" else "l", quoted=node.args["table"].quoted))
            return swapped
        return node
    return tree.copy().transform(swap)


def _conjuncts(tree: exp.Expression) -> list[exp.Expression]:
    from sqlglot import exp
    while isinstance(tree, exp.Paren):
        tree = tree.this
    if isinstance(tree, exp.And):
        return [c for part in (tree.this, tree.expression) for c in _conjuncts(part)]
    return [tree]


def _sides(tree: exp.Expression) -> set[str | None]:
    from sqlglot import exp
    return {side(c) for c in tree.find_all(exp.Column)}


def _same(a: exp.Expression, b: exp.Expression) -> bool:
    return a.sql(dialect="duckdb", normalize=True) == b.sql(dialect="duckdb", normalize=True)


def blocking_parts(condition: str) -> tuple[tuple[exp.Expression, ...], tuple[exp.Expression, ...]]:
    """A blocking rule as ``(keys, rest)``: ``keys`` are the ``l`` sides of its top-level equalities
    of one expression over ``l`` with the same over ``r`` (``lower(l.city) = lower(r.city)``): rows
    equal on them form a block, compared by a hash join; ``rest`` are its other conditions,
    checked on each pair of a block. ``condition`` is known to parse (``validate`` says so)."""
    import sqlglot
    from sqlglot import exp

    keys, rest = [], []
    for part in _conjuncts(sqlglot.parse_one(condition, read="duckdb")):
        if isinstance(part, exp.EQ):
            a, b = part.this, part.expression
            if _sides(a) == {"r"} and _sides(b) == {"l"}:
                a, b = b, a
            if _sides(a) == {"l"} and _sides(b) == {"r"} and _same(mirrored(a), b):
                keys.append(a)
                continue
        rest.append(part)
    return tuple(keys), tuple(rest)
