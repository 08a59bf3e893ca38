-- Field work (issue 14, items 4 and 5; docs/SECURITY.md): the `operator`
-- role bound to a region, change requests to the registry, and the request
-- behind each manual change of a family's history. Kept in step with
-- migrations/postgres.

-- Accounts gain the `operator` role and its region (SQLite cannot alter a
-- CHECK: the table is rebuilt, its columns in the same order; nothing
-- references it).
CREATE TABLE users_new (
    id TEXT PRIMARY KEY NOT NULL,
    username TEXT NOT NULL UNIQUE,
    password_hash TEXT NOT NULL,
    role TEXT NOT NULL CHECK (role IN ('admin','bappeda','bupati','opd','verifier','company','viewer','operator')),
    company_id TEXT,
    opd_code TEXT,
    active BOOLEAN NOT NULL DEFAULT 1,
    version INTEGER NOT NULL DEFAULT 1,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL,
    token_version INTEGER NOT NULL DEFAULT 1,
    -- The desa/kelurahan or kecamatan an `operator` account works for.
    region_code TEXT REFERENCES regions (code)
);
INSERT INTO users_new (id, username, password_hash, role, company_id, opd_code, active,
                       version, created_at, updated_at, token_version)
    SELECT id, username, password_hash, role, company_id, opd_code, active,
           version, created_at, updated_at, token_version FROM users;
DROP TABLE users;
ALTER TABLE users_new RENAME TO users;

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
