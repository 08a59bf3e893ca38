-- Tokens follow the account (issue 10, docs/SECURITY.md): every token names the
-- account's token_version, which a password, role, binding or active change
-- bumps, so older tokens stop working. Kept in step with the other backend.
ALTER TABLE users ADD COLUMN token_version INTEGER NOT NULL DEFAULT 1;
