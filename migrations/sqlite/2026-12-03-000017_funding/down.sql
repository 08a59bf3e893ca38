PRAGMA foreign_keys = OFF;
BEGIN;
DELETE FROM programs WHERE funding = 'apbd';
CREATE TABLE programs_old (
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
INSERT INTO programs_old SELECT id, cycle_year, company_id, opd_code, title, description,
    program_type, strategy, budget, target_regions, status, status_note, agreement_number,
    signed_by_company_on, signed_by_company, signed_by_opd_on, signed_by_opd, version,
    created_at, updated_at FROM programs;
DROP TABLE programs;
ALTER TABLE programs_old RENAME TO programs;
CREATE INDEX programs_cycle ON programs (cycle_year, status);
CREATE INDEX programs_company ON programs (company_id);
CREATE INDEX programs_opd ON programs (opd_code);
COMMIT;
PRAGMA foreign_keys = ON;
