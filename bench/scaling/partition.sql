-- A province in one PostgreSQL database (issue 17, item 5; docs/SCALING.md):
-- run on a copy of the benchmark registry (Kukar, `bench/import.sh`), it
-- partitions `households` by kabupaten — RANGE on `region_code`, one
-- partition per kabupaten/kota of East Kalimantan, so the list's and the
-- recommendations' region ranges prune to one partition with no change to
-- their SQL — and fills the nine others with copies of Kukar's families
-- (new ids, their own region codes), with their members and dataset links.
-- Members and links stay unpartitioned here: ten times the rows in one
-- table is the harder case for their index look-ups.
-- `psql -v partitioned=0` grows the same province in the flat table, for
-- the cost partitioning avoids.
\set ON_ERROR_STOP 1
\if :{?partitioned}
\else
  \set partitioned 1
\endif
BEGIN;

-- A foreign key to a partitioned table must name its partition column; the
-- keys to `households` go (SCALING.md says what replaces them), and so does
-- its key to `regions`, which holds Kukar's regions only.
DO $$
DECLARE r record;
BEGIN
  FOR r IN SELECT conrelid::regclass AS tbl, conname FROM pg_constraint
           WHERE (confrelid = 'households'::regclass OR conrelid = 'households'::regclass)
             AND contype = 'f' LOOP
    EXECUTE format('ALTER TABLE %s DROP CONSTRAINT %I', r.tbl, r.conname);
  END LOOP;
END $$;

-- East Kalimantan's ten kabupaten/kota; Kukar is 64.02.
CREATE TEMP TABLE kabupaten (code text PRIMARY KEY);
INSERT INTO kabupaten VALUES ('64.01'), ('64.02'), ('64.03'), ('64.04'), ('64.05'),
  ('64.07'), ('64.08'), ('64.09'), ('64.71'), ('64.72');

\if :partitioned

ALTER TABLE households RENAME TO households_flat;
CREATE TABLE households (LIKE households_flat INCLUDING DEFAULTS INCLUDING CONSTRAINTS)
  PARTITION BY RANGE (region_code);
ALTER TABLE households ADD PRIMARY KEY (region_code, id);
CREATE INDEX households_id ON households (id);
-- The flat table's other indexes on the parent; a unique one cannot leave
-- out the partition column, so it becomes a plain index.
DO $$
DECLARE r record;
BEGIN
  FOR r IN SELECT i.indexname, i.indexdef FROM pg_indexes i
           WHERE i.schemaname = 'public' AND i.tablename = 'households_flat'
             AND i.indexname NOT IN (SELECT conname FROM pg_constraint
                                     WHERE conrelid = 'households_flat'::regclass AND contype = 'p') LOOP
    EXECUTE replace(replace(replace(r.indexdef, 'UNIQUE INDEX', 'INDEX'),
                            'ON public.households_flat', 'ON public.households'),
                    r.indexname, r.indexname || '_part');
  END LOOP;
END $$;

DO $$
DECLARE k text;
BEGIN
  FOR k IN SELECT code FROM kabupaten LOOP
    -- '/' sorts right after '.': every code of the kabupaten is in [k, k/).
    EXECUTE format('CREATE TABLE %I PARTITION OF households FOR VALUES FROM (%L) TO (%L)',
                   'households_' || replace(k, '.', '_'), k, k || '/');
  END LOOP;
END $$;
INSERT INTO households SELECT * FROM households_flat;
DROP TABLE households_flat;
\endif

-- The select list copying a row of `tbl` into kabupaten `k`: new ids (the
-- same for a family's members and links), the kabupaten's region codes and
-- source ids.
CREATE FUNCTION pg_temp.copy_of(tbl text, k text) RETURNS text LANGUAGE sql AS $$
  SELECT string_agg(CASE
      WHEN column_name IN ('id', 'household_id') THEN format('md5(%L || %I)::uuid::text', k, column_name)
      WHEN column_name = 'region_code' THEN format('%L || substr(region_code, 6)', k)
      WHEN column_name IN ('p3ke_family_id', 'dtks_id', 'p3ke_individual_id')
        THEN format('%L || %I', k || ':', column_name)
      ELSE quote_ident(column_name) END, ', ' ORDER BY ordinal_position)
  FROM information_schema.columns
  WHERE table_schema = 'public' AND table_name = tbl
$$;

DO $$
DECLARE k text;
BEGIN
  FOR k IN SELECT code FROM kabupaten WHERE code <> '64.02' LOOP
    EXECUTE format('INSERT INTO households SELECT %s FROM households WHERE region_code >= %L AND region_code < %L',
                   pg_temp.copy_of('households', k), '64.02', '64.02/');
    EXECUTE format('INSERT INTO members SELECT %s FROM members m WHERE EXISTS
                      (SELECT 1 FROM households h WHERE h.id = m.household_id AND h.region_code >= %L AND h.region_code < %L)',
                   pg_temp.copy_of('members', k), '64.02', '64.02/');
    EXECUTE format('INSERT INTO household_datasets SELECT %s FROM household_datasets l WHERE EXISTS
                      (SELECT 1 FROM households h WHERE h.id = l.household_id AND h.region_code >= %L AND h.region_code < %L)',
                   pg_temp.copy_of('household_datasets', k), '64.02', '64.02/');
  END LOOP;
END $$;
COMMIT;

VACUUM (ANALYZE) households, members, household_datasets;
SELECT count(*) AS families, count(DISTINCT substr(region_code, 1, 5)) AS kabupaten FROM households;
SELECT count(*) AS members FROM members;
