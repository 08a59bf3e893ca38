ALTER TABLE household_changes DROP COLUMN change_request_id;
DROP TABLE change_requests;
DELETE FROM users WHERE role = 'operator';
CREATE TABLE users_old (
    id TEXT PRIMARY KEY NOT NULL,
    username TEXT NOT NULL UNIQUE,
    password_hash TEXT NOT NULL,
    role TEXT NOT NULL CHECK (role IN ('admin','bappeda','bupati','opd','verifier','company','viewer')),
    company_id TEXT,
    opd_code TEXT,
    active BOOLEAN NOT NULL DEFAULT 1,
    version INTEGER NOT NULL DEFAULT 1,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL,
    token_version INTEGER NOT NULL DEFAULT 1
);
INSERT INTO users_old SELECT id, username, password_hash, role, company_id, opd_code, active,
    version, created_at, updated_at, token_version FROM users;
DROP TABLE users;
ALTER TABLE users_old RENAME TO users;
