-- Companies (TJSP/TJSL duty holders) and their exemption letters.
-- Kept in step with migrations/postgres.
CREATE TABLE companies (
    id TEXT PRIMARY KEY NOT NULL,
    name TEXT NOT NULL,
    legal_form TEXT NOT NULL CHECK (legal_form IN ('pt','cv','koperasi','bumd','bumn','other')),
    nib TEXT NOT NULL UNIQUE CHECK (length(nib) = 13),
    sector TEXT NOT NULL CHECK (sector IN ('plantation','mining','other')),
    address TEXT,
    contact_name TEXT,
    contact_email TEXT,
    contact_phone TEXT,
    -- JSON array of dotted region codes (kecamatan or desa/kelurahan).
    working_area TEXT NOT NULL DEFAULT '[]',
    active BOOLEAN NOT NULL DEFAULT 1,
    version INTEGER NOT NULL DEFAULT 1,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL
);
CREATE INDEX companies_sector ON companies (sector);

CREATE TABLE exemption_letters (
    id TEXT PRIMARY KEY NOT NULL,
    company_id TEXT NOT NULL REFERENCES companies (id),
    cycle_year INTEGER NOT NULL REFERENCES cycles (year),
    letter_number TEXT NOT NULL,
    letter_date DATE NOT NULL,
    reason_category TEXT NOT NULL CHECK (reason_category IN ('financial_hardship','not_operating','existing_commitment','other')),
    reason TEXT NOT NULL,
    status TEXT NOT NULL CHECK (status IN ('submitted','reviewed','accepted','rejected','withdrawn')),
    review_recommendation TEXT CHECK (review_recommendation IN ('accept','reject')),
    review_note TEXT,
    reviewed_by TEXT,
    reviewed_at TIMESTAMP,
    decision_note TEXT,
    decided_by TEXT,
    decided_at TIMESTAMP,
    document BLOB,
    document_size INTEGER,
    document_uploaded_at TIMESTAMP,
    version INTEGER NOT NULL DEFAULT 1,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL
);
CREATE INDEX exemption_letters_cycle ON exemption_letters (cycle_year, status);
-- One active letter per company and cycle, even under concurrent filings.
CREATE UNIQUE INDEX exemption_letters_one_active ON exemption_letters (company_id, cycle_year)
    WHERE status IN ('submitted','reviewed','accepted');
