-- DTSEN (issue 13): what a BPS snapshot adds to a family and its members,
-- each snapshot's and manual change's history, and the `dtsen` import format.
ALTER TABLE households
    ADD COLUMN desil_national INTEGER,
    ADD COLUMN desil_province INTEGER,
    ADD COLUMN desil_regency INTEGER,
    ADD COLUMN latitude DOUBLE PRECISION,
    ADD COLUMN longitude DOUBLE PRECISION,
    ADD COLUMN families_in_house INTEGER,
    ADD COLUMN pln_customer_id TEXT,
    ADD COLUMN pbi_national BOOLEAN,
    ADD COLUMN pbi_regional BOOLEAN,
    -- Asset and livestock counts as one JSON object: read and written whole.
    ADD COLUMN asset_counts TEXT,
    -- Set when a newer full snapshot of a source that held the family no longer does.
    ADD COLUMN not_in_latest_snapshot BOOLEAN NOT NULL DEFAULT FALSE;
CREATE INDEX households_desil_national ON households (desil_national);

-- The Washington Group items as one JSON object; `has_disability` is their
-- cut-off, kept as a column for the `disability` filter.
ALTER TABLE members
    ADD COLUMN disability TEXT,
    ADD COLUMN has_disability BOOLEAN NOT NULL DEFAULT FALSE,
    ADD COLUMN chronic_illness TEXT,
    ADD COLUMN in_school BOOLEAN,
    ADD COLUMN working BOOLEAN;
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

ALTER TABLE household_imports DROP CONSTRAINT household_imports_format_check;
ALTER TABLE household_imports ADD CONSTRAINT household_imports_format_check
    CHECK (format IN ('p3ke','dtks','dtsen'));
