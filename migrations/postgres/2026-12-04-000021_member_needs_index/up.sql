-- Recommendations of the member-based types count the needs of every
-- candidate's members (`db::recommendations::member_needs`: 17,400 members
-- of a kecamatan's extreme poor at 300,000 families). The index read only
-- some of the columns counted (school, disability, illness came from the
-- table, a page a member); with them it answers alone. It replaces the index
-- it extends (issue 17, item 3).
DROP INDEX members_household;
CREATE INDEX members_household ON members (household_id, birth_date, education, occupation)
    INCLUDE (in_school, has_disability, chronic_illness);
