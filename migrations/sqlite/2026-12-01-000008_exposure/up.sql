-- Exposure (DESIGN §6.1): which households each company may read, per cycle.
-- A household is exposed to a company when a recommendation shows it or a
-- program of the company targets it; what recommendations showed counts
-- against the company's cap per cycle. Replaces program_recommendations,
-- whose rows carry over.
CREATE TABLE exposures (
    company_id TEXT NOT NULL REFERENCES companies (id),
    cycle_year INTEGER NOT NULL REFERENCES cycles (year),
    household_id TEXT NOT NULL REFERENCES households (id),
    -- First shown by a recommendation (what the cap counts).
    shown_at TIMESTAMP,
    -- First made a target of one of the company's programs of the cycle.
    targeted_at TIMESTAMP,
    -- First read through the household endpoints while exposed.
    read_at TIMESTAMP,
    PRIMARY KEY (company_id, cycle_year, household_id)
);
CREATE INDEX exposures_household ON exposures (household_id, company_id);

INSERT INTO exposures (company_id, cycle_year, household_id, shown_at)
SELECT p.company_id, p.cycle_year, r.household_id, MIN(r.recommended_at)
FROM program_recommendations r JOIN programs p ON p.id = r.program_id
GROUP BY p.company_id, p.cycle_year, r.household_id;

INSERT INTO exposures (company_id, cycle_year, household_id, targeted_at)
SELECT p.company_id, t.cycle_year, t.household_id, MIN(t.created_at)
FROM program_targets t JOIN programs p ON p.id = t.program_id
WHERE true
GROUP BY p.company_id, t.cycle_year, t.household_id
ON CONFLICT (company_id, cycle_year, household_id) DO UPDATE SET targeted_at = excluded.targeted_at;

DROP TABLE program_recommendations;

-- The company's own cap per cycle; NULL: RBPK_COMPANY_EXPOSURE_CAP.
ALTER TABLE companies ADD COLUMN exposure_cap INTEGER CHECK (exposure_cap >= 0);
