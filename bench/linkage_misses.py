"""The pairs bench/linkage.py's model missed, by cause: which blocking rule could have found them
and how the names compare.

    python bench/linkage_misses.py [model|model_link]

Reads bench/.data/linkage (left by bench/linkage.py: crm.csv, shop.ndjson, truth.csv and the
variant's target). A missed pair is two records of one person in the truth that the run left
in two clusters (``model_link``: across the systems only). Per pair: whether the blocking keys
(phone's last nine digits, e-mail user, company) agree, whether the first and last names are
equal (accents folded, lower case), similar (Jaro-Winkler >= 0.8) or else, whether they are
swapped, whether the cities agree, and the model's probability if the pair was scored above
the review band. Prints the counts by cause and a few examples.
"""

from __future__ import annotations

import sys
from pathlib import Path

import duckdb

WORK = Path(__file__).resolve().parent / ".data" / "linkage"
_RECORDS = """
CREATE TABLE rec AS
SELECT 'crm' AS src, contact_id AS id, first_name AS fn, last_name AS ln,
       nullif(split_part(lower(trim(email)), '@', 1), '') AS eu,
       nullif(right(regexp_replace(phone, '[^0-9]', '', 'g'), 9), '') AS ph, city, company_id AS co
FROM read_csv($crm, all_varchar = true)
UNION ALL
SELECT 'shop', customer_no, given_name, family_name, nullif(split_part(lower(trim(mail)), '@', 1), ''),
       nullif(right(regexp_replace(tel, '[^0-9]', '', 'g'), 9), ''), town, firm
FROM read_json($shop, columns = {customer_no: 'VARCHAR', given_name: 'VARCHAR', family_name: 'VARCHAR',
                                 mail: 'VARCHAR', tel: 'VARCHAR', firm: 'VARCHAR', town: 'VARCHAR'})
"""
_MISSED = """
CREATE TABLE miss AS
SELECT a.source AS sa, a.id AS ia, b.source AS sb, b.id AS ib
FROM read_csv($truth, all_varchar = true) a JOIN read_csv($truth, all_varchar = true) b
  ON a.cluster = b.cluster AND (a.source, a.id) < (b.source, b.id)
JOIN t._ferry.contact_crosswalk fa ON fa.source = a.source AND fa.source_key = a.id
JOIN t._ferry.contact_crosswalk fb ON fb.source = b.source AND fb.source_key = b.id
WHERE fa.id <> fb.id AND (NOT $across OR a.source <> b.source)
"""
_NAME = ("CASE WHEN lower(strip_accents(l.{f})) = lower(strip_accents(r.{f})) THEN 'exact' "
         "WHEN jaro_winkler_similarity(lower(strip_accents(l.{f})), lower(strip_accents(r.{f}))) >= 0.8 "
         "THEN 'similar' ELSE 'else' END")
_CAUSES = f"""
CREATE TABLE causes AS
SELECT m.*, l.fn AS lfn, r.fn AS rfn, l.ln AS lln, r.ln AS rln, l.city AS city, p.probability,
       coalesce(l.ph = r.ph, false) AS phone, coalesce(l.eu = r.eu, false) AS email_user,
       coalesce(l.co = r.co, false) AS company,
       {_NAME.format(f='fn')} AS first_name, {_NAME.format(f='ln')} AS last_name,
       coalesce(lower(strip_accents(l.fn)) = lower(strip_accents(r.ln))
                OR lower(strip_accents(l.ln)) = lower(strip_accents(r.fn)), false) AS swapped,
       lower(strip_accents(l.city)) = lower(strip_accents(r.city)) AS same_city
FROM miss m JOIN rec l ON l.src = m.sa AND l.id = m.ia JOIN rec r ON r.src = m.sb AND r.id = m.ib
LEFT JOIN t._ferry.contact_model_pairs p
  ON (p.left_key = m.sa || '/' || m.ia AND p.right_key = m.sb || '/' || m.ib)
  OR (p.left_key = m.sb || '/' || m.ib AND p.right_key = m.sa || '/' || m.ia)
"""


def main(argv: list[str] | None = None) -> int:
    variant = (argv or sys.argv[1:] or ["model"])[0]
    con = duckdb.connect()
    try:
        con.execute("ATTACH ? AS t (READ_ONLY)", [str(WORK / "build" / f"{variant}.duckdb")])
        con.execute(_RECORDS, {"crm": str(WORK / "crm.csv"), "shop": str(WORK / "shop.ndjson")})
        con.execute(_MISSED, {"truth": str(WORK / "truth.csv"), "across": variant == "model_link"})
        con.execute(_CAUSES)
        print(f"{variant}: {con.execute('SELECT count(*) FROM causes').fetchone()[0]} missed pairs")
        print("blocked by (phone, email_user, company) | first_name | last_name | swapped | same city | pairs")
        for row in con.execute("""SELECT phone, email_user, company, first_name, last_name, swapped, same_city,
                                         count(*) AS n FROM causes GROUP BY ALL ORDER BY n DESC""").fetchall():
            print(" ", *row)
        print("examples:")
        for row in con.execute("""SELECT sa || '/' || ia, sb || '/' || ib, lfn, rfn, lln, rln, city, probability
                                  FROM causes ORDER BY sa, ia, sb, ib LIMIT 10""").fetchall():
            print(" ", *row)
    finally:
        con.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
