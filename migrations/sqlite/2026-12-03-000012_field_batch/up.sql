-- Field work as it happens (issue 14, items 1 and 2).
--
-- Offline visits sent in a batch (POST /verifications/batch) carry the
-- device's own id for the visit (client_id) and when the device recorded it
-- (recorded_at). A resent item is recognised by (the account that sent it,
-- client_id): verifier holds the account's username, which is unique. NULLs
-- are distinct in a unique index on both backends, so visits recorded one by
-- one (no client_id) never collide.
ALTER TABLE verifications ADD COLUMN client_id TEXT;
ALTER TABLE verifications ADD COLUMN recorded_at TIMESTAMP;
CREATE UNIQUE INDEX verifications_client ON verifications (verifier, client_id);

-- Photos of a visit: the bytes live in the object store (src/storage.rs);
-- the database keeps what describes and checks them.
CREATE TABLE verification_photos (
    id TEXT PRIMARY KEY NOT NULL,
    verification_id TEXT NOT NULL REFERENCES verifications (id),
    content_type TEXT NOT NULL CHECK (content_type IN ('image/jpeg', 'image/png')),
    size_bytes INTEGER NOT NULL CHECK (size_bytes > 0),
    sha256 TEXT NOT NULL,
    object_key TEXT NOT NULL UNIQUE,
    created_by TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL
);
CREATE INDEX verification_photos_visit ON verification_photos (verification_id, created_at);
