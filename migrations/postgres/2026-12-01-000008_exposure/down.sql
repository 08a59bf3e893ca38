ALTER TABLE companies DROP COLUMN exposure_cap;
CREATE TABLE program_recommendations (
    program_id TEXT NOT NULL REFERENCES programs (id) ON DELETE CASCADE,
    household_id TEXT NOT NULL REFERENCES households (id),
    recommended_at TIMESTAMP NOT NULL,
    PRIMARY KEY (program_id, household_id)
);
DROP TABLE exposures;
