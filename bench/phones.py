"""The phone transform's SQL route on generated phone strings: what the SQL settles, and its cost.

    python bench/phones.py [--rows 200000] [--region PL] [--fallback UA,DE,FR] [--repeat 3]

Generates (seeded, in memory) phone strings from ten countries (PL UA DE FR GB US IT ES CZ
NL): numbers built from phonenumbers' example numbers with random trailing digits (so some
are valid and some are not), written in E.164, international, national and messy shapes
(dashes, dots, brackets, '00', '(0)', an extension, letters), plus junk. Then, in one
DuckDB session, each timed as the median of --repeat runs of one query over the table:

* ``full``: the compiled transform as ``ferry run`` executes it (SQL fast path, then the
  phonenumbers function for what the SQL leaves), with the function's cache cleared first;
* ``fast path only``: the same SQL with the function replaced by a SQL macro returning NULL
  (no Python call), which also counts the rows the SQL converts by itself, and (with a macro
  returning a marker) the rows it leaves to the function;
* ``library only``: phonenumbers in a Python loop over the same strings (no SQL).

Times are wall-clock and this process's CPU time (the machine may be shared: CPU time is the
steadier one). The query computes the value and the reject condition, as a compiled entity
does. Prints times; nothing is asserted (this is not a timed test).
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import time
from pathlib import Path

import duckdb
import phonenumbers
from sqlglot import exp

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from compiler import functions  # noqa: E402
from compiler.sqlgen.transforms import TRANSFORMS  # noqa: E402

COUNTRIES = ("PL", "UA", "DE", "FR", "GB", "US", "IT", "ES", "CZ", "NL")
KINDS = (phonenumbers.PhoneNumberType.MOBILE, phonenumbers.PhoneNumberType.FIXED_LINE)
FORMATS = (phonenumbers.PhoneNumberFormat.E164, phonenumbers.PhoneNumberFormat.INTERNATIONAL,
           phonenumbers.PhoneNumberFormat.NATIONAL)


def generate(rows: int, seed: int = 20261201) -> list[str]:
    """``rows`` phone strings; the home country (PL) is half of them."""
    rng = random.Random(seed)
    examples = [(c, phonenumbers.example_number_for_type(c, k)) for c in COUNTRIES for k in KINDS]
    examples = [(c, e) for c, e in examples if e is not None]
    home = [(c, e) for c, e in examples if c == "PL"]
    out = []
    for _ in range(rows):
        country, example = rng.choice(home if rng.random() < 0.5 else examples)
        nsn = phonenumbers.national_significant_number(example)
        digits = nsn[:3] + "".join(rng.choice("0123456789") for _ in nsn[3:])
        number = phonenumbers.parse(f"+{example.country_code}{digits}")
        text = phonenumbers.format_number(number, rng.choice(FORMATS))
        out.append(_mess(rng, text, str(example.country_code)))
    return out


def _mess(rng: random.Random, text: str, code: str) -> str:
    x = rng.random()
    if x < 0.45:
        return text
    if x < 0.55:
        return text.replace(" ", "-")
    if x < 0.62:
        return text.replace(" ", ".")
    if x < 0.70:
        return text.replace("+", "00", 1)
    if x < 0.76:
        return text.replace(" ", "")[1:] if text.startswith("+") else code + text.replace(" ", "")
    if x < 0.80:
        return f"({text[:4]}) {text[4:]}"
    if x < 0.83:
        return text.replace(f"+{code} ", f"+{code} (0)", 1)
    if x < 0.86:
        return f"{text} ext. {rng.randint(1, 999)}"
    if x < 0.88:
        return f"tel. {text}"
    if x < 0.91:
        return text[:-3]
    if x < 0.94:
        return text + str(rng.randint(0, 99))
    return rng.choice(["brak", "n/a", "-", "0", "000000000", "123", "+", "x" * 8])


def _query(region: str, fallback: tuple[str, ...]) -> str:
    args = {"region": region, **({"fallback": fallback} if fallback else {})}
    applied = TRANSFORMS["phone"](exp.column("v"), args)
    return exp.select(exp.alias_(exp.Count(this=applied.value), "converted"),
                      exp.alias_(exp.func("count_if", exp.or_(*(f.invalid for f in applied.failures))), "rejected")
                      ).from_("phones").sql("duckdb")


def _timed(repeat: int, run) -> tuple[str, object]:
    walls, cpus, result = [], [], None
    for _ in range(repeat):
        wall, cpu = time.perf_counter(), time.process_time()
        result = run()
        walls.append(time.perf_counter() - wall)
        cpus.append(time.process_time() - cpu)
    return f"{statistics.median(walls):.3f} s wall, {statistics.median(cpus):.3f} s CPU", result


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=200_000)
    parser.add_argument("--region", default="PL")
    parser.add_argument("--fallback", default="UA,DE,FR")
    parser.add_argument("--repeat", type=int, default=3)
    options = parser.parse_args()
    fallback = tuple(r for r in options.fallback.split(",") if r)
    values = generate(options.rows)
    print(f"{len(values)} strings, {len(set(values))} distinct; region {options.region}, fallback {fallback}")
    query = _query(options.region, fallback)
    print(f"compiled SQL of the transform: {len(query)} characters")

    full = functions.register(duckdb.connect())
    fast = duckdb.connect()
    # A SQL macro, not a Python function: no per-row call, so this times the SQL alone.
    fast.execute("CREATE MACRO ferry_phone_e164(v, r, f) AS CAST(NULL AS VARCHAR)")
    for con in (full, fast):
        con.execute("CREATE TABLE phones AS SELECT unnest($1::VARCHAR[]) AS v", [values])

    def full_run():
        functions.phone_e164.cache_clear()
        return full.execute(query).fetchone()

    seconds, (converted, rejected) = _timed(options.repeat, full_run)
    print(f"full (SQL + phonenumbers): {seconds}; converted {converted}, rejected {rejected}")
    seconds, (settled, _) = _timed(options.repeat, lambda: fast.execute(query).fetchone())
    print(f"fast path only (function = NULL): {seconds}; converted by SQL alone {settled} "
          f"({settled / max(converted, 1):.1%} of the converted)")
    marked = duckdb.connect()
    # A marker with '+': the transform's value passes numbers only.
    marked.execute("CREATE MACRO ferry_phone_e164(v, r, f) AS '+?'")
    marked.execute("CREATE TABLE phones AS SELECT unnest($1::VARCHAR[]) AS v", [values])
    args = {"region": options.region, **({"fallback": fallback} if fallback else {})}
    value = TRANSFORMS["phone"](exp.column("v"), args).value.sql("duckdb")
    (left,) = marked.execute(f"SELECT count_if(({value}) = '+?') FROM phones").fetchone()
    print(f"left to phonenumbers by the SQL: {left} of {len(values)} rows ({left / len(values):.1%})")

    def library():
        functions.phone_e164.cache_clear()
        answers = (functions.phone_e164(v.strip(), options.region, ",".join(fallback)) for v in values if v.strip())
        return sum(a is not None and a.startswith("+") for a in answers)

    seconds, count = _timed(options.repeat, library)
    print(f"library only (phonenumbers loop): {seconds}; converted {count}")


if __name__ == "__main__":
    main()
