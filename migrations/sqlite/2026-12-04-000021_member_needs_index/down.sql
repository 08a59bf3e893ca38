DROP INDEX members_household;
CREATE INDEX members_household ON members (household_id, birth_date, education, occupation);
