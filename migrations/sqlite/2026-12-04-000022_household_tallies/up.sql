-- How many families each region holds per desil and status, kept by the
-- database on every write of `households`, so the household list's total
-- over a kecamatan is a sum of a few hundred tallies instead of a count of
-- its families (issue 17, item 2). `desil` 0 stands for none. SQLite has
-- row triggers only; an update that moves no family between tallies
-- writes nothing.
CREATE TABLE household_tallies (
    region_code TEXT NOT NULL,
    desil INTEGER NOT NULL,
    status TEXT NOT NULL,
    families INTEGER NOT NULL,
    PRIMARY KEY (region_code, desil, status)
) WITHOUT ROWID;

INSERT INTO household_tallies (region_code, desil, status, families)
SELECT region_code, coalesce(desil, 0), status, count(*)
FROM households GROUP BY 1, 2, 3;

CREATE TRIGGER household_tallies_insert AFTER INSERT ON households BEGIN
    INSERT INTO household_tallies (region_code, desil, status, families)
    VALUES (NEW.region_code, coalesce(NEW.desil, 0), NEW.status, 1)
    ON CONFLICT (region_code, desil, status) DO UPDATE SET families = families + 1;
END;

CREATE TRIGGER household_tallies_delete AFTER DELETE ON households BEGIN
    UPDATE household_tallies SET families = families - 1
    WHERE region_code = OLD.region_code AND desil = coalesce(OLD.desil, 0)
      AND status = OLD.status;
END;

CREATE TRIGGER household_tallies_update AFTER UPDATE OF region_code, desil, status ON households
WHEN OLD.region_code IS NOT NEW.region_code OR OLD.desil IS NOT NEW.desil
  OR OLD.status IS NOT NEW.status
BEGIN
    UPDATE household_tallies SET families = families - 1
    WHERE region_code = OLD.region_code AND desil = coalesce(OLD.desil, 0)
      AND status = OLD.status;
    INSERT INTO household_tallies (region_code, desil, status, families)
    VALUES (NEW.region_code, coalesce(NEW.desil, 0), NEW.status, 1)
    ON CONFLICT (region_code, desil, status) DO UPDATE SET families = families + 1;
END;
