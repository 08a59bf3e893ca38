DROP INDEX members_household;
CREATE INDEX members_household ON members (household_id);
DROP INDEX households_desil;
CREATE INDEX households_desil ON households (desil);
DROP INDEX households_region;
CREATE INDEX households_region ON households (region_code, desil);
