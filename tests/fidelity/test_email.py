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
"""

from __future__ import annotations

import duckdb
import email_validator
from hypothesis import example, given, settings, strategies as st

from tests.fidelity.harness import Outcome, disagreements, expected, outcomes

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
