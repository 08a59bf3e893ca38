ALTER TABLE household_changes DROP COLUMN change_request_id;
DROP TABLE change_requests;
DELETE FROM users WHERE role = 'operator';
ALTER TABLE users DROP COLUMN region_code;
ALTER TABLE users DROP CONSTRAINT users_role_check;
ALTER TABLE users ADD CONSTRAINT users_role_check
    CHECK (role IN ('admin','bappeda','bupati','opd','verifier','company','viewer'));
