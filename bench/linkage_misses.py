"""The pairs bench/linkage.py's model missed, by cause: which blocking rule could have found them
and how the names compare.

    python bench/linkage_misses.py [model|model_link] [--ceiling]

Reads bench/.data/linkage (left by bench/linkage.py: crm.csv, shop.ndjson, truth.csv and the
variant's target). A missed pair is two records of one person in the truth that the run left
in two clusters (``model_link``: across the systems only). Per pair: whether the blocking keys
(phone's last nine digits, e-mail user, company) agree, whether the address (postcode and the street line's
digits) is the same, other or missing, whether the first and last names are
equal (accents folded, lower case), similar (Jaro-Winkler >= 0.8) or else, whether they are
swapped, whether the cities agree, and the model's probability if the pair was scored above
the review band. Prints the counts by cause and a few examples.

It also counts each missed pair's **namesakes**: the other records in the pair's city whose first
and last names are both similar (Jaro-Winkler >= 0.9, accents folded) to one of the pair's two
records. A pair whose only agreeing evidence is its names and city, and which has namesakes, looks
exactly like a pair of two people: no scoring of those fields, however weighted, links it without
also linking the namesakes. That bounds what any blocking rule on names and city can recover.

``--ceiling`` then scores every pair a rule on names and city could find (same city, both names
Jaro-Winkler >= 0.92, same first letter) by what else they have: an e-mail user, phone or company
in common (``keyed``), one of them different, or neither (nothing but names and city). The last
group's share of true pairs is the precision of linking on names and city, whatever the weights.
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
       nullif(right(regexp_replace(phone, '[^0-9]', '', 'g'), 9), '') AS ph, city, company_id AS co,
       nullif(regexp_replace(postcode, '[^0-9]', '', 'g') || ' ' || regexp_replace(street, '[^0-9]', '', 'g'), ' ')
         AS ad
FROM read_csv($crm, all_varchar = true)
UNION ALL
SELECT 'shop', customer_no, given_name, family_name, nullif(split_part(lower(trim(mail)), '@', 1), ''),
       nullif(right(regexp_replace(tel, '[^0-9]', '', 'g'), 9), ''), town, firm,
       nullif(regexp_replace(zip, '[^0-9]', '', 'g') || ' ' || regexp_replace(address, '[^0-9]', '', 'g'), ' ')
FROM read_json($shop, columns = {customer_no: 'VARCHAR', given_name: 'VARCHAR', family_name: 'VARCHAR',
                                 mail: 'VARCHAR', tel: 'VARCHAR', firm: 'VARCHAR', town: 'VARCHAR',
                                 address: 'VARCHAR', zip: 'VARCHAR'})
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
       CASE WHEN l.ad = r.ad THEN 'same' WHEN l.ad IS NULL OR r.ad IS NULL THEN 'missing' ELSE 'other' END
         AS address,
       {_NAME.format(f='fn')} AS first_name, {_NAME.format(f='ln')} AS last_name,
       coalesce(lower(strip_accents(l.fn)) = lower(strip_accents(r.ln))
                OR lower(strip_accents(l.ln)) = lower(strip_accents(r.fn)), false) AS swapped,
       lower(strip_accents(l.city)) = lower(strip_accents(r.city)) AS same_city
FROM miss m JOIN rec l ON l.src = m.sa AND l.id = m.ia JOIN rec r ON r.src = m.sb AND r.id = m.ib
LEFT JOIN t._ferry.contact_model_pairs p
  ON (p.left_key = m.sa || '/' || m.ia AND p.right_key = m.sb || '/' || m.ib)
  OR (p.left_key = m.sb || '/' || m.ib AND p.right_key = m.sa || '/' || m.ia)
"""

_NAMESAKES = f"""
CREATE TABLE namesakes AS
WITH folded AS (SELECT src, id, lower(strip_accents(fn)) AS fn, lower(strip_accents(ln)) AS ln,
                       lower(strip_accents(city)) AS city FROM rec WHERE city IS NOT NULL),
sides AS (SELECT sa, ia, sb, ib, sa AS s, ia AS i FROM causes UNION ALL SELECT sa, ia, sb, ib, sb, ib FROM causes)
SELECT c.sa, c.ia, c.sb, c.ib, count(DISTINCT (o.src, o.id)) AS namesakes,
       count(DISTINCT (o.src, o.id)) FILTER (WHERE o.fn = me.fn AND o.ln = me.ln) AS exact_namesakes
FROM sides c JOIN folded me ON me.src = c.s AND me.id = c.i
LEFT JOIN folded o ON o.city = me.city AND NOT ((o.src = c.sa AND o.id = c.ia) OR (o.src = c.sb AND o.id = c.ib))
  AND jaro_winkler_similarity(o.fn, me.fn) >= 0.9 AND jaro_winkler_similarity(o.ln, me.ln) >= 0.9
GROUP BY ALL
"""

_CEILING = """
WITH folded AS (SELECT src, id, lower(strip_accents(fn)) AS fn, lower(strip_accents(ln)) AS ln,
                       lower(strip_accents(city)) AS city, eu, ph, co FROM rec),
truth AS (SELECT source AS src, id, cluster FROM read_csv($truth, all_varchar = true)),
p AS (SELECT l.src AS ls, l.id AS li, r.src AS rs, r.id AS ri,
             CASE WHEN l.fn = r.fn THEN 'equal' ELSE 'similar' END AS first_name,
             CASE WHEN l.ln = r.ln THEN 'equal' ELSE 'similar' END AS last_name,
             CASE WHEN coalesce(l.ph = r.ph, false) OR coalesce(l.eu = r.eu, false) OR coalesce(l.co = r.co, false)
                  THEN 'keyed'
                  WHEN coalesce(l.ph <> r.ph, false) OR coalesce(l.eu <> r.eu, false) OR coalesce(l.co <> r.co, false)
                  THEN 'a key differs' ELSE 'names and city only' END AS evidence
      FROM folded l JOIN folded r ON l.city = r.city AND left(l.fn, 1) = left(r.fn, 1)
        AND (l.src, l.id) < (r.src, r.id) AND ($across = false OR l.src <> r.src)
      WHERE jaro_winkler_similarity(l.ln, r.ln) >= 0.92 AND jaro_winkler_similarity(l.fn, r.fn) >= 0.92)
SELECT evidence, first_name, last_name, count(*) AS pairs, count(*) FILTER (WHERE a.cluster = b.cluster) AS true_pairs
FROM p JOIN truth a ON a.src = p.ls AND a.id = p.li JOIN truth b ON b.src = p.rs AND b.id = p.ri
GROUP BY ALL ORDER BY ALL
"""


def main(argv: list[str] | None = None) -> int:
    args = argv if argv is not None else sys.argv[1:]
    ceiling = "--ceiling" in args
    variant = next((a for a in args if not a.startswith("--")), "model")
    con = duckdb.connect()
    try:
        con.execute("ATTACH ? AS t (READ_ONLY)", [str(WORK / "build" / f"{variant}.duckdb")])
        con.execute(_RECORDS, {"crm": str(WORK / "crm.csv"), "shop": str(WORK / "shop.ndjson")})
        con.execute(_MISSED, {"truth": str(WORK / "truth.csv"), "across": variant == "model_link"})
        con.execute(_CAUSES)
        print(f"{variant}: {con.execute('SELECT count(*) FROM causes').fetchone()[0]} missed pairs")
        print("blocked by (phone, email_user, company) | address (postcode and house digits) | first_name | "
              "last_name | swapped | same city | pairs")
        for row in con.execute("""SELECT phone, email_user, company, address, first_name, last_name, swapped, same_city,
                                         count(*) AS n FROM causes GROUP BY ALL ORDER BY n DESC""").fetchall():
            print(" ", *row)
        con.execute(_NAMESAKES)
        print("missed pairs with no e-mail, phone or company in common, by namesakes in their city "
              "(other records with both names similar to one of the two):")
        print("  namesakes | of them with both names equal | pairs")
        for row in con.execute("""
                SELECT CASE WHEN n >= 3 THEN '3+' ELSE n::VARCHAR END, CASE WHEN e >= 3 THEN '3+' ELSE e::VARCHAR END,
                       count(*) FROM (SELECT sa, ia, sb, ib, sum(namesakes) AS n, sum(exact_namesakes) AS e
                                      FROM namesakes GROUP BY ALL) JOIN causes USING (sa, ia, sb, ib)
                WHERE NOT (phone OR email_user OR company) GROUP BY ALL ORDER BY ALL""").fetchall():
            print("   ", *row)
        print("examples:")
        for row in con.execute("""SELECT sa || '/' || ia, sb || '/' || ib, lfn, rfn, lln, rln, city, probability
                                  FROM causes ORDER BY sa, ia, sb, ib LIMIT 10""").fetchall():
            print(" ", *row)
        if ceiling:
            print("pairs a rule on names and city finds (same city, both names similar), by what else agrees:")
            print("  evidence | first name | last name | pairs | true pairs")
            for row in con.execute(_CEILING, {"truth": str(WORK / "truth.csv"),
                                              "across": variant == "model_link"}).fetchall():
                print("   ", *row)
    finally:
        con.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
