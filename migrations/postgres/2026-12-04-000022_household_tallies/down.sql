DROP TRIGGER household_tallies_delete ON households;
DROP TRIGGER household_tallies_update ON households;
DROP TRIGGER household_tallies_insert ON households;
DROP FUNCTION household_tallies_apply();
DROP TABLE household_tallies;
