"""The pandas reference: the bench export cleaned the way a pandas script does it.

    python bench/reference_pandas.py TARGET.duckdb DATA_DIR

What people write when they migrate a CRM export with pandas: read the files,
``.apply`` phonenumbers and email-validator to every value, parse dates with
``pd.to_datetime``, check the NIP, drop rejected rows and duplicates, and write
the tables out (here into a DuckDB file, so the bench can compare them with
ferry's). The rules are those of the example spec's companies and contacts:

- phones: valid numbers only (``is_valid_number``), E.164; read as PL, otherwise
  as DE, FR and UA, where exactly one number must come out (two different
  numbers are ambiguous, as ferry decides); a contact with a bad phone is
  rejected, a company keeps its row and loses the phone;
- e-mails: ``validate_email(check_deliverability=False).normalized``, lower-cased;
- dates: the spec's formats, the first that reads the value; NIP: 10 digits after
  separators and a PL prefix are removed, weights 6,5,7,2,3,4,5,6,7 mod 11;
- company status mapped strictly; names squished, full name title-cased;
- duplicates: contacts on e-mail, then on phone; companies on NIP (first row kept).

Activities are read and written as they come. TARGET gets tables company, contact,
activity and ``findings`` (entity, source_key, field, rule): every value a rule
refused, whether its row was rejected or the value emptied; ``timings``: seconds per phase.
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path

import duckdb
import email_validator
import pandas as pd
import phonenumbers

PHONE_REGION = "PL"
PHONE_FALLBACK = ("DE", "FR", "UA")
CONTACT_DATES = ("%Y-%m-%d", "%d.%m.%Y", "%m/%d/%Y")
COMPANY_DATES = ("%Y-%m-%d", "%d.%m.%Y")
STATUSES = {"aktywny": "active", "nieaktywny": "inactive", "archiwum": "archived"}
NIP_WEIGHTS = (6, 5, 7, 2, 3, 4, 5, 6, 7)


def read_csv(path: Path, **options) -> pd.DataFrame:
    """Every column as text; only an empty field is missing ('NA' or 'None' stay names)."""
    return pd.read_csv(path, dtype=str, keep_default_na=False, na_values=[""], **options)


def valid_e164(text: str, region: str) -> str | None:
    try:
        number = phonenumbers.parse(text, region)
    except phonenumbers.NumberParseException:
        return None
    if not phonenumbers.is_valid_number(number):
        return None
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def phone_e164(raw) -> tuple[str | None, str | None]:
    """(E.164, None), or (None, the rule that refused it); (None, None) when there is no phone."""
    if pd.isna(raw) or not raw.strip():
        return None, None
    number = valid_e164(raw, PHONE_REGION)
    if number:
        return number, None
    found = {n for region in PHONE_FALLBACK if (n := valid_e164(raw, region))}
    if len(found) == 1:
        return found.pop(), None
    return None, "ambiguous_phone" if found else "invalid_phone"


def normalized_email(raw) -> tuple[str | None, str | None]:
    """(normalized address, lower-cased, None), or (None, 'invalid_email'); (None, None) when empty."""
    if pd.isna(raw) or not raw.strip():
        return None, None
    try:
        return email_validator.validate_email(raw.strip(), check_deliverability=False).normalized.lower(), None
    except email_validator.EmailNotValidError:
        return None, "invalid_email"


def nip_ok(nip: str) -> bool:
    if len(nip) != 10 or not nip.isdigit():
        return False
    return sum(int(d) * w for d, w in zip(nip, NIP_WEIGHTS)) % 11 == int(nip[9])


def squish(s: pd.Series) -> pd.Series:
    return s.str.replace(r"\s+", " ", regex=True).str.strip()


def parse_dates(s: pd.Series, formats: tuple[str, ...]) -> pd.Series:
    """The first format that reads each value; NaT where none does."""
    text = s.str.strip()
    out = pd.to_datetime(text, format=formats[0], errors="coerce")
    for fmt in formats[1:]:
        out = out.fillna(pd.to_datetime(text, format=fmt, errors="coerce"))
    return out


def split_result(pairs: pd.Series) -> tuple[pd.Series, pd.Series]:
    """A Series of (value, problem) pairs as two Series."""
    return pairs.str[0], pairs.str[1]


class Clock:
    """Wall time per phase, for the bench's report (not something a pandas script needs)."""

    def __init__(self) -> None:
        self.laps: list[tuple[str, float]] = []
        self.last = time.perf_counter()

    def lap(self, phase: str) -> None:
        now = time.perf_counter()
        self.laps.append((phase, now - self.last))
        self.last = now


class Findings:
    """Every refused value: (entity, source_key, field, rule)."""

    def __init__(self) -> None:
        self.frames: list[pd.DataFrame] = []

    def add(self, entity: str, keys: pd.Series, field: str, rules: pd.Series) -> None:
        hit = rules.notna()
        self.frames.append(pd.DataFrame({"entity": entity, "source_key": keys[hit], "field": field,
                                         "rule": rules[hit]}))

    def frame(self) -> pd.DataFrame:
        return pd.concat(self.frames, ignore_index=True)


def clean_contacts(raw: pd.DataFrame, findings: Findings) -> pd.DataFrame:
    df = raw[raw["contact_id"].notna()].copy()
    keys = df["contact_id"]
    out = pd.DataFrame({"contact_id": keys})
    out["first_name"] = squish(df["first_name"])
    out["last_name"] = squish(df["last_name"])
    out["full_name"] = squish(df["first_name"].fillna("") + " " + df["last_name"].fillna("")).str.title()
    out["email"], email_problem = split_result(df["email"].apply(normalized_email))
    out["all_emails"] = out["email"]
    out["phone"], phone_problem = split_result(df["phone"].apply(phone_e164))
    out["city"] = squish(df["city"])
    out["created_on"] = parse_dates(df["created_at"], CONTACT_DATES)
    date_problem = pd.Series("invalid_date", index=df.index).where(df["created_at"].notna() & out["created_on"].isna())
    out["notes"] = df["notes"]
    out["company_id"] = df["company_id"]
    out["reports_to"] = df["reports_to"]
    findings.add("contact", keys, "email", email_problem)
    findings.add("contact", keys, "phone", phone_problem)
    findings.add("contact", keys, "created_on", date_problem)
    out = out[email_problem.isna() & phone_problem.isna() & date_problem.isna()]
    out = out[out["email"].isna() | ~out["email"].duplicated()]
    return out[out["phone"].isna() | ~out["phone"].duplicated()]


def clean_companies(raw: pd.DataFrame, findings: Findings) -> pd.DataFrame:
    df = raw[raw["firma_id"].notna()].copy()
    keys = df["firma_id"]
    out = pd.DataFrame({"firma_id": keys})
    out["name"] = squish(df["nazwa"])
    nip = df["nip"].str.strip()
    nip = nip.where(nip != "").str.upper().str.replace(r"[ -]", "", regex=True).str.replace(r"^PL", "", regex=True)
    nip_problem = pd.Series("invalid_nip", index=df.index).where(nip.notna() & ~nip.fillna("").apply(nip_ok))
    out["nip"] = nip
    out["city"] = squish(df["miasto"])
    out["country"] = df["kraj"].str.strip().str.upper()
    out["phone"], phone_problem = split_result(df["telefon"].apply(phone_e164))  # a bad phone is emptied
    out["created_on"] = parse_dates(df["data_utworzenia"], COMPANY_DATES)
    date_problem = pd.Series("invalid_date", index=df.index).where(
        df["data_utworzenia"].notna() & out["created_on"].isna())
    status = df["status"].str.lower()
    out["status"] = status.map(STATUSES)
    status_problem = pd.Series("unmapped_value", index=df.index).where(status.notna() & out["status"].isna())
    out["parent_id"] = df["firma_nadrzedna"]
    for field, problem in (("nip", nip_problem), ("phone", phone_problem), ("created_on", date_problem),
                           ("status", status_problem)):
        findings.add("company", keys, field, problem)
    out = out[nip_problem.isna() & date_problem.isna() & status_problem.isna()]
    return out[out["nip"].isna() | ~out["nip"].duplicated()]


def read_activities(path: Path) -> pd.DataFrame:
    df = pd.read_json(path, lines=True, dtype=False)
    df["meta"] = df["meta"].map(lambda m: json.dumps(m, ensure_ascii=False), na_action="ignore")
    return df


def main(target: Path, data: Path) -> None:
    """TARGET gets the tables, and ``timings`` (phase, seconds): where the script's time went."""
    findings = Findings()
    clock = Clock()
    companies = read_csv(data / "companies.csv", sep=";", encoding="cp1250")
    contacts = read_csv(data / "contacts.csv", sep=",", encoding="utf-8-sig")
    clock.lap("read companies and contacts")
    companies = clean_companies(companies, findings)
    clock.lap("clean companies")
    contacts = clean_contacts(contacts, findings)
    clock.lap("clean contacts")
    activities = read_activities(data / "activities.ndjson")
    clock.lap("read activities")
    found = findings.frame()
    with duckdb.connect(str(target)) as con:
        con.register("companies", companies)
        con.register("contacts", contacts)
        con.register("activities", activities)
        con.register("found", found)
        con.execute("CREATE TABLE company AS SELECT * REPLACE (created_on::DATE AS created_on) FROM companies")
        con.execute("CREATE TABLE contact AS SELECT * REPLACE (created_on::DATE AS created_on) FROM contacts")
        con.execute("CREATE TABLE activity AS SELECT * FROM activities")
        con.execute("CREATE TABLE findings AS SELECT * FROM found")
        clock.lap("write tables")
        con.execute("CREATE TABLE timings (phase VARCHAR, seconds DOUBLE)")
        con.executemany("INSERT INTO timings VALUES (?, ?)", clock.laps)


if __name__ == "__main__":
    main(Path(sys.argv[1]), Path(sys.argv[2]))
