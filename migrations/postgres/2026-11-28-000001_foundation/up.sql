-- Foundation: accounts, reference regions, planning cycles, audit trail and
-- idempotency records. Kept in step with migrations/postgres.
CREATE TABLE users (
    id TEXT PRIMARY KEY NOT NULL,
    username TEXT NOT NULL UNIQUE,
    password_hash TEXT NOT NULL,
    role TEXT NOT NULL CHECK (role IN ('admin','bappeda','bupati','opd','verifier','company','viewer')),
    company_id TEXT,
    opd_code TEXT,
    active BOOLEAN NOT NULL DEFAULT TRUE,
    version INTEGER NOT NULL DEFAULT 1,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL
);

CREATE TABLE regions (
    code TEXT PRIMARY KEY NOT NULL,
    code10 TEXT NOT NULL UNIQUE,
    level TEXT NOT NULL CHECK (level IN ('kabupaten','kecamatan','desa','kelurahan')),
    name TEXT NOT NULL,
    parent_code TEXT,
    old_code TEXT,
    old_name TEXT
);
CREATE INDEX regions_parent ON regions (parent_code);

CREATE TABLE cycles (
    year INTEGER PRIMARY KEY,
    proposals_close DATE NOT NULL,
    verification_start DATE NOT NULL,
    verification_end DATE NOT NULL,
    agreement_deadline DATE NOT NULL,
    version INTEGER NOT NULL DEFAULT 1,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL
);

CREATE TABLE audit_events (
    id TEXT PRIMARY KEY NOT NULL,
    at TIMESTAMP NOT NULL,
    actor TEXT NOT NULL,
    role TEXT NOT NULL,
    action TEXT NOT NULL,
    entity TEXT NOT NULL,
    entity_id TEXT NOT NULL,
    before TEXT,
    after TEXT,
    request_id TEXT
);
CREATE INDEX audit_events_entity ON audit_events (entity, entity_id);
CREATE INDEX audit_events_at ON audit_events (at);

CREATE TABLE idempotency_keys (
    actor TEXT NOT NULL,
    idem_key TEXT NOT NULL,
    method TEXT NOT NULL,
    path TEXT NOT NULL,
    body_hash TEXT NOT NULL,
    status INTEGER,
    response_body BYTEA,
    response_headers TEXT,
    created_at TIMESTAMP NOT NULL,
    PRIMARY KEY (actor, idem_key)
);
