-- DTSEN (issue 13): what a BPS snapshot adds to a family and its members,
-- each snapshot's and manual change's history, and the `dtsen` import format.
ALTER TABLE households ADD COLUMN desil_national INTEGER;
ALTER TABLE households ADD COLUMN desil_province INTEGER;
ALTER TABLE households ADD COLUMN desil_regency INTEGER;
ALTER TABLE households ADD COLUMN latitude REAL;
ALTER TABLE households ADD COLUMN longitude REAL;
ALTER TABLE households ADD COLUMN families_in_house INTEGER;
ALTER TABLE households ADD COLUMN pln_customer_id TEXT;
ALTER TABLE households ADD COLUMN pbi_national BOOLEAN;
ALTER TABLE households ADD COLUMN pbi_regional BOOLEAN;
-- Asset and livestock counts as one JSON object: read and written whole.
ALTER TABLE households ADD COLUMN asset_counts TEXT;
-- Set when a newer full snapshot of a source that held the family no longer does.
ALTER TABLE households ADD COLUMN not_in_latest_snapshot BOOLEAN NOT NULL DEFAULT 0;
CREATE INDEX households_desil_national ON households (desil_national);

-- The Washington Group items as one JSON object; `has_disability` is their
-- cut-off, kept as a column for the `disability` filter.
ALTER TABLE members ADD COLUMN disability TEXT;
ALTER TABLE members ADD COLUMN has_disability BOOLEAN NOT NULL DEFAULT 0;
ALTER TABLE members ADD COLUMN chronic_illness TEXT;
ALTER TABLE members ADD COLUMN in_school BOOLEAN;
ALTER TABLE members ADD COLUMN working BOOLEAN;
CREATE INDEX members_disability ON members (household_id) WHERE has_disability;

-- The No. KK a snapshot gave the family (a KK changes when a family moves or splits).
ALTER TABLE household_datasets ADD COLUMN kk_number TEXT;

-- What moved per snapshot and per manual change.
CREATE TABLE household_changes (
    id TEXT PRIMARY KEY NOT NULL,
    household_id TEXT NOT NULL REFERENCES households (id),
    -- `snapshot` (an import) or `manual` (a change through the API).
    kind TEXT NOT NULL CHECK (kind IN ('snapshot','manual')),
    dataset_id TEXT REFERENCES datasets (id),
    import_id TEXT,
    actor TEXT NOT NULL,
    -- [{"field": …, "from": …, "to": …}]
    changes TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL
);
CREATE INDEX household_changes_household ON household_changes (household_id, created_at);

-- Imports gain the DTSEN format (SQLite cannot alter a CHECK: the table is rebuilt).
CREATE TABLE household_imports_new (
    id TEXT PRIMARY KEY NOT NULL,
    format TEXT NOT NULL CHECK (format IN ('p3ke','dtks','dtsen')),
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
    finished_at TIMESTAMP,
    dataset_id TEXT
);
INSERT INTO household_imports_new SELECT id, format, media_type, status, rows_total, rows_done,
    created, updated, unchanged, rejected_count, rejected, error, created_by, created_at,
    updated_at, finished_at, dataset_id FROM household_imports;
DROP TABLE household_imports;
ALTER TABLE household_imports_new RENAME TO household_imports;
