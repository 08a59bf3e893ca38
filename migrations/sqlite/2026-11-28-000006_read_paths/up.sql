-- Indexes that answer the hottest reads on their own. Each replaces an index
-- that is its prefix, so imports maintain no more indexes than before.
-- The household list picks a page of ids by region and desil before reading
-- whole rows (covering).
DROP INDEX households_region;
CREATE INDEX households_region ON households (region_code, desil, id);
-- Recommendations take the extreme poor of some regions: desil = 1 and a
-- region range in one index scan per region.
DROP INDEX households_desil;
CREATE INDEX households_desil ON households (desil, region_code);
-- ...and count their members' needs per household (covering).
DROP INDEX members_household;
CREATE INDEX members_household ON members (household_id, birth_date, education, occupation);
