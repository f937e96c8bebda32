-- The hand-written reference for the "same cleaning" figure: what a competent person writes
-- in DuckDB SQL to load the bench export's three files with the cleaning of the issue's
-- first row. The runner (bench/reference_duckdb.py) transcodes the cp1250 companies file
-- to UTF-8 first and sets the variables companies, contacts and activities to the paths.

-- Companies and activities: as they come, every column text, rows without an id left out.
CREATE TABLE company AS
SELECT *
FROM read_csv(getvariable('companies'), delim = ';', header = true, all_varchar = true)
WHERE firma_id IS NOT NULL;

CREATE TABLE activity AS
SELECT *
FROM read_json(getvariable('activities'), format = 'newline_delimited',
               columns = {activity_id: 'VARCHAR', type: 'VARCHAR', deal_id: 'VARCHAR',
                          contact_id: 'VARCHAR', occurred_at: 'VARCHAR', duration_min: 'VARCHAR',
                          notes: 'VARCHAR', meta: 'VARCHAR'})
WHERE activity_id IS NOT NULL;

-- Contacts: e-mail trimmed and lower-cased, phone digits only, the date in any of the
-- three formats the old CRM wrote, and one row per e-mail (the first in the file;
-- the export's ids ascend in file order).
CREATE TABLE contact AS
WITH cleaned AS (
    SELECT
        contact_id,
        first_name,
        last_name,
        lower(trim(email)) AS email,
        regexp_replace(phone, '[^0-9]', '', 'g') AS phone,
        company_id,
        reports_to,
        coalesce(try_strptime(created_at, '%Y-%m-%d'),
                 try_strptime(created_at, '%d.%m.%Y'),
                 try_strptime(created_at, '%m/%d/%Y'))::DATE AS created_on,
        city,
        notes
    FROM read_csv(getvariable('contacts'), delim = ',', header = true, all_varchar = true)
    WHERE contact_id IS NOT NULL
)
SELECT *
FROM cleaned
QUALIFY email IS NULL
     OR row_number() OVER (PARTITION BY email ORDER BY contact_id::BIGINT) = 1;
