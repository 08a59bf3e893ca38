-- Field work (issue 14, items 4 and 5; docs/SECURITY.md): the `operator`
-- role bound to a region, change requests to the registry, and the request
-- behind each manual change of a family's history. Kept in step with
-- migrations/sqlite.

-- Accounts gain the `operator` role and its region.
ALTER TABLE users DROP CONSTRAINT users_role_check;
ALTER TABLE users ADD CONSTRAINT users_role_check
    CHECK (role IN ('admin','bappeda','bupati','opd','verifier','company','viewer','operator'));
-- The desa/kelurahan or kecamatan an `operator` account works for.
ALTER TABLE users ADD COLUMN region_code TEXT REFERENCES regions (code);

-- A request to change the registry, filed from the field and decided by
-- Bappeda or Dinsos. `payload` is the typed change as JSON
-- (`domain::change_request::ChangePayload`); the three `applied_` columns
-- keep, at approval, what the SIKS-NG export names (the desa, the No. KK
-- and the NIK concerned), which the change itself may remove.
CREATE TABLE change_requests (
    id TEXT PRIMARY KEY NOT NULL,
    household_id TEXT NOT NULL REFERENCES households (id),
    change_type TEXT NOT NULL CHECK (change_type IN ('moved','deceased','member_added','member_left','correction','kk_split')),
    payload TEXT NOT NULL,
    reason TEXT NOT NULL,
    status TEXT NOT NULL CHECK (status IN ('submitted','approved','rejected','withdrawn')),
    submitted_by TEXT NOT NULL,
    submitted_role TEXT NOT NULL,
    -- The visit that filed it, if one did (no reference: a deleted program takes its visits along).
    verification_id TEXT,
    decided_by TEXT,
    decision_note TEXT,
    decided_at TIMESTAMP,
    applied_region_code TEXT,
    applied_kk_number TEXT,
    applied_nik TEXT,
    version INTEGER NOT NULL DEFAULT 1,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL
);
-- The open requests of a household (conflicts), a household's requests.
CREATE INDEX change_requests_household ON change_requests (household_id, status);
-- The list (newest first) and a month's approved changes (the export).
CREATE INDEX change_requests_created ON change_requests (created_at);
CREATE INDEX change_requests_decided ON change_requests (status, decided_at);

-- A manual change made by approving a request names it.
ALTER TABLE household_changes ADD COLUMN change_request_id TEXT;
