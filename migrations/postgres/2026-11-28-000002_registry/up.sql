-- Household registry (P3KE/DTKS): families, their members, and imports.
-- Categorical P3KE values are stored as normalized codes (see src/import/values.rs);
-- an unknown ministry value is kept as given and flagged.
CREATE TABLE households (
    id TEXT PRIMARY KEY NOT NULL,
    p3ke_family_id TEXT UNIQUE,
    dtks_id TEXT UNIQUE,
    kk_number TEXT,
    head_name TEXT NOT NULL,
    head_nik TEXT,
    head_nik_valid BOOLEAN NOT NULL DEFAULT FALSE,
    head_sex TEXT,
    head_birth_date DATE,
    head_marital_status TEXT,
    head_occupation TEXT,
    head_employment_status TEXT,
    head_education TEXT,
    region_code TEXT NOT NULL REFERENCES regions (code),
    address TEXT,
    desil INTEGER CHECK (desil BETWEEN 1 AND 10),
    percentile INTEGER CHECK (percentile BETWEEN 0 AND 100),
    verification_priority TEXT,
    dukcapil_match BOOLEAN,
    house_ownership TEXT,
    has_savings BOOLEAN,
    roof_material TEXT,
    roof_quality TEXT,
    wall_material TEXT,
    wall_quality TEXT,
    floor_material TEXT,
    floor_quality TEXT,
    lighting_source TEXT,
    power_capacity TEXT,
    cooking_fuel TEXT,
    drinking_water TEXT,
    toilet_facility TEXT,
    stunting_risk TEXT,
    receives_bpnt BOOLEAN NOT NULL DEFAULT FALSE,
    receives_bpum BOOLEAN NOT NULL DEFAULT FALSE,
    receives_bst BOOLEAN NOT NULL DEFAULT FALSE,
    receives_pkh BOOLEAN NOT NULL DEFAULT FALSE,
    receives_sembako BOOLEAN NOT NULL DEFAULT FALSE,
    receives_prakerja BOOLEAN NOT NULL DEFAULT FALSE,
    receives_kur BOOLEAN NOT NULL DEFAULT FALSE,
    data_year INTEGER,
    flags TEXT NOT NULL DEFAULT '[]',
    status TEXT NOT NULL DEFAULT 'active' CHECK (status IN ('active','graduated','moved','deceased','duplicate')),
    needs_update BOOLEAN NOT NULL DEFAULT FALSE,
    content_hash TEXT NOT NULL DEFAULT '',
    version INTEGER NOT NULL DEFAULT 1,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL
);
CREATE INDEX households_region ON households (region_code, desil);
CREATE INDEX households_desil ON households (desil);
CREATE INDEX households_updated ON households (updated_at);
CREATE INDEX households_head_nik ON households (head_nik);
CREATE INDEX households_kk ON households (kk_number);
CREATE INDEX households_head_name ON households (head_name);

CREATE TABLE members (
    id TEXT PRIMARY KEY NOT NULL,
    household_id TEXT NOT NULL REFERENCES households (id) ON DELETE CASCADE,
    p3ke_individual_id TEXT UNIQUE,
    nik TEXT,
    nik_valid BOOLEAN NOT NULL DEFAULT FALSE,
    name TEXT NOT NULL,
    sex TEXT,
    birth_date DATE,
    relation TEXT,
    marital_status TEXT,
    education TEXT,
    occupation TEXT,
    employment_status TEXT,
    dukcapil_match BOOLEAN,
    flags TEXT NOT NULL DEFAULT '[]',
    content_hash TEXT NOT NULL DEFAULT '',
    version INTEGER NOT NULL DEFAULT 1,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL
);
CREATE INDEX members_household ON members (household_id);
CREATE INDEX members_nik ON members (nik);

CREATE TABLE household_imports (
    id TEXT PRIMARY KEY NOT NULL,
    format TEXT NOT NULL CHECK (format IN ('p3ke','dtks')),
    media_type TEXT NOT NULL,
    status TEXT NOT NULL CHECK (status IN ('queued','running','done','failed')),
    rows_total INTEGER NOT NULL DEFAULT 0,
    rows_done INTEGER NOT NULL DEFAULT 0,
    created INTEGER NOT NULL DEFAULT 0,
    updated INTEGER NOT NULL DEFAULT 0,
    unchanged INTEGER NOT NULL DEFAULT 0,
    rejected_count INTEGER NOT NULL DEFAULT 0,
    rejected TEXT NOT NULL DEFAULT '[]',
    error TEXT,
    created_by TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL,
    finished_at TIMESTAMP
);
-- Prefix search on names (`q`) under any collation.
CREATE INDEX households_head_name_prefix ON households (head_name text_pattern_ops);
