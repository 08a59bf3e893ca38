DROP INDEX households_desil;
CREATE INDEX households_desil ON households (desil, region_code);
