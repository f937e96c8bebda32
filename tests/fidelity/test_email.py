"""Fidelity of ``email``: ferry gives exactly email-validator's normalized address, or rejects
where it does.

Reference: ``email_validator.validate_email(text, check_deliverability=False).normalized``
(syntax only, no DNS), ``text`` being the value without surrounding spaces; invalid is a reject.

Corpus (``CORPUS``, about 500 strings): addresses as CRMs in PL, UA, DE, FR and elsewhere hold
them: ASCII and Unicode local parts (zażółć, олена, jürgen, élodie), IDNA and Unicode domains
(łódź.pl, xn--...), upper-case domains, plus tags and dots, quoted local parts, IP literals,
reserved names (.test, .local, localhost), one-letter and numeric TLDs, doubled or leading dots,
missing parts, several '@', spaces and over-long parts; each also with spaces around it.
Checked: the compiled SQL with the registered function equals the reference; the SQL alone
(the function replaced by one returning NULL) never gives another value and settles plain
ASCII addresses by itself; hypothesis: generated local parts and domains.

Internationalized corpus (``I18N``, about 1,400 strings): Polish, German, French, Ukrainian,
Greek and Vietnamese local parts and IDNA domains in both cases, mixed scripts and confusables
(Cyrillic 'а' in a Latin word), combining characters (NFC changes them), characters that look
like letters but are not (fullwidth, Kelvin sign, long s, dotless and dotted i, circled
letters), invisible and space characters, RFC 2142 mailbox names in any case, A-labels
('xn--', valid, upper-case, fake), special-use names, quoted local parts, labels near the
63-octet A-label limit and addresses near 254 octets. Checked as above, plus: the SQL alone
settles the common internationalized shapes, and every letter the SQL admits behaves in
email-validator (and idna, unicodedata, DuckDB's ``lower``) as the SQL assumes.
"""

from __future__ import annotations

import importlib
import random
import unicodedata

import duckdb
import email_validator
from hypothesis import example, given, settings, strategies as st

from tests.fidelity.harness import Outcome, disagreements, expected, outcomes

contact = importlib.import_module("compiler.sqlgen.transforms.contact")

LOCALS = ["anna.nowak", "Anna.Nowak", "j.kowalski+crm", "o'brien", "zofia_wojcik", "x", "a" * 64, "a" * 65,
          "zażółć", "олена.коваленко", "jürgen.groß", "élodie", "user..name", ".user", "user.", "\"quoted name\"",
          "\"a@b\"", "user name", "user@name", "", "1234", "first-last", "a!b#c$d%e&f'g*h+i/j=k?l^m_n`o{p|q}r~s",
          "ÄÖÜ", "用户", "kontakt", "biuro"]
DOMAINS = ["example.pl", "Example.COM", "wp.pl", "o2.pl", "ukr.net", "gmail.com", "t-online.de", "orange.fr",
           "mail.co.uk", "łódź.pl", "xn--dzkaa5a.pl", "пример.укр", "bücher.de", "a-b.de", "-x.pl", "x-.pl",
           "ab--cd.fr", "x..pl", "x.p", "x.123", "localhost", "x.test", "x.local", "x.onion", "[1.2.3.4]",
           "[IPv6:::1]", "1.2.3.4", "x" * 64 + ".pl", ("a" * 63 + ".") * 4 + "pl", "EXAMPLE.PL."]


def _corpus() -> list[str]:
    out = [f"{local}@{domain}" for local in LOCALS for domain in DOMAINS[:12]]
    out += [f"{local}@{domain}" for local in LOCALS[:4] + LOCALS[8:10] for domain in DOMAINS]
    out += ["plain", "@example.pl", "anna@", "a@b@c.pl", "anna nowak@example.pl", "anna@exa mple.pl", "@", ""]
    out += [f"  {v} " for v in out[::7]]
    return list(dict.fromkeys(out))


CORPUS = _corpus()


def reference(value: str) -> str | None:
    try:
        return email_validator.validate_email(value.strip(" "), check_deliverability=False).normalized
    except email_validator.EmailNotValidError:
        return None


def _sql_alone() -> duckdb.DuckDBPyConnection:
    con = duckdb.connect()
    con.execute("CREATE MACRO ferry_email(v) AS CAST(NULL AS VARCHAR)")
    return con


SQL_ALONE = _sql_alone()


def _different_values(inputs: list[str], got: list[Outcome], want: list[Outcome]) -> list[str]:
    return [f"{v!r}: SQL {g.value}, reference {w}" for v, g, w in zip(inputs, got, want)
            if g.value is not None and g.value != w.value]


def test_sql_route_equals_email_validator():
    want = expected(reference, CORPUS)
    got = outcomes("email", CORPUS)
    assert got == want, "\n".join(disagreements(CORPUS, got, want)[:30])


def test_sql_alone_never_gives_another_value():
    want = expected(reference, CORPUS)
    got = outcomes("email", CORPUS, con=SQL_ALONE)
    assert not _different_values(CORPUS, got, want), "\n".join(_different_values(CORPUS, got, want)[:30])


def test_sql_alone_settles_plain_addresses():
    plain = [" Zofia.Wojcik@Example.PL ", "o'brien+crm@Mail.Co.UK", "j.kowalski@wp.pl", "olena@ukr.net"]
    assert outcomes("email", plain, con=SQL_ALONE) == [
        Outcome("Zofia.Wojcik@example.pl"), Outcome("o'brien+crm@mail.co.uk"), Outcome("j.kowalski@wp.pl"),
        Outcome("olena@ukr.net")]


EMAIL_PARTS = st.text("abcXYZ09._-+'łö", min_size=1, max_size=12)


@given(st.lists(st.tuples(EMAIL_PARTS, st.sampled_from(DOMAINS), st.sampled_from(["", " ", "  "])), min_size=1,
                max_size=30))
@example([("Zofia.Wojcik", "Example.PL", " ")])
@settings(max_examples=60, deadline=None)
def test_generated_addresses(parts):
    values = [f"{pad}{local}@{domain}{pad}" for local, domain, pad in parts] + ["", "plain", "a@b@c.pl"]
    want = expected(reference, values)
    assert outcomes("email", values) == want
    assert not _different_values(values, outcomes("email", values, con=SQL_ALONE), want)


# Internationalized addresses ---------------------------------------------------------------------

I18N_LOCALS = ["zażółć.gęślą", "Łukasz.Żółkiewski", "jürgen.müller", "Jürgen", "straße", "ẞtraße", "ÄÖÜ", "françois",
               "Élodie.Lefèvre", "ŒUVRE", "олександр", "Олена.Коваленко", "ґанок", "їжак", "ЄВГЕН", "δοκιμή",
               "nguyễn.văn", "mixedłатиница", "раураl", "аdmin", "e\u0301lodie", "\u0301abc", "zaz\u0307o",
               "Ａnna", "ǅemal", "İnfo", "ınfo", "\u212aelvin", "ſales", "INFO", "Info", "PostMaster", "sales",
               "Support", "info.biuro", "ìnfo", "a\u200bb", "a\u00a0b", "ab\u00adc", "a·b", "ÿ", "ß", "用户",
               "\"zażółć gęślą\"", "\"Łukasz\"", "ł..ż", ".ł", "ł.", "ł" * 64 + "x", "ł" * 120]
I18N_DOMAINS = ["łódź.pl", "ŁÓDŹ.PL", "żółw.com.pl", "bücher.de", "BÜCHER.DE", "straße.de", "müller-shop.de",
                "café.fr", "ÉLYSÉE.FR", "пример.укр", "київ.ua", "КИЇВ.UA", "пошта.com.ua", "mail.укр",
                "παράδειγμα.gr", "việt.vn", "xn--dzkaa5a.pl", "XN--DZKAA5A.PL", "xn--80ak6aa92e.com", "xn--zz.pl",
                "xn---bbk.pl", "łódź.test", "bücher.local", "пример.onion", "x.łódź.arpa", "łó--dź.pl",
                "ab--ćd.pl", "-łódź.pl", "łódź-.pl", "ł.pl", "ı.pl", "ſ.pl", "İ.pl", "ⓐ.pl", "ǆ.pl", "раураl.com",
                "gооgle.com", "zażółćgęśląjaźń.pl", "ą" * 11 + ".pl", "ą" * 12 + ".pl", "ł" * 30 + ".pl",
                "ж" * 11 + ".ua", "ж" * 12 + ".ua", "łódź。pl", "lo\u0301dz.pl", "łódź..pl", "łódź.p", "łódź.c0m",
                "łódź.1a", "łódź.p1", "(łódź).pl", "ł\u200bódź.pl", ("ą" * 11 + ".") * 5 + "pl",
                ("a" * 40 + "ą" * 6 + ".") * 3 + "pl"]


def _i18n_corpus() -> list[str]:
    out = [f"{local}@{domain}" for local in I18N_LOCALS for domain in I18N_DOMAINS[:10] + DOMAINS[:4]]
    out += [f"{local}@{domain}" for local in LOCALS[:3] + I18N_LOCALS[:6] for domain in I18N_DOMAINS]
    out += [f"{'ł' * n}@{'ą' * 11}.pl" for n in (90, 95, 100, 105, 110)]
    out += [f"  {v} " for v in out[::11]]
    return list(dict.fromkeys(out))


I18N = _i18n_corpus()


def test_sql_route_equals_email_validator_internationalized():
    want = expected(reference, I18N)
    got = outcomes("email", I18N)
    assert got == want, "\n".join(disagreements(I18N, got, want)[:30])


def test_sql_alone_never_gives_another_value_internationalized():
    want = expected(reference, I18N)
    got = outcomes("email", I18N, con=SQL_ALONE)
    assert not _different_values(I18N, got, want), "\n".join(_different_values(I18N, got, want)[:30])


def test_sql_alone_settles_internationalized_addresses():
    """Unicode local parts and IDNA domains of the common scripts, RFC 2142 names in any case."""
    given = ["Zażółć.Gęślą@ŁÓDŹ.pl", "jürgen.groß@Bücher.DE", "Élodie@Élysée.fr", "Олена.Коваленко@КИЇВ.ua",
             "ґанок@пошта.com.ua", "INFO@Firma.PL", "PostMaster@wp.pl", "Info.Biuro@wp.pl", "nguyễn.văn@example.vn"]
    assert outcomes("email", given, con=SQL_ALONE) == [
        Outcome("Zażółć.Gęślą@łódź.pl"), Outcome("jürgen.groß@bücher.de"), Outcome("Élodie@élysée.fr"),
        Outcome("Олена.Коваленко@київ.ua"), Outcome("ґанок@пошта.com.ua"), Outcome("info@firma.pl"),
        Outcome("postmaster@wp.pl"), Outcome("Info.Biuro@wp.pl"), Outcome("nguyễn.văn@example.vn")]
    assert [Outcome(reference(v)) for v in given] == outcomes("email", given, con=SQL_ALONE)


I18N_PARTS = st.text("abcXYZ09._-+'łöżЖжяÜßé\u0301İı", min_size=1, max_size=12)
I18N_LABELS = st.text("abcz09-łóżжяüßéΣσİıſ", min_size=1, max_size=16)


@given(st.lists(st.tuples(I18N_PARTS, I18N_LABELS, st.sampled_from(["pl", "PL", "ua", "укр", "test", "p"])),
                min_size=1, max_size=30))
@example([("Zofia", "łódź", "pl"), ("ł", "ą" * 11, "pl"), ("ł", "ą" * 12, "pl")])
@settings(max_examples=60, deadline=None)
def test_generated_internationalized_addresses(parts):
    values = [f"{local}@{label}.{tld}" for local, label, tld in parts]
    want = expected(reference, values)
    assert outcomes("email", values) == want
    assert not _different_values(values, outcomes("email", values, con=SQL_ALONE), want)


def _letters(ranges: tuple[tuple[int, int], ...]) -> list[str]:
    return [chr(c) for start, end in ranges for c in range(start, end + 1)]


def _composition_seconds() -> set[int]:
    """Characters that compose with the one before them under NFC (the second of a canonical pair)."""
    out = set()
    for cp in range(0x110000):
        parts = unicodedata.decomposition(chr(cp)).split()
        if len(parts) == 2 and not parts[0].startswith("<"):
            out.add(int(parts[1], 16))
    return out


def test_local_letters_are_what_email_validator_keeps():
    """Each letter the SQL admits in a local part is a letter in NFC that never composes with a
    neighbour (so NFC leaves any run of them unchanged), and email-validator keeps it as is."""
    seconds = _composition_seconds()
    wrong = []
    for c in _letters(contact.LOCAL_LETTERS):
        ok = (unicodedata.category(c).startswith("L") and unicodedata.combining(c) == 0
              and unicodedata.normalize("NFC", c) == c and ord(c) not in seconds)
        if not ok or reference(f"x{c}.{c}y{c}@example.pl") != f"x{c}.{c}y{c}@example.pl":
            wrong.append(f"U+{ord(c):04X}")
    assert not wrong, wrong


def test_domain_letters_map_as_duckdb_lowers_them():
    """Each letter the SQL admits in a domain label: below U+0800 (two UTF-8 octets, so the
    Punycode bound holds), UTS-46 maps it to what DuckDB's ``lower`` gives, of the same UTF-8
    length, a left-to-right letter IDNA 2008 allows (PVALID) that never composes with a
    neighbour, and email-validator keeps the lowered label."""
    import idna
    from idna import idnadata
    from idna.intranges import intranges_contain

    letters = _letters(contact.DOMAIN_LETTERS)
    lowered = dict(duckdb.connect().execute("SELECT c, lower(c) FROM unnest($1::VARCHAR[]) AS t(c)",
                                            [letters]).fetchall())
    seconds = _composition_seconds()
    wrong = []
    for c in letters:
        low = lowered[c]
        ok = (ord(c) < 0x800 and len(low) == 1 and len(low.encode()) == len(c.encode())
              and idna.uts46_remap(c, std3_rules=False) == low and unicodedata.normalize("NFC", low) == low
              and unicodedata.combining(low) == 0 and ord(low) not in seconds
              and unicodedata.bidirectional(c) == unicodedata.bidirectional(low) == "L"
              and intranges_contain(ord(low), idnadata.codepoint_classes["PVALID"]))
        if not ok or reference(f"a@x{c}{c}y.pl") != f"a@x{low}{low}y.pl":
            wrong.append(f"U+{ord(c):04X}")
    assert not wrong, wrong


def _punycode_digits(q: int, bias: int) -> int:
    """Digits RFC 3492 writes for the delta ``q`` under ``bias`` (base 36, tmin 1, tmax 26)."""
    k, n = 36, 0
    while True:
        t = 1 if k <= bias else 26 if k >= bias + 26 else k - bias
        n += 1
        if q < t:
            return n
        q, k = (q - t) // (36 - t), k + 36


def test_punycode_bound():
    """A delta in a label of at most 63 characters below U+0800 is below (0x800 - 128) * 63
    (code point steps times positions), and no bias writes it in more than ``PUNYCODE_DIGITS``
    digits (more digits only for larger deltas): so an A-label of n characters, u of them not
    ASCII, has at most 5 + n + 4u octets. Checked on real labels too."""
    assert max(_punycode_digits((0x800 - 128) * 63, bias) for bias in range(1000)) == contact.PUNYCODE_DIGITS
    import idna

    rng = random.Random(7)
    letters = _letters(contact.DOMAIN_LETTERS)
    for _ in range(2000):
        label = "".join(rng.choice(letters + list("abz09")) for _ in range(rng.randint(1, 14)))
        wide = sum(1 for c in label if ord(c) > 127)
        if not wide:
            continue
        try:
            alabel = idna.alabel(idna.uts46_remap(label, std3_rules=False))
        except idna.IDNAError:
            continue
        assert len(alabel) <= 5 + len(label) + (contact.PUNYCODE_DIGITS - 1) * wide, label


def test_sql_alone_rejects_values_without_a_usable_at_sign():
    """No '@', or '@' first or last: invalid for email-validator whatever else the value holds,
    so the SQL rejects it without the library; everything else unsettled still goes to it."""
    con = duckdb.connect()
    con.execute("CREATE MACRO ferry_email(v) AS 'library'")
    hopeless = ["brak", "-", "n/a", "x@", "@x.pl", "a@b@", "x@y.pl@", "jan.kowalski(at)wp.pl"]
    assert all(reference(v) is None for v in hopeless)
    assert outcomes("email", hopeless, con=con) == [Outcome.reject()] * len(hopeless)
    assert outcomes("email", ["a@b@c.pl", '"a b"@x.pl', "x@y.test", '"a@"', "Name <x@>"], con=con) == [Outcome("library")] * 5
