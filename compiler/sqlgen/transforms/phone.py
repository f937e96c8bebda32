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
reject's detail and never a value. The SQL settles first what it can decide exactly, following
``parse`` step by step with the metadata of the regions the spec names, and leaves the rest to
the function:

1. only plain text (digits, spaces, ``()./-`` and a leading '+', at most 250 characters) is
   read in SQL; ASCII text without a digit is invalid; extensions, letters and other marks go
   to the function;
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

Each reading gives E.164, '' (phonenumbers fails or finds the number invalid) or '?' (the SQL
cannot tell: another calling code, a prefix given as a pattern). Digits with '+' read alike in
every region, and so do digits with the international prefix every named region shares.
Otherwise the row's region and then ``region`` decide (the first answer that is not ''); only
when both give '' are the fallbacks all read: any '?' leaves the row to the function, else
their distinct numbers settle it (none: a reject without calling it). ``_parsed`` says how this
runs fast in DuckDB. tests/fidelity/test_phone.py checks that the SQL alone never gives a value
phonenumbers would not, and that the whole equals it, for every region.
"""

from __future__ import annotations

import json
from typing import Any, Callable, Mapping

from sqlglot import exp

from compiler.markers import AMBIGUOUS_PHONE
from compiler.sqlgen.transforms.base import Applied, Failure, RowInput, and_, fn, lit, not_, or_, paren
from compiler.sqlgen.transforms.phonemeta import TYPES, Region as _Region, metadata as _region  # noqa: F401

#: What a plain phone looks like; anything else is left to phonenumbers.
PLAIN = r"\+?[0-9 ()./-]+"
#: phonenumbers refuses longer input outright.
MAX_INPUT = 250
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
    """What follows the first ``len(digits)`` characters (one SUBSTRING of the digits however
    deep the reading: a shorter text, and the same text wherever two readings meet)."""
    if isinstance(x, exp.Substring) and x.args.get("length") is None and isinstance(x.args["start"], exp.Literal):
        return exp.Substring(this=x.this.copy(), start=_num(int(x.args["start"].this) + len(digits)))
    return exp.Substring(this=x.copy(), start=_num(len(digits) + 1))


def _starts(x: exp.Expression, digits: str) -> exp.Expression:
    return fn("starts_with", x.copy(), lit(digits))


def _matches(x: exp.Expression, pattern: str) -> exp.Expression:
    return fn("regexp_full_match", x.copy(), lit(pattern))


def _in(x: exp.Expression, lengths: tuple[int, ...]) -> exp.Expression:
    return exp.In(this=_len(x), expressions=[_num(n) for n in lengths])


# Stage two: the national number phonenumbers keeps, and whether it is valid --------------------
# ``empty`` is what an invalid number gives: '' while regions are still compared, NULL once final.


def _valid(r: _Region, nsn: exp.Expression) -> exp.Expression:
    """is_valid_number for the national number ``nsn``: the general lengths and pattern, and one
    number type's lengths and pattern, matched as one expression over 'LL:digits' (LL the length)."""
    length = fn("lpad", exp.cast(_len(nsn), exp.DataType.build("VARCHAR")), _num(2), lit("0"))
    labelled = exp.DPipe(this=exp.DPipe(this=length, expression=lit(":"), safe=True), expression=nsn.copy(), safe=True)
    return and_(_in(nsn, r.lengths), _matches(nsn, r.general), _matches(labelled, r.typed))


def _e164_of(r: _Region, nsn: exp.Expression, empty: exp.Expression) -> exp.Expression:
    """'+', the code and ``nsn`` when valid, else ``empty``."""
    return exp.Case().when(_valid(r, nsn), exp.DPipe(this=lit(f"+{r.code}"), expression=nsn.copy(), safe=True)
                           , copy=False).else_(empty.copy(), copy=False)


def _checked(r: _Region, rest: exp.Expression, empty: exp.Expression) -> exp.Expression:
    """'+' code and national number when valid, else ``empty``: ``rest`` is what follows the
    code. parse() strips the national prefix from it when what remains has a possible length
    (or is too long), unless the rest is not viable where ``rest`` was (its
    _maybe_strip_national_prefix_carrier_code)."""
    if r.prefix is None:
        return _e164_of(r, rest, empty)
    stripped = _after(rest, r.prefix)
    fits = or_(_in(stripped, r.lengths), exp.GT(this=_len(stripped), expression=_num(max(r.lengths))))
    if r.local:
        fits = and_(not_(_in(stripped, r.local)), paren(fits))
    viable = not_(paren(and_(_matches(rest, r.general), not_(_matches(stripped, r.general)))))
    taken = and_(_starts(rest, r.prefix), paren(fits), viable)
    return exp.Case().when(taken, _e164_of(r, stripped, empty), copy=False).else_(_e164_of(r, rest, empty), copy=False)


# Stage one: the calling code and national number parse() reads, per default region ------------


def _too_long(r: _Region, x: exp.Expression) -> exp.Expression:
    """phonenumbers' length test says TOO_LONG (local-only lengths come first)."""
    longer = exp.GT(this=_len(x), expression=_num(max(r.lengths)))
    local = tuple(n for n in r.local if n > max(r.lengths))
    return and_(longer, not_(_in(x, local))) if local else longer


def _international(settled: tuple[_Region, ...], rest: exp.Expression, empty: exp.Expression,
                   unknown: exp.Expression) -> exp.Expression:
    """The answer for the digits after '+' or an international prefix: ``empty`` where
    phonenumbers fails (two digits or fewer) or the number is invalid, the number of the region
    whose calling code leads (codes are prefix-free), ``unknown`` for a code none of
    ``settled`` owns."""
    case = exp.Case().when(exp.LTE(this=_len(rest), expression=_num(2)), empty.copy(), copy=False)
    for r in settled:
        case = case.when(_starts(rest, r.code), _checked(r, _after(rest, r.code), empty), copy=False)
    return case.else_(unknown, copy=False)


def _national(r: _Region, n: exp.Expression) -> exp.Expression:
    """The answer for digits ``n`` read as a national number of ``r`` (its code its own): E.164,
    '' or '?'. When they start with the region's code, phonenumbers takes it as one if, stripped
    of it, they are viable where ``n`` is not, or ``n`` is too long; read in SQL for a region
    without a national prefix (PL '48601234567'), left to phonenumbers ('?') for one with (then
    a code in front of a national number is rare, and reading it would take another
    national-prefix strip)."""
    rest, empty = _after(n, r.code), lit("")
    if r.prefix is None:
        taken = or_(and_(not_(_matches(n, r.general)), _matches(rest, r.general)), _too_long(r, n))
        with_code = (exp.Case().when(taken, _checked(r, rest, empty), copy=False)
                     .else_(_checked(r, n, empty), copy=False))
    else:
        with_code = lit("?")
    return exp.Case().when(_starts(n, r.code), with_code, copy=False).else_(_checked(r, n, empty), copy=False)


def _no_digit(raw: exp.Expression) -> exp.Expression:
    """ASCII text without a digit ('brak', 'n/a', '-'): phonenumbers finds no number in it."""
    return and_(exp.EQ(this=fn("strlen", raw.copy()), expression=_len(raw)),
                    not_(fn("regexp_matches", raw.copy(), lit("[0-9]"))))


def _after_idd(idd: str, n: exp.Expression) -> exp.Expression:
    """``n`` starts with the international prefix ``idd`` (digits) and no '0' follows it (calling
    codes never start with 0): phonenumbers reads what follows as code and number."""
    return and_(_starts(n, idd), exp.NEQ(this=exp.Substring(this=n.copy(), start=_num(len(idd) + 1),
                                                                 length=_num(1)), expression=lit("0")))


# Choosing among the named regions ----------------------------------------------------------------


def _known_regions() -> exp.Expression:
    """The regions phonenumbers knows, as one literal list."""
    import phonenumbers

    text = json.dumps(sorted(phonenumbers.SUPPORTED_REGIONS), separators=(",", ":"))
    return exp.cast(exp.cast(lit(text), exp.DataType.build("JSON", dialect="duckdb")),
                    exp.DataType.build("VARCHAR[]", dialect="duckdb"))


def _shared_idd(regions: tuple[_Region, ...]) -> str | None:
    """The international prefix every named region has, when it is plain digits."""
    idds = {r.idd for r in regions}
    idd = next(iter(idds))
    return idd if len(idds) == 1 and idd and idd.isdigit() else None


def _readings(d: exp.Expression, regions: tuple[_Region, ...], at: exp.Expression | None) -> exp.Struct:
    """What the regions' choice needs of digits ``d`` (no '+'), every regular expression in it:
    each named region's national answer (E.164, '' or '?'), each international prefix's answer
    where the digits start with it (unless every region has the same one: then those digits
    never get here), whether a prefix given as a pattern leads, the row region's position."""
    settled = tuple(r for r in regions if r.own)
    fields: dict[str, exp.Expression] = {}
    if _shared_idd(regions) is None:
        for idd in sorted({r.idd for r in regions if r.idd and r.idd.isdigit()}):
            fields[f"i{idd}"] = exp.Case().when(_after_idd(idd, d), _international(settled, _after(d, idd), lit(""),
                                                                                    lit("?")), copy=False)
    for i, r in enumerate(regions, start=1):
        if r.idd is not None and not r.idd.isdigit():
            fields[f"b{i}"] = fn("regexp_matches", d.copy(), lit(f"^(?:{r.idd})"))
        if r.own:
            fields[f"n{i}"] = _national(r, d)
    if at is not None:
        fields["at"] = at
    return exp.Struct(expressions=[exp.PropertyEQ(this=exp.to_identifier(name), expression=value)
                                   for name, value in fields.items()])


def _field(v: exp.Expression, name: str) -> exp.Expression:
    return fn("struct_extract", v.copy(), lit(name))


def _region_answer(v: exp.Expression, r: _Region, i: int, shared: bool) -> exp.Expression:
    """Region ``r``'s answer (position ``i``) for digits without '+': E.164, '' or '?'."""
    national = _field(v, f"n{i}") if r.own else lit("?")
    if r.idd is None or shared:
        return national
    if not r.idd.isdigit():
        return exp.Case().when(_field(v, f"b{i}"), lit("?"), copy=False).else_(national, copy=False)
    international = _field(v, f"i{r.idd}")
    return exp.Case().when(not_(exp.Is(this=international, expression=exp.null())),
                           international.copy(), copy=False).else_(national, copy=False)


def _first(v: exp.Expression, answers: list[exp.Expression], row: bool) -> exp.Expression:
    """The answer of the regions the user named for the row: the row's region's (its position
    ``at`` in the names; '?' for a region the SQL does not read) unless it is '', then ``region``'s."""
    if not row:
        return answers[0]
    at = _field(v, "at")
    case = exp.Case().when(exp.EQ(this=at, expression=_num(1)), answers[0], copy=False)
    for i, answer in enumerate(answers[1:], start=2):
        case = case.when(exp.EQ(this=at.copy(), expression=_num(i)), exp.Case().when(
            exp.NEQ(this=answer.copy(), expression=lit("")), answer.copy(), copy=False).else_(
            answers[0].copy(), copy=False), copy=False)
    return case.else_(lit("?"), copy=False)


def _fallen_back(answers: list[exp.Expression], names: tuple[str, ...]) -> exp.Expression:
    """The fallbacks' answer (``answers`` theirs, in order, ``names`` theirs): '?' when one cannot
    tell; their one number (several regions giving the same count once); '' when none gives one;
    for different numbers ``AMBIGUOUS_PHONE`` and the candidates, as ``functions.phone_e164``
    writes them. Plain comparisons ('' sorts before any '+...')."""
    if len(answers) == 1:
        return answers[0]
    top = exp.Greatest(this=answers[0].copy(), expressions=[a.copy() for a in answers[1:]])
    unknown = or_(*(exp.EQ(this=a.copy(), expression=lit("?")) for a in answers))
    one = and_(*(paren(or_(exp.EQ(this=a.copy(), expression=lit("")), exp.EQ(this=a.copy(), expression=top.copy())))
                     for a in answers))
    candidates = fn("concat_ws", lit(", "), *(
        exp.Case().when(exp.NEQ(this=a.copy(), expression=lit("")), exp.DPipe(this=lit(f"{name} "), expression=a.copy(),
                                                                                 safe=True), copy=False)
        for a, name in zip(answers, names)))
    return (exp.Case().when(unknown, lit("?"), copy=False)
            .when(exp.EQ(this=top, expression=lit("")), lit(""), copy=False)
            .when(one, top.copy(), copy=False)
            .else_(exp.DPipe(this=lit(AMBIGUOUS_PHONE), expression=candidates, safe=True), copy=False))


def _chosen(v: exp.Expression, regions: tuple[_Region, ...], names: tuple[str, ...], row: bool) -> exp.Expression:
    """The answer from the readings ``v`` of digits without '+': the regions the user named
    decide first, and only when they give '' are the fallbacks all read."""
    shared = _shared_idd(regions) is not None
    answers = [_region_answer(v, r, i, shared) for i, r in enumerate(regions, start=1)]
    first = _first(v, answers, row)
    if len(names) == 1:
        return first
    return exp.Case().when(exp.NEQ(this=first.copy(), expression=lit("")), first.copy(), copy=False).else_(
        _fallen_back(answers[1:], names[1:]), copy=False)


def _parsed(raw: exp.Expression, regions: tuple[_Region, ...], names: tuple[str, ...],
            row_region: exp.Expression | None, known: exp.Expression | None) -> exp.Expression:
    """The trimmed value ``raw``'s answer: its E.164, NULL (invalid) or ``AMBIGUOUS_PHONE`` and
    the candidates; the SQL's, else the function's (never called for an empty value or an
    unknown row region).

    DuckDB compiles a regular expression once for a query, but again for each chunk of rows
    inside a lambda; and it computes a repeated expression once. So the readings are plain
    CASEs over the digits, each branch read only by the rows that reach it: a value with '+'
    (or, when every named region has the same international prefix, with that prefix) is read
    in one branch; so is a national number valid in ``region`` when no row region comes first;
    only the rest build the named regions' readings, chosen among in a lambda that holds no
    regular expression."""
    settled = tuple(r for r in regions if r.own)
    main, shared = regions[0], _shared_idd(regions)
    d = fn("regexp_replace", raw.copy(), lit("[^0-9+]"), lit(""), lit("g"))
    fallback = lit(",".join(names[1:]))
    regions_arg = lit(names[0]) if row_region is None else fn("concat_ws", lit(","), row_region.copy(), lit(names[0]))
    slow = exp.Anonymous(this="ferry_phone_e164", expressions=[raw.copy(), regions_arg, fallback])
    at = None if row_region is None else fn("list_position", exp.Array(expressions=[lit(r) for r in names]),
                                            exp.func("coalesce", row_region.copy(), lit(names[0])))
    none = exp.Is(this=raw.copy(), expression=exp.null())
    if known is not None:
        none = or_(none, not_(known.copy()))
    plain = and_(_matches(raw, PLAIN), exp.LTE(this=_len(raw), expression=_num(MAX_INPUT)))
    # The digits are read in the first condition, which every row evaluates: so DuckDB computes
    # them once for all their uses (it shares only what is surely computed).
    case = (exp.Case().when(and_(_starts(d, "+"), not_(paren(none)), plain),
                            _international(settled, _after(d, "+"), exp.null(), slow), copy=False)
            .when(none.copy(), exp.null(), copy=False).when(_no_digit(raw), exp.null(), copy=False)
            .when(not_(paren(plain.copy())), slow.copy(), copy=False))
    if shared is not None:  # read alike in every region (a row region not named is the library's)
        case = case.when(_after_idd(shared, d) if at is None else and_(
            _after_idd(shared, d), not_(exp.Is(this=at.copy(), expression=exp.null()))),
            _international(settled, _after(d, shared), exp.null(), slow.copy()), copy=False)
    if row_region is None and main.own and main.prefix is None and main.idd is not None and main.idd.isdigit():
        quick = and_(not_(_after_idd(main.idd, d)), not_(_starts(d, main.code)), _valid(main, d))
        case = case.when(quick, exp.DPipe(this=lit(f"+{main.code}"), expression=d.copy(), safe=True), copy=False)
    chosen = _let(_readings(d, regions, at), "v", lambda v: _chosen(v, regions, names, row_region is not None))
    # Bound, not NULLIF'd: DuckDB rewrites NULLIF(a, b) as a CASE that holds ``a`` twice.
    return case.else_(_let(chosen, "answer", lambda a: (
        exp.Case().when(exp.EQ(this=a.copy(), expression=lit("?")), slow.copy(), copy=False)
        .when(exp.EQ(this=a.copy(), expression=lit("")), exp.null(), copy=False).else_(a.copy(), copy=False))), copy=False)


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
    has_value = not_(exp.Is(this=raw.copy(), expression=exp.null()))
    row: RowInput | None = args.get("region_from")
    row_region = known = None
    also: tuple[Failure, ...] = ()
    if row is not None:
        row_region = exp.Nullif(this=exp.Upper(this=exp.Trim(this=row.value.copy())), expression=lit(""))
        known = paren(or_(exp.Is(this=row_region.copy(), expression=exp.null()),
                                  fn("list_contains", _known_regions(), row_region.copy())))
        also = (Failure(and_(has_value.copy(), not_(known.copy())), "unknown_phone_region",
                        given=row.value.copy(), column=row.column),)
    answer = _parsed(raw, regions, names, row_region, known)
    # The marker never reaches the value: only an answer with '+' is a number.
    number = _let(answer, "phone",
                  lambda a: exp.Case().when(fn("starts_with", a.copy(), lit("+")), a.copy(), copy=False))
    # The answer first: DuckDB shares (computes once) only what every row evaluates.
    invalid = and_(exp.Is(this=answer.copy(), expression=exp.null()), has_value,
                       *([known.copy()] if known is not None else []))
    if len(names) > 1:
        also += (Failure(fn("starts_with", answer.copy(), lit(AMBIGUOUS_PHONE)), "ambiguous_phone",
                         detail=exp.Substring(this=answer.copy(), start=_num(len(AMBIGUOUS_PHONE) + 1))),)
    return Applied(number, invalid, "invalid_phone", also=also)
