-- Field verifications: one row per visit of a target. The latest visit sets the
-- target's status; earlier ones stay as history.
CREATE TABLE verifications (
    id TEXT PRIMARY KEY NOT NULL,
    program_id TEXT NOT NULL REFERENCES programs (id) ON DELETE CASCADE,
    target_id TEXT NOT NULL REFERENCES program_targets (id) ON DELETE CASCADE,
    household_id TEXT NOT NULL REFERENCES households (id),
    visited_on DATE NOT NULL,
    result TEXT NOT NULL CHECK (result IN ('eligible','ineligible','not_found','moved','deceased','already_assisted')),
    notes TEXT,
    latitude REAL CHECK (latitude BETWEEN -90 AND 90),
    longitude REAL CHECK (longitude BETWEEN -180 AND 180),
    verifier TEXT NOT NULL,
    override_reason TEXT,
    created_at TIMESTAMP NOT NULL,
    CHECK ((latitude IS NULL) = (longitude IS NULL))
);
CREATE INDEX verifications_target ON verifications (target_id, visited_on);
CREATE INDEX verifications_program ON verifications (program_id);
CREATE INDEX verifications_household ON verifications (household_id);
