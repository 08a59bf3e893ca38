DROP TRIGGER household_tallies_update;
DROP TRIGGER household_tallies_delete;
DROP TRIGGER household_tallies_insert;
DROP TABLE household_tallies;
