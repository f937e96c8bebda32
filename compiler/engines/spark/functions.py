"""Expressions with DuckDB semantics -> the Spark expressions that give the same values.

In:  one node of a tree built for DuckDB (``sqlgen``).
Out: its Spark equivalent, or the node itself. ``rewrite_node`` is applied to every node by
``engines.spark.passes``; it never edits SQL text.

Where the two engines differ in meaning, not just in name (the issue's list), the fix is here:

* regex replacement back-references are ``$1`` in Java, ``\\1`` in RE2; DuckDB replaces only
  the first match without the ``'g'`` modifier, Spark always replaces all;
* a full regex match is anchored with ``\\z`` (Java's ``$`` also matches before a final newline);
* DuckDB lists index from 1 and lambdas' index argument counts from 1; Spark's from 0;
  ``range(a, b)`` excludes ``b``, ``sequence(a, b)`` includes it and counts down when ``b < a``;
* ``string_split(t, '')`` splits into code points (Spark's ``split`` into UTF-16 units);
* ``list_position`` is NULL when absent (Spark's ``array_position``: 0), ``list_distinct`` drops
  NULLs, ``list_sort`` puts NULLs first;
* ``TRY_CAST`` stays a TRY_CAST (Spark's ANSI ``CAST`` fails the query), and a date cast only
  sees text DuckDB would read as a date (Spark reads ``'2024'`` as 2024-01-01);
* ``array_agg(x ORDER BY k)``: Spark's ``collect_list`` has no order, so the values are collected
  with their keys, sorted, and the keys dropped.
"""

from __future__ import annotations

import re
from typing import Callable

from sqlglot import exp
from sqlglot.dialects.spark import Spark
from sqlglot.time import format_time

from compiler.engines.spark import lets
from compiler.engines.spark.builtins import CALLS_PYTHON
from compiler.engines.spark.regex import Unsupported, extract_all, full_match, partial_match, regex, regexp_replace


def _fn(name: str, *args: exp.Expression) -> exp.Expression:
    return exp.Anonymous(this=name, expressions=list(args))


def _lit(value: str | int) -> exp.Literal:
    return exp.Literal.string(value) if isinstance(value, str) else exp.Literal.number(value)


#: The only text a date cast accepts in both engines with the same result.
_DATE_TEXT = r"^[ \t\n\r\f]*[0-9]{4}-[0-9]{1,2}-[0-9]{1,2}[ \t\n\r\f]*\z"


def _try_cast(node: exp.TryCast) -> exp.Expression:
    if node.args.get("safe"):  # already rewritten
        return node
    cast = exp.TryCast(this=node.this, to=node.to, safe=True)  # safe: TRY_CAST, never Spark's ANSI CAST
    if node.to.is_type(exp.DataType.Type.DATE):
        text = exp.cast(node.this.copy(), exp.DataType.build("STRING"))
        return exp.Case().when(exp.RegexpLike(this=text, expression=_lit(_DATE_TEXT)), cast)
    return cast


def _substitute(body: exp.Expression, name: str, make) -> exp.Expression:
    """``body`` with every use of the lambda variable ``name`` (a column or a bare identifier) made by ``make``;
    changed in place: ``body`` is a node of the passes' own copy of a statement (``passes.rewrite``)."""
    def swap(n: exp.Expression) -> exp.Expression:
        if isinstance(n, exp.Column) and not n.table and n.name == name:
            return make()
        if isinstance(n, exp.Identifier) and n.name == name and not isinstance(n.parent, (exp.Column, exp.Lambda)):
            return make()
        return n
    return body.transform(swap, copy=False)


def _index_from_one(lam: exp.Lambda) -> exp.Lambda:
    """A two-argument lambda whose index argument counted from 1 (DuckDB) fed Spark's, counting from 0."""
    params = lam.expressions
    if len(params) < 2:
        return lam
    index = params[1].name
    body = _substitute(lam.this, index, lambda: exp.paren(exp.Add(this=exp.column(params[1].copy()),
                                                                  expression=_lit(1)), copy=False))
    return exp.Lambda(this=body, expressions=params)


def _lambda_call(name: str) -> Callable[[exp.Expression, list[exp.Expression]], exp.Expression]:
    def build(this: exp.Expression, args: list[exp.Expression]) -> exp.Expression:
        lam = args[0]
        if not isinstance(lam, exp.Lambda):
            raise Unsupported(f"{name} without a lambda")
        return _fn(name, this, _index_from_one(lam))
    return build


def _range(start: exp.Expression, stop: exp.Expression) -> exp.Expression:
    """DuckDB's ``range(a, b)``: a, a+1, ..., b-1, empty when b <= a."""
    i = exp.to_identifier("_ferry_i")
    last = exp.Greatest(this=start.copy(), expressions=[exp.Sub(this=stop.copy(), expression=_lit(1))])
    return _fn("FILTER", _fn("SEQUENCE", start, last),
               exp.Lambda(this=exp.LT(this=exp.column(i.copy()), expression=stop), expressions=[i]))


def _distinct(value: exp.Expression) -> exp.Expression:
    x = exp.to_identifier("_ferry_x")
    present = exp.Lambda(this=exp.Not(this=exp.Is(this=exp.column(x.copy()), expression=exp.Null())),
                         expressions=[x])
    return _fn("ARRAY_DISTINCT", _fn("FILTER", value, present))


def _strptime(value: exp.Expression, fmt: exp.Expression) -> exp.Expression:
    if not isinstance(fmt, exp.Literal):
        raise Unsupported("try_strptime with a computed format")
    parts = []
    for token in re.split(r"(%.)", fmt.name):
        if token.startswith("%"):
            java = format_time(token, Spark.INVERSE_TIME_MAPPING, Spark.INVERSE_TIME_TRIE) or token
            # DuckDB's %d, %m, %H, %M, %S read one or two digits (ferry's patterns check the widths): so do d, M, H, m, s.
            parts.append({"dd": "d", "MM": "M", "HH": "H", "mm": "m", "ss": "s"}.get(java, java))
        elif token:  # literal text: Java reads letters as fields unless quoted ('T' in 2024-01-02T10:00)
            parts.append("'" + token.replace("'", "''") + "'" if re.search(r"[A-Za-z']", token) else token)
    return _fn("TRY_TO_TIMESTAMP", value, _lit("".join(parts)))


def _session_variable(name: exp.Expression) -> exp.Expression:
    if not isinstance(name, exp.Literal):
        raise Unsupported("getvariable with a computed name")
    return exp.column(name.name, table="session", db="system")



#: Nodes and DuckDB functions whose value is a list (``len`` of one is ``size`` in Spark).
_LIST_NODES = (exp.Array, exp.Split, exp.ArrayDistinct, exp.ArrayFilter, exp.Transform, exp.RegexpExtractAll,
               exp.GenerateSeries)
_LIST_FUNCTIONS = {"LIST_DISTINCT", "LIST_FILTER", "LIST_TRANSFORM", "LIST_SORT", "LIST_SLICE", "RANGE", "STR_SPLIT",
                   "STRING_SPLIT", "REGEXP_SPLIT_TO_ARRAY", "LIST_VALUE"}


def _is_list(node: exp.Expression) -> bool:
    if isinstance(node, (exp.Paren, exp.Nullif, exp.Coalesce)):
        return _is_list(node.this)
    if isinstance(node, exp.Case):
        return any(_is_list(i.args["true"]) for i in node.args.get("ifs", [])) or \
            (node.args.get("default") is not None and _is_list(node.args["default"]))
    return isinstance(node, _LIST_NODES) or (isinstance(node, exp.Anonymous) and node.name.upper() in _LIST_FUNCTIONS)


def _length(node: exp.Length) -> exp.Expression:
    return _fn("SIZE", node.this) if _is_list(node.this) else node


def _let(this: exp.Expression, rest: list[exp.Expression]) -> exp.Expression:
    """``list_extract(list_transform([v], x -> body), 1)`` is ferry's LET (``v`` computed once); Spark
    runs the same lambda, except where ``body`` calls a Python UDF, which Spark refuses inside a
    lambda: there (and where ``x`` is used once) ``body`` takes ``v`` in place of ``x``. Inlining
    everywhere would repeat ``v`` at every use, nested: it made the example's Spark SQL 37 times
    larger. Any other ``list_extract`` reads an element."""
    if isinstance(this, exp.Transform):
        listed, lam = this.this, this.expression
    elif isinstance(this, exp.Anonymous) and this.name.upper() == "LIST_TRANSFORM" and len(this.expressions) == 2:
        listed, lam = this.expressions
    else:
        listed = lam = None
    if (isinstance(listed, exp.Array) and len(listed.expressions) == 1 and isinstance(lam, exp.Lambda)
            and len(lam.expressions) == 1 and rest and rest[0] == exp.Literal.number(1)):
        value, name = listed.expressions[0], lam.expressions[0].name
        uses = sum(1 for n in lam.this.find_all(exp.Column, exp.Identifier)
                   if n.name == name and not isinstance(n.parent, (exp.Column, exp.Lambda)))
        if uses <= 1:  # inlined once
            return _substitute(lam.this, name, lambda: exp.paren(value.copy(), copy=False))
        if _calls_udf(lam.this):  # where a Python UDF forbids the lambda: each copy computed once (``lets``)
            return _substitute(lam.this, name, lambda: lets.mark(exp.paren(value.copy(), copy=False)))
    return _fn("TRY_ELEMENT_AT", this, rest[0])


def _calls_udf(tree: exp.Expression) -> bool:
    """``tree`` calls Python: a UDF the Spark runner registers (``engines.spark.udfs``), or the fold."""
    return any(n.name.upper() in CALLS_PYTHON for n in tree.find_all(exp.Anonymous))


def _slice(this: exp.Expression, rest: list[exp.Expression]) -> exp.Expression:
    """DuckDB's ``list_slice(l, a, b)`` (both ends included) is Spark's ``slice(l, a, length)``."""
    start, stop = rest
    length = exp.Greatest(this=exp.Add(this=exp.Sub(this=stop, expression=start.copy()), expression=_lit(1)),
                          expressions=[_lit(0)])
    return _fn("SLICE", this, start, length)


def _upper(node: exp.Upper) -> exp.Expression:
    """Java upper-cases ß as SS (two letters); DuckDB as ẞ, which Spark keeps."""
    if node.meta.get("spark"):
        return node
    upper = exp.Upper(this=exp.func("replace", node.this, _lit("ß"), _lit("ẞ")))
    upper.meta["spark"] = True
    return upper


#: DuckDB functions sqlglot leaves anonymous, by upper-case name: (first argument, the rest) -> Spark.
ANONYMOUS: dict[str, Callable[[exp.Expression, list[exp.Expression]], exp.Expression]] = {
    "STRLEN": lambda this, rest: _fn("OCTET_LENGTH", this),
    "TRY_STRPTIME": lambda this, rest: _strptime(this, rest[0]),
    "LIST_EXTRACT": _let,
    "LIST_SLICE": _slice,
    "REGEXP_SPLIT_TO_ARRAY": lambda this, rest: _fn("SPLIT", this, regex(rest[0], "regexp_split_to_array"),
                                                    _lit(-1)),
    "ERROR": lambda this, rest: _fn("RAISE_ERROR", this),
    "GETVARIABLE": lambda this, rest: _session_variable(this),
    "LIST_BOOL_AND": lambda this, rest: _fn("FORALL", this, exp.Lambda(this=exp.column("_ferry_b"),
                                                                         expressions=[exp.to_identifier("_ferry_b")])),
    "PRINTF": lambda this, rest: _fn("FORMAT_STRING", this, *rest),
    "LIST_SORT": lambda this, rest: _fn("SORT_ARRAY", this, exp.true()),
    "LIST_DISTINCT": lambda this, rest: _distinct(this),
    "RANGE": lambda this, rest: _range(this, rest[0]),
    "LIST_MAX": lambda this, rest: _fn("ARRAY_MAX", this),
    "LIST_TRANSFORM": _lambda_call("TRANSFORM"),
    "LIST_FILTER": _lambda_call("FILTER"),
    "LIST_POSITION": lambda this, rest: exp.Nullif(this=_fn("ARRAY_POSITION", this, rest[0]), expression=_lit(0)),
    "STRIP_ACCENTS": lambda this, rest: _fn("FERRY_STRIP_ACCENTS", this),  # a UDF the Spark runner registers
}


def _anonymous(node: exp.Anonymous) -> exp.Expression:
    build = ANONYMOUS.get(node.name.upper())
    if build is None or not node.expressions:
        return node
    return build(node.expressions[0], list(node.expressions[1:]))


def _ordered_agg(node: exp.ArrayAgg) -> exp.Expression:
    """``array_agg(v ORDER BY k1, k2)`` -> the (k1, k2, v) structs collected, sorted, and v taken."""
    inner = node.this
    if not isinstance(inner, exp.Order):
        return exp.Anonymous(this="COLLECT_LIST", expressions=[inner])
    keys = inner.expressions
    if any(o.args.get("desc") for o in keys):
        raise Unsupported("array_agg ordered descending")
    fields = [exp.PropertyEQ(this=exp.to_identifier(f"k{i}"), expression=o.this) for i, o in enumerate(keys)]
    fields.append(exp.PropertyEQ(this=exp.to_identifier("v"), expression=inner.this))
    return exp.Anonymous(this="COLLECT_LIST", expressions=[exp.Struct(expressions=fields)])


def _unpack_sorted(collected: exp.Expression) -> exp.Expression:
    e = exp.to_identifier("_ferry_e")
    return _fn("TRANSFORM", _fn("SORT_ARRAY", collected, exp.true()),
               exp.Lambda(this=exp.Dot(this=exp.column(e.copy()), expression=exp.to_identifier("v")), expressions=[e]))


def _filter(node: exp.Filter) -> exp.Expression:
    """An ordered ``array_agg`` may sit under ``FILTER (WHERE ...)``: sort outside the filter."""
    if isinstance(node.this, exp.ArrayAgg) and isinstance(node.this.this, exp.Order):
        return _unpack_sorted(exp.Filter(this=_ordered_agg(node.this), expression=node.expression))
    return node


def _array_agg(node: exp.ArrayAgg) -> exp.Expression:
    if isinstance(node.this, exp.Order):
        return _unpack_sorted(_ordered_agg(node))
    return node


def _bracket(node: exp.Bracket) -> exp.Expression:
    if len(node.expressions) != 1 or node.args.get("offset"):
        return node
    return _fn("TRY_ELEMENT_AT", node.this, node.expressions[0])  # 1-based, NULL when out of range


def _cte(node: exp.CTE) -> exp.Expression:
    if node.args.get("key_expressions"):
        raise Unsupported("a recursive CTE keyed by USING KEY (it splits clusters at forbidden pairs: dedup.decisions)")
    if node.args.get("materialized") is not None:  # a planner hint in DuckDB; Spark has none (same rows)
        node.set("materialized", None)  # in place: the passes' own copy (``passes.rewrite``)
    return node


def _list(node: exp.List) -> exp.Expression:
    """DuckDB's ``list(v ORDER BY k)`` aggregate is ``array_agg(v ORDER BY k)``."""
    if len(node.expressions) == 1 and isinstance(node.expressions[0], exp.Order):
        return _array_agg(exp.ArrayAgg(this=node.expressions[0]))
    return node


#: DuckDB's unsigned integers (``hash()`` is a UBIGINT) have no Spark type: a decimal holds every value.
_UNSIGNED = {exp.DataType.Type.UTINYINT: "SMALLINT", exp.DataType.Type.USMALLINT: "INT",
             exp.DataType.Type.UINT: "BIGINT", exp.DataType.Type.UBIGINT: "DECIMAL(20, 0)"}


def _data_type(node: exp.DataType) -> exp.Expression:
    spark = _UNSIGNED.get(node.this)
    return node if spark is None else exp.DataType.build(spark)


def _json_list(node: exp.JSONExtractScalar) -> exp.Expression:
    """DuckDB's ``json_extract_string(j, '$.a[*]')`` is a list of texts (strings unquoted, other values as
    JSON); Spark's ``get_json_object`` with ``[*]`` gives one text: the array is read with ``from_json``."""
    path = node.expression
    if not isinstance(path, exp.JSONPath) or not path.expressions:
        return node
    *head, last = path.expressions
    if not (isinstance(last, exp.JSONPathSubscript) and isinstance(last.this, exp.JSONPathWildcard)) or any(
            isinstance(p, (exp.JSONPathWildcard, exp.JSONPathSubscript)) for p in head):
        return node
    outer = exp.JSONPath(expressions=[p.copy() for p in head])
    found = _fn("FROM_JSON", _fn("GET_JSON_OBJECT", node.this.copy(), _lit(outer.sql(dialect="spark").strip("'"))),
                _lit("ARRAY<STRING>"))
    # DuckDB: an empty list where the path is missing or not an array; NULL only for a NULL document
    return exp.Case().when(exp.Not(this=exp.Is(this=node.this, expression=exp.Null())),
                           exp.Coalesce(this=found, expressions=[exp.Array(expressions=[])]))


def _split(node: exp.Split) -> exp.Expression:
    """``string_split(t, '')``: DuckDB's characters are code points; Spark's ``split(t, '')`` cuts
    between UTF-16 units, a letter outside the BMP (``𝼉``) into two halves. A regex ``.`` is a code point."""
    separator = node.expression
    if isinstance(separator, exp.Literal) and separator.is_string and separator.name == "":
        return _fn("REGEXP_EXTRACT_ALL", node.this, _lit("(?s)."), _lit(0))
    return node


#: Typed nodes whose meaning differs, by class.
TYPED: dict[type, Callable] = {
    exp.Split: _split,
    exp.RegexpReplace: regexp_replace,
    exp.RegexpFullMatch: full_match,
    exp.TryCast: _try_cast,
    exp.Anonymous: _anonymous,
    exp.Filter: _filter,
    exp.ArrayAgg: _array_agg,
    exp.Bracket: _bracket,
    exp.Transform: lambda n: _lambda_call("TRANSFORM")(n.this, [n.expression]),
    exp.ArrayFilter: lambda n: _lambda_call("FILTER")(n.this, [n.expression]),
    exp.ArrayDistinct: lambda n: _distinct(n.this),
    exp.CTE: _cte,
    exp.List: _list,
    exp.RegexpLike: partial_match,
    exp.RegexpExtractAll: extract_all,
    exp.Length: _length,
    exp.Upper: _upper,
    exp.JarowinklerSimilarity: lambda n: _fn("FERRY_JARO_WINKLER", n.this, n.expression),  # a UDF (session)
    exp.DataType: _data_type,
    exp.JSONExtractScalar: _json_list,
}


def rewrite_node(node: exp.Expression) -> exp.Expression:
    build = TYPED.get(type(node))
    return node if build is None else build(node)
