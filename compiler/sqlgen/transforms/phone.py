"""The ``phone`` transform: text -> E.164 of a *valid* number, as phonenumbers decides it.

In:  the field's text expression and the arguments ``region``, ``fallback`` and ``region_from``
     (a ``RowInput``: ``sqlgen.entity`` resolves it to an expression over the staged row).
Out: ``Applied``: the E.164 text; ``invalid_phone`` where no region in the list gives a valid
     number; ``unknown_phone_region`` where the row's region is not one phonenumbers knows;
     ``ambiguous_phone`` (the candidates in the reason's detail) where fallbacks disagree.

In each region the number is read as phonenumbers' ``parse`` reads it with that default region
and must pass ``is_valid_number``. The row's region (trimmed, upper-cased; empty means none) and
then ``region`` are the user's word: the first that gives a number wins. Otherwise every
fallback is read: one number (from one or several of them) converts, different numbers reject
(``ambiguous_phone``: their order is a guess, not the data's word). The library route is
``compiler.functions.phone_e164`` (a function ``ferry run`` registers; about 20 µs a value),
answering the number, NULL, or ``AMBIGUOUS_PHONE`` and the candidates, which become the
reject's detail and never a value. The SQL settles first what it can decide exactly, following ``parse`` step by
step with the metadata of the regions the spec names, and leaves the rest to the function:

1. only plain text (digits, spaces, ``()./-`` and a leading '+', at most 250 characters) is
   read in SQL; extensions, letters and other marks go to the function;
2. *stage one*, per region: the digits after '+' are the calling code and national number; so
   are the digits after the region's international prefix ('00', '011'), unless a '0' follows
   it; otherwise, for a region whose calling code is its own (not +1, +7, +44, +39...) and whose
   national prefix is plain digits (or none), the national form: the region's code and the
   digits; digits that start with the code itself are read in SQL only for a region without a
   national prefix (PL '48601234567': the code is taken as one when phonenumbers would take it);
3. *stage two*, per calling code of a named region: the national prefix is stripped as
   phonenumbers strips it (when what remains is viable and of a possible length), and the
   national number must match the region's general pattern and lengths and one type's
   (fixed line, mobile, toll free...) pattern and lengths.

Each stage gives the digits, '' (phonenumbers fails or finds the number invalid) or '?' (the
SQL cannot tell: another calling code, a prefix given as a pattern). Over the row's region and
``region`` the first answer that is not '' decides: a number settles the row, '?' leaves it to
the function (folded with ``list_reduce``, so ``region`` is read only when the row's failed).
When both give '' (and the digits have no '+', which reads alike everywhere) the fallbacks are
all read: any '?' leaves the row to the function; else their distinct numbers settle it (none:
a reject without calling it). Lambdas (DuckDB has no LET) keep each intermediate value computed once. tests/fidelity/test_phone.py checks that the SQL alone never
gives a value phonenumbers would not, and that the whole equals it, for every region.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import lru_cache
from typing import Any, Callable, Mapping

from sqlglot import exp

from compiler.markers import AMBIGUOUS_PHONE
from compiler.sqlgen.transforms.base import Applied, Failure, RowInput, fn, lit

#: What a plain phone looks like; anything else is left to phonenumbers.
PLAIN = r"\+?[0-9 ()./-]+"
#: phonenumbers refuses longer input outright.
MAX_INPUT = 250
#: The number types ``is_valid_number`` accepts, as phonenumbers' metadata names them.
TYPES = ("premium_rate", "toll_free", "shared_cost", "voip", "personal_number", "pager", "uan", "voicemail",
         "fixed_line", "mobile")


@dataclass(frozen=True, slots=True)
class _Region:
    """The metadata of one region that the SQL route reads."""

    region: str
    code: str  # calling code
    idd: str | None  # international prefix: digits, a pattern, or None (none)
    prefix: str | None  # national prefix for parsing, when it is plain digits
    own: bool  # national numbers read in SQL: the code is this region's alone and the prefix plain
    general: str  # national-number pattern of every number
    lengths: tuple[int, ...]  # possible national-number lengths
    local: tuple[int, ...]  # lengths dialled only locally (never stripped to)
    typed: str  # the number types' patterns, over 'LL:digits' (LL: the length, when the type allows it)


@lru_cache(maxsize=None)
def _region(region: str) -> _Region:
    import phonenumbers  # compile-time metadata only

    meta = phonenumbers.PhoneMetadata.metadata_for_region(region)
    prefix = meta.national_prefix_for_parsing or None
    plain_prefix = prefix is None or (prefix.isdigit() and not meta.national_prefix_transform_rule)
    groups: dict[tuple[int, ...], list[str]] = {}
    for name in TYPES:
        desc = getattr(meta, name)
        # With the same mobile and fixed-line pattern, phonenumbers looks at the fixed line only.
        if desc is None or not desc.national_number_pattern or (name == "mobile" and meta.same_mobile_and_fixed_line_pattern):
            continue
        groups.setdefault(tuple(sorted(desc.possible_length)), []).append(desc.national_number_pattern)
    return _Region(
        region=region,
        code=str(meta.country_code),
        idd=meta.international_prefix or None,
        prefix=prefix if plain_prefix else None,
        own=len(phonenumbers.COUNTRY_CODE_TO_REGION_CODE[meta.country_code]) == 1 and plain_prefix,
        general=meta.general_desc.national_number_pattern,
        lengths=tuple(sorted(meta.general_desc.possible_length)),
        local=tuple(sorted(meta.general_desc.possible_length_local_only)),
        typed="|".join(f"(?:{_lengths(lengths)}):(?:{'|'.join(f'(?:{p})' for p in patterns)})"
                       for lengths, patterns in sorted(groups.items())) or "$.",
    )


def _lengths(lengths: tuple[int, ...]) -> str:
    """The two-digit labels of ``lengths`` as an alternation; any length when there are none."""
    return "|".join(f"{n:02d}" for n in lengths) if lengths else r"\d\d"


# SQL helpers -----------------------------------------------------------------------------------


def _var(name: str) -> exp.Identifier:
    return exp.to_identifier(f"_ferry_{name}", quoted=True)


def _lambda(name: str, body: Callable[[exp.Expression], exp.Expression]) -> exp.Lambda:
    return exp.Lambda(this=body(_var(name)), expressions=[_var(name)])


def _let(value: exp.Expression, name: str, body: Callable[[exp.Expression], exp.Expression]) -> exp.Expression:
    """``body`` over ``value`` computed once (DuckDB has no LET: a one-element list_transform)."""
    return fn("list_extract", fn("list_transform", exp.Array(expressions=[value]), _lambda(name, body)),
              exp.Literal.number(1))


def _num(n: int) -> exp.Literal:
    return exp.Literal.number(n)


def _len(x: exp.Expression) -> exp.Expression:
    return fn("length", x.copy())


def _after(x: exp.Expression, digits: str) -> exp.Expression:
    """What follows the first ``len(digits)`` characters."""
    return exp.Substring(this=x.copy(), start=_num(len(digits) + 1))


def _starts(x: exp.Expression, digits: str) -> exp.Expression:
    return fn("starts_with", x.copy(), lit(digits))


def _matches(x: exp.Expression, pattern: str) -> exp.Expression:
    return fn("regexp_full_match", x.copy(), lit(pattern))


def _in(x: exp.Expression, lengths: tuple[int, ...]) -> exp.Expression:
    return exp.In(this=_len(x), expressions=[_num(n) for n in lengths])


# Stage one: the calling code and national number parse() reads, per default region ------------


def _too_long(r: _Region, x: exp.Expression) -> exp.Expression:
    """phonenumbers' length test says TOO_LONG (local-only lengths come first)."""
    longer = exp.GT(this=_len(x), expression=_num(max(r.lengths)))
    local = tuple(n for n in r.local if n > max(r.lengths))
    return exp.and_(longer, exp.not_(_in(x, local))) if local else longer


def _with_code(r: _Region, digits: exp.Expression) -> exp.Expression:
    return exp.DPipe(this=lit(r.code), expression=digits.copy(), safe=True)


def _national(r: _Region, n: exp.Expression) -> exp.Expression:
    """Code and national number of digits ``n`` read as a national number of ``r``. When they
    start with the region's code, phonenumbers takes it as one if, stripped of it, they are
    viable where ``n`` is not, or ``n`` is too long; read in SQL for a region without a national
    prefix (PL '48601234567'), left to phonenumbers ('?') for one with (then a code in front of a
    national number is rare, and reading it would take another national-prefix strip)."""
    rest = _after(n, r.code)
    if r.prefix is None:
        taken = exp.or_(exp.and_(exp.not_(_matches(n, r.general)), _matches(rest, r.general)), _too_long(r, n))
        with_code = exp.Case().when(taken, _with_code(r, rest)).else_(_with_code(r, n))
    else:
        with_code = lit("?")
    return exp.Case().when(_starts(n, r.code), with_code).else_(_with_code(r, n))


def _dialled(r: _Region, n: exp.Expression) -> exp.Expression:
    """Stage one for digits ``n`` (no '+') with ``r`` as the default region: calling code and
    national number as one digit string, '' where parse fails, '?' where SQL cannot tell
    (NULL when ``n`` is)."""
    national = _national(r, n) if r.own else exp.Case().when(exp.not_(exp.Is(this=n.copy(), expression=exp.null())),
                                                              lit("?"))
    if r.idd is None:
        return national
    if not r.idd.isdigit():  # a pattern (AU '001[14-689]|14(?:...)0011'): left to phonenumbers
        return exp.Case().when(fn("regexp_matches", n.copy(), lit(f"^(?:{r.idd})")), lit("?")).else_(national)
    # The prefix counts only when no '0' follows it (calling codes never start with 0), and
    # phonenumbers fails on two digits or fewer after it.
    rest = _after(n, r.idd)
    international = exp.and_(_starts(n, r.idd),
                             exp.NEQ(this=exp.Substring(this=rest.copy(), start=_num(1), length=_num(1)),
                                     expression=lit("0")))
    return exp.Case().when(international, _international(rest)).else_(national)


def _international(digits: exp.Expression) -> exp.Expression:
    """After '+' or an international prefix: phonenumbers fails on two digits or fewer."""
    return exp.Case().when(exp.LTE(this=_len(digits), expression=_num(2)), lit("")).else_(digits.copy())


# Stage two: the national number phonenumbers keeps, and whether it is valid --------------------


def _viable(r: _Region, x: exp.Expression, body: Callable[[exp.Expression, exp.Expression], exp.Expression]
            ) -> exp.Expression:
    """``body(gx, gy)``: whether ``x``, and ``x`` without the national prefix, match the general
    pattern, each matched once (one lambda: each level of them costs per row)."""
    both = exp.Array(expressions=[_matches(x, r.general), _matches(_after(x, r.prefix or ""), r.general)])
    return _let(both, "viable", lambda gs: body(fn("list_extract", gs.copy(), _num(1)), fn("list_extract", gs.copy(), _num(2))))


def _strips(r: _Region, x: exp.Expression, gx: exp.Expression, gy: exp.Expression) -> exp.Expression:
    """phonenumbers strips the national prefix from ``x`` unless the rest is not viable where ``x``
    was (its _maybe_strip_national_prefix_carrier_code)."""
    return exp.and_(_starts(x, r.prefix or ""), exp.not_(exp.paren(exp.and_(gx.copy(), exp.not_(gy.copy())))))


def _valid(r: _Region, nsn: exp.Expression, general: exp.Expression) -> exp.Expression:
    """is_valid_number, ``general`` being whether ``nsn`` matches the general pattern: the general
    lengths, and one number type's lengths and pattern, matched as one expression over
    'LL:digits' (LL the length)."""
    length = fn("lpad", exp.cast(_len(nsn), exp.DataType.build("VARCHAR")), _num(2), lit("0"))
    labelled = exp.DPipe(this=exp.DPipe(this=length, expression=lit(":"), safe=True), expression=nsn.copy(), safe=True)
    return exp.and_(_in(nsn, r.lengths), general.copy(), _matches(labelled, r.typed))


def _checked(r: _Region, rest: exp.Expression) -> exp.Expression:
    """'+' code and national number when valid, else '': ``rest`` is what follows the code;
    parse() strips a national prefix from it only when what remains has a possible length (or
    is too long)."""
    def e164(nsn: exp.Expression, general: exp.Expression) -> exp.Expression:
        return exp.Case().when(_valid(r, nsn, general), exp.DPipe(this=lit(f"+{r.code}"), expression=nsn.copy(),
                                                                   safe=True)).else_(lit(""))
    if r.prefix is None:
        return e164(rest, _matches(rest, r.general))

    def keep(gx: exp.Expression, gy: exp.Expression) -> exp.Expression:
        stripped = _after(rest, r.prefix or "")
        fits = exp.or_(_in(stripped, r.lengths), exp.GT(this=_len(stripped), expression=_num(max(r.lengths))))
        if r.local:
            fits = exp.and_(exp.not_(_in(stripped, r.local)), exp.paren(fits))
        taken = exp.and_(_strips(r, rest, gx, gy), exp.paren(fits))
        # The two candidates differ in length, so the kept one tells which pattern result is its.
        return _let(exp.Case().when(taken, stripped).else_(rest.copy()), "nsn", lambda nsn: e164(
            nsn, exp.Case().when(exp.EQ(this=nsn.copy(), expression=rest.copy()), gx.copy()).else_(gy.copy())))
    return _viable(r, rest, keep)


def _e164(regions: tuple[_Region, ...], x: exp.Expression) -> exp.Expression:
    """Stage two for stage one's digits ``x``: '+' and the digits of a valid number, '' for an
    invalid one, NULL when the calling code is none of the regions the SQL knows."""
    case = exp.Case().when(exp.EQ(this=x.copy(), expression=lit("")), lit(""))
    for r in regions:
        case = case.when(_starts(x, r.code), _checked(r, _after(x, r.code)))
    return case


# The transform ---------------------------------------------------------------------------------


def _known_regions() -> exp.Expression:
    """The regions phonenumbers knows, as one literal list."""
    import phonenumbers

    text = json.dumps(sorted(phonenumbers.SUPPORTED_REGIONS), separators=(",", ":"))
    return exp.cast(exp.cast(lit(text), exp.DataType.build("JSON", dialect="duckdb")),
                    exp.DataType.build("VARCHAR[]", dialect="duckdb"))


def _settled(regions: tuple[_Region, ...]) -> tuple[_Region, ...]:
    """The named regions whose numbers stage two reads: their calling code is theirs alone."""
    return tuple(r for r in regions if r.own)


def _answer(d: exp.Expression, regions: tuple[_Region, ...], at: exp.Expression) -> exp.Expression:
    """The answer of the region at position ``at`` (0: the '+' form, the same for every region;
    NULL: a row region the SQL does not know) for ``d``: E.164, '' or '?'."""
    dialled = exp.Case().when(exp.EQ(this=at.copy(), expression=_num(0)),
                              _international(exp.Substring(this=d.copy(), start=_num(2))))
    for i, r in enumerate(regions, start=1):
        dialled = dialled.when(exp.EQ(this=at.copy(), expression=_num(i)), _dialled(r, d))
    return _let(dialled.else_(lit("?")), "x", lambda x: exp.func("coalesce", _e164(_settled(regions), x), lit("?")))


def _first_decided(d: exp.Expression, regions: tuple[_Region, ...], names: tuple[str, ...],
                   row_region: exp.Expression | None) -> exp.Expression:
    """For ``d``, the digits of a plain value with its '+' (NULL: not plain), the answer of the
    regions the user named for it: the first that is not '' of the row's region (when it is one
    of ``names``; '?' otherwise) and ``region``, or, with '+', of the '+' form alone. A
    ``list_reduce`` over the regions' positions, so a region is read only when those before it
    failed."""
    plus = fn("starts_with", d.copy(), lit("+"))
    positions = [_num(1)]
    if row_region is not None:
        positions.insert(0, fn("list_position", exp.Array(expressions=[lit(r) for r in names]),
                               exp.func("coalesce", row_region.copy(), lit(names[0]))))
    order = exp.Case().when(plus, exp.Array(expressions=[_num(0)])).else_(exp.Array(expressions=positions))
    acc, at = _var("acc"), _var("at")
    step = exp.Case().when(exp.NEQ(this=acc.copy(), expression=lit("")), acc.copy()).else_(_answer(d, regions, at))
    return fn("list_reduce", order, exp.Lambda(this=step, expressions=[acc.copy(), at.copy()]), lit(""))


def _fallen_back(d: exp.Expression, first: exp.Expression, regions: tuple[_Region, ...],
                 names: tuple[str, ...]) -> exp.Expression:
    """``first`` (the named regions' answer) unless it is '' for digits without '+'; then the
    fallbacks' (``names[1:]``), each read: '?' when one cannot tell; their one number (several
    regions giving the same count once); '' when none gives one; for different numbers
    ``AMBIGUOUS_PHONE`` and the candidates, as ``functions.phone_e164`` writes them."""
    count = len(names) - 1
    if not count:
        return first
    # Not a CASE around the lambdas: the list of positions is empty when no fallback is read.
    read = exp.and_(exp.EQ(this=first.copy(), expression=lit("")), exp.not_(fn("starts_with", d.copy(), lit("+"))))
    positions = exp.Case().when(read, exp.Array(expressions=[_num(i) for i in range(2, count + 2)])).else_(
        exp.cast(exp.Array(expressions=[]), exp.DataType.build("INT[]", dialect="duckdb")))
    answers = fn("list_transform", positions, _lambda("at", lambda at: _answer(d, regions, at)))

    def decide(fa: exp.Expression) -> exp.Expression:
        def one(numbers: exp.Expression) -> exp.Expression:
            size = fn("len", numbers.copy())
            candidates = fn("list_transform", fn("range", _num(1), _num(count + 1)), _lambda("i", lambda i: exp.Case().when(
                exp.NEQ(this=exp.Bracket(this=fa.copy(), expressions=[i.copy()]), expression=lit("")),
                exp.DPipe(this=exp.DPipe(this=exp.Bracket(this=exp.Array(expressions=[lit(n) for n in names[1:]]),
                                                         expressions=[i.copy()]), expression=lit(" "), safe=True),
                          expression=exp.Bracket(this=fa.copy(), expressions=[i.copy()]), safe=True))))
            listed = fn("array_to_string", fn("list_filter", candidates, _lambda(
                "c", lambda c: exp.not_(exp.Is(this=c.copy(), expression=exp.null())))), lit(", "))
            return (exp.Case().when(exp.EQ(this=size, expression=_num(0)), lit(""))
                    .when(exp.EQ(this=size.copy(), expression=_num(1)), fn("list_extract", numbers.copy(), _num(1)))
                    .else_(exp.DPipe(this=lit(AMBIGUOUS_PHONE), expression=listed, safe=True)))
        distinct = fn("list_distinct", fn("list_filter", fa.copy(), _lambda(
            "n", lambda n: exp.NEQ(this=n.copy(), expression=lit("")))))
        return (exp.Case().when(exp.NEQ(this=first.copy(), expression=lit("")), first.copy())
                .when(fn("list_contains", fa.copy(), lit("?")), lit("?")).else_(_let(distinct, "numbers", one)))
    return _let(answers, "fa", decide)


def _parsed(raw: exp.Expression, regions: tuple[_Region, ...], names: tuple[str, ...],
            row_region: exp.Expression | None, known: exp.Expression | None) -> exp.Expression:
    """The trimmed value ``raw``'s answer: its E.164, NULL (invalid) or ``AMBIGUOUS_PHONE`` and
    the candidates; the SQL's, else the function's. Nothing when the row's region is not ``known``."""
    # No CASE around the lambdas below (DuckDB runs them several times slower under one): a value
    # that is not plain, or whose row region is unknown, has no digits, so the SQL cannot tell.
    plain = exp.and_(_matches(raw, PLAIN), exp.LTE(this=_len(raw), expression=_num(MAX_INPUT)),
                     *([known.copy()] if known is not None else []))
    digits = exp.Case().when(plain, fn("regexp_replace", raw.copy(), lit("[^0-9+]"), lit(""), lit("g")))
    fallback = lit(",".join(names[1:]))
    if row_region is None or known is None:
        slow = exp.Anonymous(this="ferry_phone_e164", expressions=[raw.copy(), lit(names[0]), fallback])
    else:
        slow = exp.Anonymous(this="ferry_phone_e164", expressions=[
            exp.Case().when(known.copy(), raw.copy()), fn("concat_ws", lit(","), row_region.copy(), lit(names[0])),
            fallback])
    answer = _let(digits, "d", lambda d: _let(_first_decided(d, regions, names, row_region), "first",
                                              lambda first: _fallen_back(d, first, regions, names)))
    # Bound, not NULLIF'd: DuckDB rewrites NULLIF(a, b) as a CASE that holds ``a`` twice.
    return _let(answer, "answer", lambda a: exp.Case().when(exp.EQ(this=a.copy(), expression=lit("?")), slow)
                .when(exp.EQ(this=a.copy(), expression=lit("")), exp.null()).else_(a.copy()))


def phone(value: exp.Expression, args: Mapping[str, Any]) -> Applied:
    """``phone: {region: PL, fallback: [DE, FR], region_from: {column: country}}``: E.164
    ('+48601234567') of the first of the row's region and ``region`` where phonenumbers finds the
    number valid, else of the one number the fallbacks give. Valid nowhere rejects the row
    (``invalid_phone``), as do different numbers from the fallbacks (``ambiguous_phone``, the
    candidates in the reason's detail) and a row region phonenumbers does not know
    (``unknown_phone_region``)."""
    names = tuple(dict.fromkeys((args["region"], *args.get("fallback", ()))))
    regions = tuple(_region(r) for r in names)
    raw = exp.Nullif(this=exp.Trim(this=value), expression=lit(""))
    has_value = exp.not_(exp.Is(this=raw.copy(), expression=exp.null()))
    row: RowInput | None = args.get("region_from")
    row_region = known = None
    also: tuple[Failure, ...] = ()
    if row is not None:
        row_region = exp.Nullif(this=exp.Upper(this=exp.Trim(this=row.value.copy())), expression=lit(""))
        known = exp.paren(exp.or_(exp.Is(this=row_region.copy(), expression=exp.null()),
                                  fn("list_contains", _known_regions(), row_region.copy())))
        also = (Failure(exp.and_(has_value.copy(), exp.not_(known.copy())), "unknown_phone_region",
                        given=row.value.copy(), column=row.column),)
    answer = _parsed(raw, regions, names, row_region, known)
    # The marker never reaches the value: only an answer with '+' is a number.
    number = _let(answer, "phone", lambda a: exp.Case().when(fn("starts_with", a.copy(), lit("+")), a.copy()))
    invalid = exp.and_(has_value, *([known.copy()] if known is not None else []),
                       exp.Is(this=answer.copy(), expression=exp.null()))
    if len(names) > 1:
        also += (Failure(fn("starts_with", answer.copy(), lit(AMBIGUOUS_PHONE)), "ambiguous_phone",
                         detail=exp.Substring(this=answer.copy(), start=_num(len(AMBIGUOUS_PHONE) + 1))),)
    return Applied(number, invalid, "invalid_phone", also=also)
