-- Programs of the TJSP cycle, their targets (with the no-double-targeting
-- constraint) and the households recommended to them.
CREATE TABLE programs (
    id TEXT PRIMARY KEY NOT NULL,
    cycle_year INTEGER NOT NULL REFERENCES cycles (year),
    company_id TEXT NOT NULL REFERENCES companies (id),
    opd_code TEXT,
    title TEXT NOT NULL,
    description TEXT,
    program_type TEXT NOT NULL CHECK (program_type IN ('housing','sanitation','water','electricity','nutrition','health','education','economic','food','social_security','other')),
    strategy TEXT NOT NULL CHECK (strategy IN ('reduce_burden','raise_income','reduce_pockets')),
    budget BIGINT NOT NULL CHECK (budget >= 0),
    target_regions TEXT NOT NULL DEFAULT '[]',
    status TEXT NOT NULL CHECK (status IN ('draft','proposed','consolidated','verified','agreed','running','completed','rejected','withdrawn','cancelled')),
    status_note TEXT,
    agreement_number TEXT,
    signed_by_company_on DATE,
    signed_by_company TEXT,
    signed_by_opd_on DATE,
    signed_by_opd TEXT,
    version INTEGER NOT NULL DEFAULT 1,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL
);
CREATE INDEX programs_cycle ON programs (cycle_year, status);
CREATE INDEX programs_company ON programs (company_id);
CREATE INDEX programs_opd ON programs (opd_code);

CREATE TABLE program_targets (
    id TEXT PRIMARY KEY NOT NULL,
    program_id TEXT NOT NULL REFERENCES programs (id) ON DELETE CASCADE,
    household_id TEXT NOT NULL REFERENCES households (id),
    member_id TEXT REFERENCES members (id) ON DELETE SET NULL,
    -- Copies of the program's cycle and type, so the constraint below can hold
    -- under concurrent requests: one household, one active target per type per cycle.
    cycle_year INTEGER NOT NULL,
    program_type TEXT NOT NULL,
    active BOOLEAN NOT NULL DEFAULT 1,
    status TEXT NOT NULL CHECK (status IN ('proposed','eligible','ineligible','not_found','moved','deceased','already_assisted','served')),
    planned_value BIGINT NOT NULL DEFAULT 0 CHECK (planned_value >= 0),
    realized_value BIGINT CHECK (realized_value >= 0),
    version INTEGER NOT NULL DEFAULT 1,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL
);
CREATE UNIQUE INDEX program_targets_one_per_type ON program_targets (household_id, cycle_year, program_type) WHERE active = 1;
CREATE UNIQUE INDEX program_targets_once ON program_targets (program_id, household_id);
CREATE INDEX program_targets_cycle_type ON program_targets (cycle_year, program_type);

CREATE TABLE program_recommendations (
    program_id TEXT NOT NULL REFERENCES programs (id) ON DELETE CASCADE,
    household_id TEXT NOT NULL REFERENCES households (id),
    recommended_at TIMESTAMP NOT NULL,
    PRIMARY KEY (program_id, household_id)
);
