DELETE FROM household_imports WHERE format = 'dtsen';
CREATE TABLE household_imports_old (
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
    finished_at TIMESTAMP,
    dataset_id TEXT
);
INSERT INTO household_imports_old SELECT * FROM household_imports;
DROP TABLE household_imports;
ALTER TABLE household_imports_old RENAME TO household_imports;
DROP TABLE household_changes;
ALTER TABLE household_datasets DROP COLUMN kk_number;
DROP INDEX members_disability;
ALTER TABLE members DROP COLUMN working;
ALTER TABLE members DROP COLUMN in_school;
ALTER TABLE members DROP COLUMN chronic_illness;
ALTER TABLE members DROP COLUMN has_disability;
ALTER TABLE members DROP COLUMN disability;
DROP INDEX households_desil_national;
ALTER TABLE households DROP COLUMN not_in_latest_snapshot;
ALTER TABLE households DROP COLUMN asset_counts;
ALTER TABLE households DROP COLUMN pbi_regional;
ALTER TABLE households DROP COLUMN pbi_national;
ALTER TABLE households DROP COLUMN pln_customer_id;
ALTER TABLE households DROP COLUMN families_in_house;
ALTER TABLE households DROP COLUMN longitude;
ALTER TABLE households DROP COLUMN latitude;
ALTER TABLE households DROP COLUMN desil_regency;
ALTER TABLE households DROP COLUMN desil_province;
ALTER TABLE households DROP COLUMN desil_national;
