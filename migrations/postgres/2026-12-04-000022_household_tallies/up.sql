-- How many families each region holds per desil and status, kept by the
-- database on every write of `households`, so the household list's total
-- over a kecamatan is a sum of a few hundred tallies instead of a count of
-- its families (17,540 index entries at 300,000 families; issue 17, item 2).
-- `desil` 0 stands for none. Statement triggers with transition tables: an
-- import's COPY or set-based UPDATE tallies its whole batch at once, and an
-- update that moves no family between tallies writes nothing.
CREATE TABLE household_tallies (
    region_code TEXT NOT NULL,
    desil INTEGER NOT NULL,
    status TEXT NOT NULL,
    families BIGINT NOT NULL,
    PRIMARY KEY (region_code, desil, status)
);

INSERT INTO household_tallies (region_code, desil, status, families)
SELECT region_code, coalesce(desil, 0), status, count(*)
FROM households GROUP BY 1, 2, 3;

CREATE FUNCTION household_tallies_apply() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    -- Keys in order, so two writers never wait on each other's tallies in
    -- opposite orders.
    IF TG_OP = 'INSERT' THEN
        INSERT INTO household_tallies AS t (region_code, desil, status, families)
        SELECT region_code, coalesce(desil, 0), status, count(*)
        FROM new_rows GROUP BY 1, 2, 3 ORDER BY 1, 2, 3
        ON CONFLICT (region_code, desil, status)
        DO UPDATE SET families = t.families + excluded.families;
    ELSIF TG_OP = 'DELETE' THEN
        UPDATE household_tallies AS t SET families = t.families - d.families
        FROM (SELECT region_code, coalesce(desil, 0) AS desil, status, count(*) AS families
              FROM old_rows GROUP BY 1, 2, 3) AS d
        WHERE (t.region_code, t.desil, t.status) = (d.region_code, d.desil, d.status);
    ELSE
        INSERT INTO household_tallies AS t (region_code, desil, status, families)
        SELECT region_code, desil, status, sum(delta) FROM (
            SELECT region_code, coalesce(desil, 0) AS desil, status, -1 AS delta FROM old_rows
            UNION ALL
            SELECT region_code, coalesce(desil, 0), status, 1 FROM new_rows
        ) AS moves
        GROUP BY 1, 2, 3 HAVING sum(delta) <> 0 ORDER BY 1, 2, 3
        ON CONFLICT (region_code, desil, status)
        DO UPDATE SET families = t.families + excluded.families;
    END IF;
    RETURN NULL;
END $$;

CREATE TRIGGER household_tallies_insert AFTER INSERT ON households
    REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION household_tallies_apply();
CREATE TRIGGER household_tallies_update AFTER UPDATE ON households
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION household_tallies_apply();
CREATE TRIGGER household_tallies_delete AFTER DELETE ON households
    REFERENCING OLD TABLE AS old_rows
    FOR EACH STATEMENT EXECUTE FUNCTION household_tallies_apply();
