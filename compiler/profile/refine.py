"""From shape counts to what a column is: its kind, its shapes by name, and what a transform makes of it.

In:  ``measure.Counts`` per column, the loaded source, its DuckDB connection.
Out: ``model.Column`` tuple.

A column's kind is the kind most of its sampled values share (``_kind``). Some kinds are
looked at again, on the sample, in SQL:

- **phone**: values grouped by international prefix, first digits and digit count; each group
  is named with phonenumbers' metadata from one of its values ("+48 9-digit", "national
  9-digit", "foreign national (DE)", "unparseable"). The dominant region is the country most
  international numbers belong to.
- **NIP**: the checksum, as ``sqlgen.transforms.taxid.nip`` checks it.
- **dates and timestamps with slashes**: day first when a first part exceeds 12, else month first.
- **id numbers** (``profile.ids``): one digit count, Luhn check digit valid; **codes**: integers
  with a leading zero, or all 5 digits wide or more, kept as text.
- **not a phone**: digits none of which is international or valid in the column's region.
- **VAT numbers**: the ``vat_id`` transform's share; **countries** (``profile.countries``).
- **decimal separator**: when both occur, the one (or ``auto``) the transform accepts most values with.

Then the transform ``ferry init`` would write for the column runs over the sample, and its
share of accepted values is a ``check`` ("date yyyy-mm-dd, dd.mm.yyyy: 99.8% read").
"""

from __future__ import annotations

from collections import Counter

import duckdb
from sqlglot import exp

from compiler.profile import countries, ids, measure, shapes
from compiler.profile.measure import Counts, Loaded, sql, value
from compiler.profile.model import Column, Shape
from compiler.sqlgen.transforms import TRANSFORMS

#: Regions tried for a national number that is not valid in the dominant region (after the
#: regions of the column's international numbers).
FALLBACK_REGIONS = ("DE", "FR", "UA", "GB", "US", "CZ", "IT", "ES", "NL", "AT")
DEFAULT_REGION = "PL"
_KIND_SHARE = 0.5
#: An id number: this share of its values have its dominant digit count.
_ID_SHARE = 0.8
#: Integers all this wide (or wider) are codes (postcodes, account numbers): a quantity's width varies.
_CODE_WIDTH = 5
#: Phone numbers are grouped by this many leading digits (with the international prefix, if any)
#: and their digit count; one value per group is read by phonenumbers.
_PREFIX = 5
#: Shapes a phone column's values may have: "684527595" is an integer, "684 527 595" a decimal with space thousands.
_PHONE_SHAPES = ("phone", "integer", "dec_space_comma")


def refine(con: duckdb.DuckDBPyConnection, loaded: Loaded, counts: tuple[Counts, ...]) -> tuple[Column, ...]:
    return tuple(_column(con, loaded, name, c) for name, c in zip(loaded.columns, counts))


def _column(con: duckdb.DuckDBPyConnection, loaded: Loaded, name: str, c: Counts) -> Column:
    total = sum(n for _, n, _ in c.shapes)
    if not total:
        return Column(name, c.non_empty, c.distinct, c.top, (), "empty", (), c.min_length, c.max_length, c.approximate)
    found = [Shape(shapes.BY_KEY[k].kind, shapes.BY_KEY[k].label, n / total, n, shapes.BY_KEY[k].detail, example)
             for k, n, example in c.shapes]
    by_kind = Counter()
    for s in found:
        by_kind[s.kind] += s.share
    kind = _kind(by_kind, c)
    checks: list[tuple[str, float]] = []
    if kind in ("integer", "phone", "text") and by_kind["integer"] + by_kind["phone"] >= _KIND_SHARE:
        length, shaped, luhn = ids.check_digit(con, loaded, name, c.max_length)
        if shaped >= _ID_SHARE and luhn >= _KIND_SHARE:
            kind = "id_number"
            checks.append((f"{length} digits, Luhn check digit valid", luhn))
    if kind == "date" or kind == "timestamp":
        found = [_slashes(con, loaded, name, s) if s.label.startswith("mm/dd/yyyy") else s for s in found]
        formats = [s.detail for s in found if s.kind in ("date", "timestamp") and (kind == "timestamp" or s.kind == "date")]
        checks.append((f"{kind} {', '.join(formats)}", _accepted(con, loaded, name, kind, {"formats": formats})))
    elif kind in ("phone", "integer") and by_kind["phone"] >= 0.2:
        region, fallback, phones = _phones(con, loaded, name, total)
        # A phone column has numbers written internationally, or valid in its region; digits that
        # are neither (an id read as a German number) are not phones.
        if any(s.label.startswith(("+", "national")) for s in phones):
            kind, found = "phone", phones
            args = {"region": region, **({"fallback": fallback} if fallback else {})}
            checks.append((f"phone region {region}" + (f", fallback {', '.join(fallback)}" if fallback else ""),
                           _accepted(con, loaded, name, "phone", args)))
        else:
            kind = "integer" if by_kind["integer"] >= 0.95 else "text"
    if kind in ("integer", "text", "nip") and (by_kind["nip"] >= 0.1 or (kind == "integer" and c.min_length <= 10 <= c.max_length)):
        share = _accepted(con, loaded, name, "nip", {})
        if share >= _KIND_SHARE:
            kind = "nip"
            checks.append(("NIP checksum valid", share))
        elif kind == "nip":
            kind = "text"
    if kind == "vat_id":
        share = _accepted(con, loaded, name, "vat_id", {})
        kind = "vat_id" if share >= _KIND_SHARE else "text"
        checks.append(("VAT number of its country's shape", share))
    elif kind == "email":
        checks.append(("e-mail valid", _accepted(con, loaded, name, "email", {})))
    elif kind == "decimal":
        separator, share = _separator(con, loaded, name, found)
        checks.append((f"decimal separator '{separator}'", share))
    elif kind == "text" and (named := countries.country(con, loaded, name, c.distinct)):
        kind, found = "country", list(named)
    elif kind == "integer":
        zeros = ids.leading_zeros(con, loaded, name)
        if zeros or (c.min_length == c.max_length >= _CODE_WIDTH):
            kind = "code"
            checks.append((f"a code: {zeros:,} values with a leading zero" if zeros else
                           f"a code: every value {c.max_length} digits", 1.0))
    found.sort(key=lambda s: (-s.count, s.label))
    return Column(name, c.non_empty, c.distinct, c.top, tuple(found), kind, tuple(checks), c.min_length, c.max_length,
                  c.approximate)


def _separator(con: duckdb.DuckDBPyConnection, loaded: Loaded, name: str, found: list[Shape]) -> tuple[str, float]:
    """The decimal separator the most values are written with; when both occur, the one of ',',
    '.' and 'auto' (which reads both) the decimal transform accepts most values with."""
    shares = {sep: sum(s.share for s in found if s.kind == "decimal" and s.detail == sep) for sep in (",", ".")}
    dominant = max((",", "."), key=lambda sep: shares[sep])
    if not all(shares.values()):
        return dominant, _accepted(con, loaded, name, "decimal", {"separator": dominant})
    order = (dominant, "." if dominant == "," else ",", "auto")  # ties: the separator written most
    accepted = {sep: _accepted(con, loaded, name, "decimal", {"separator": sep}) for sep in order}
    best = max(order, key=lambda sep: (accepted[sep], -order.index(sep)))
    return best, accepted[best]


def _kind(by_kind: Counter, c: Counts) -> str:
    if by_kind["integer"] >= 0.95:
        return "integer"
    for kind in ("email", "timestamp", "date", "nip", "vat_id", "phone"):
        if by_kind[kind] >= _KIND_SHARE:
            return kind
    if by_kind["decimal"] > 0 and by_kind["decimal"] + by_kind["integer"] >= 0.9:
        return "decimal"
    if by_kind["boolean"] >= 0.9 and c.distinct <= 4:
        return "boolean"
    if by_kind["phone"] + by_kind["integer"] >= _KIND_SHARE and by_kind["phone"] >= 0.2:
        return "phone"
    return "integer" if by_kind["integer"] >= 0.9 else "text"


def _accepted(con: duckdb.DuckDBPyConnection, loaded: Loaded, name: str, transform: str, args: dict) -> float:
    """The share of sampled non-empty values the transform accepts (its SQL is built once per
    transform and arguments, as a macro: the phone transform's tree is large), run once per
    distinct value."""
    macro = _macro(con, transform, args)
    v, n = exp.column("v", quoted=True), exp.column("n", quoted=True)
    values = (exp.select(exp.alias_(value(name), "v", quoted=True), exp.alias_(exp.Count(this=exp.Star()), "n", quoted=True))
              .from_(loaded.sample).group_by(exp.Literal.number(1)))
    bad = exp.Anonymous(this=macro, expressions=[v.copy()])
    rejected = exp.Filter(this=exp.Sum(this=n.copy()), expression=exp.Where(this=bad))
    filled = exp.Filter(this=exp.Sum(this=n.copy()),
                        expression=exp.Where(this=exp.not_(exp.Is(this=v.copy(), expression=exp.null()))))
    row = con.execute(sql(exp.select(rejected, filled).from_(values.subquery("vals")))).fetchone()
    return 1 - float(row[0] or 0) / float(row[1]) if row[1] else 0.0


def _macro(con: duckdb.DuckDBPyConnection, transform: str, args: dict) -> str:
    key = (transform, repr(sorted(args.items())))
    known = _MACROS.setdefault(id(con), {})
    if key not in known:
        name = f"ferry_profile_rejects_{len(known)}"
        applied = TRANSFORMS[transform](exp.column("v"), args)
        failures = [f.invalid for f in applied.failures]
        bad = exp.or_(*failures, copy=False) if failures else exp.false()
        con.execute(f"CREATE OR REPLACE TEMP MACRO {name}(v) AS COALESCE({sql(bad)}, false)")
        known[key] = name
    return known[key]


_MACROS: dict[int, dict[tuple[str, str], str]] = {}


def forget(con: duckdb.DuckDBPyConnection) -> None:
    """Drop the connection's macro names before it closes: a later connection can get the same
    ``id`` and would be told its macros exist (a CatalogException when e2e tests ran in one process)."""
    _MACROS.pop(id(con), None)


def _slashes(con: duckdb.DuckDBPyConnection, loaded: Loaded, name: str, s: Shape) -> Shape:
    """'03/04/2021' is month first unless some first part exceeds 12 (and no second part does)."""
    v = value(name)
    pattern = next(d.pattern for d in shapes.SHAPES if d.label == s.label)  # a date, or a timestamp

    def part(n: int) -> exp.Expression:
        return exp.Max(this=exp.TryCast(this=exp.func("split_part", v.copy(), exp.Literal.string("/"),
                                                      exp.Literal.number(n), dialect="duckdb"),
                                        to=exp.DataType.build("INT")))

    match = exp.func("regexp_full_match", v.copy(), exp.Literal.string(pattern), dialect="duckdb")
    first, second = con.execute(sql(exp.select(part(1), part(2)).from_(loaded.sample).where(match))).fetchone()
    if (first or 0) > 12 and (second or 0) <= 12:
        return Shape(s.kind, s.label.replace("mm/dd", "dd/mm"), s.share, s.count, s.detail.replace("%m/%d", "%d/%m"),
                     s.example)
    return s


def _phones(con: duckdb.DuckDBPyConnection, loaded: Loaded, name: str, total: int) -> tuple[str, tuple[str, ...], list[Shape]]:
    import phonenumbers

    v = value(name)
    raw = exp.column("v", quoted=True)
    digits = exp.func("regexp_replace", raw.copy(), exp.Literal.string("[^0-9]"), exp.Literal.string(""),
                      exp.Literal.string("g"), dialect="duckdb")
    plus = exp.func("starts_with", raw.copy(), exp.Literal.string("+"), dialect="duckdb")
    zeros = exp.func("starts_with", raw.copy(), exp.Literal.string("00"), dialect="duckdb")
    kind = measure.shape_of(raw.copy())
    inner = exp.select(exp.alias_(v, "v", quoted=True)).from_(loaded.sample)
    query = (exp.select(exp.alias_(exp.or_(plus, zeros), "intl"),
                        exp.alias_(exp.func("left", digits, exp.Literal.number(_PREFIX), dialect="duckdb"), "head"),
                        exp.alias_(exp.Length(this=digits.copy()), "n"), exp.Count(this=exp.Star()), exp.Min(this=raw.copy()))
             .from_(inner.subquery("vals"))
             .where(exp.and_(exp.not_(exp.Is(this=raw.copy(), expression=exp.null())),
                             exp.In(this=kind, expressions=[exp.Literal.string(k) for k in _PHONE_SHAPES])))
             .group_by(*(exp.Literal.number(i) for i in (1, 2, 3))))
    groups = sorted(con.execute(sql(query)).fetchall(), key=lambda g: g[:3])  # in one order: a label keeps its first example
    regions: Counter[str] = Counter()
    for intl, head, n, k, example in groups:
        if intl and (region := _region(phonenumbers, head, example)):
            regions[region] += k
    region = regions.most_common(1)[0][0] if regions else DEFAULT_REGION
    others = tuple(r for r, _ in regions.most_common() if r != region)
    tried = tuple(dict.fromkeys((*others, *FALLBACK_REGIONS)))
    labels: Counter[tuple[str, str]] = Counter()
    examples: dict[tuple[str, str], str] = {}
    used: Counter[str] = Counter()
    for intl, head, n, k, example in groups:
        label = _phone_label(phonenumbers, intl, head, n, example, region, tried)
        labels[label] += k
        examples.setdefault(label, example)
        if label[0] == "foreign national":
            used[label[1]] += k
    unparsed = total - sum(labels.values())
    if unparsed:
        labels[("unparseable", "")] += unparsed
    found = [Shape("phone", lab if not detail or lab.startswith("+") else f"{lab} ({detail})", n / total, n, detail,
                   examples.get((lab, detail), "")) for (lab, detail), n in labels.items()]
    fallback = tuple(dict.fromkeys((*(r for r, _ in regions.most_common() if r != region),
                                    *(r for r, _ in used.most_common()))))
    return region, fallback[:4], found


def _region(phonenumbers, head: str, example: str) -> str | None:
    digits = head[2:] if example.startswith("00") else head
    for size in (1, 2, 3):
        regions = phonenumbers.COUNTRY_CODE_TO_REGION_CODE.get(int(digits[:size] or 0))
        if regions:
            return regions[0] if regions[0] != "001" else None
    return None


def _phone_label(phonenumbers, intl: bool, head: str, n: int, example: str, region: str,
                 tried: tuple[str, ...]) -> tuple[str, str]:
    def valid(text: str, where: str | None) -> bool:
        try:
            return phonenumbers.is_valid_number(phonenumbers.parse(text, where))
        except phonenumbers.NumberParseException:
            return False

    if intl:
        text = "+" + example.lstrip()[2:] if example.lstrip().startswith("00") else example
        try:  # parsed once (not by ``valid`` and again)
            number = phonenumbers.parse(text, None)
        except phonenumbers.NumberParseException:
            return ("unparseable", "")
        if not phonenumbers.is_valid_number(number):
            return ("unparseable", "")
        national = len(phonenumbers.national_significant_number(number))
        return (f"+{number.country_code} {national}-digit", phonenumbers.region_code_for_number(number) or "")
    if valid(example, region):
        return (f"national {n}-digit", region)
    for other in tried:
        if other != region and valid(example, other):
            return ("foreign national", other)
    return ("unparseable", "")
