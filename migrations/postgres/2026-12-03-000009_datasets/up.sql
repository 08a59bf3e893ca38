-- Datasets (issue 13): every import belongs to one snapshot of a source
-- (P3KE, DTKS, DTSEN), received under a hand-over (BAST) that says whether
-- by-name data may go on to companies. Households keep which snapshots set
-- their values.
CREATE TABLE datasets (
    id TEXT PRIMARY KEY NOT NULL,
    source TEXT NOT NULL CHECK (source IN ('p3ke','dtks','dtsen')),
    -- The snapshot's own name or version, e.g. `2025-Q3` or `v3 2025`.
    snapshot_version TEXT NOT NULL,
    condition_date DATE,
    received_on DATE,
    bast_number TEXT,
    bast_type TEXT CHECK (bast_type IN ('pemanfaatan','pemadanan','other')),
    onward_sharing BOOLEAN NOT NULL,
    expires_on DATE,
    notes TEXT,
    version INTEGER NOT NULL DEFAULT 1,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL
);
CREATE INDEX datasets_source ON datasets (source, created_at);

CREATE TABLE household_datasets (
    household_id TEXT NOT NULL REFERENCES households (id),
    dataset_id TEXT NOT NULL REFERENCES datasets (id),
    linked_at TIMESTAMP NOT NULL,
    PRIMARY KEY (household_id, dataset_id)
);
CREATE INDEX household_datasets_dataset ON household_datasets (dataset_id);

ALTER TABLE household_imports ADD COLUMN dataset_id TEXT REFERENCES datasets (id);

-- Data imported before datasets existed keeps working: one dataset per
-- source that has families, holding them and the imports of that format.
INSERT INTO datasets (id, source, snapshot_version, onward_sharing, notes, created_at, updated_at)
SELECT '00000000-0000-4000-8000-00000000da01', 'p3ke', 'before datasets', TRUE,
       'Made for the P3KE data imported before datasets were recorded', CURRENT_TIMESTAMP, CURRENT_TIMESTAMP
WHERE EXISTS (SELECT 1 FROM households WHERE p3ke_family_id IS NOT NULL)
   OR EXISTS (SELECT 1 FROM household_imports WHERE format = 'p3ke');
INSERT INTO datasets (id, source, snapshot_version, onward_sharing, notes, created_at, updated_at)
SELECT '00000000-0000-4000-8000-00000000da02', 'dtks', 'before datasets', TRUE,
       'Made for the DTKS data imported before datasets were recorded', CURRENT_TIMESTAMP, CURRENT_TIMESTAMP
WHERE EXISTS (SELECT 1 FROM households WHERE dtks_id IS NOT NULL)
   OR EXISTS (SELECT 1 FROM household_imports WHERE format = 'dtks');
INSERT INTO household_datasets (household_id, dataset_id, linked_at)
SELECT id, '00000000-0000-4000-8000-00000000da01', CURRENT_TIMESTAMP FROM households WHERE p3ke_family_id IS NOT NULL;
INSERT INTO household_datasets (household_id, dataset_id, linked_at)
SELECT id, '00000000-0000-4000-8000-00000000da02', CURRENT_TIMESTAMP FROM households WHERE dtks_id IS NOT NULL;
UPDATE household_imports SET dataset_id = CASE format
    WHEN 'p3ke' THEN '00000000-0000-4000-8000-00000000da01'
    ELSE '00000000-0000-4000-8000-00000000da02' END;
