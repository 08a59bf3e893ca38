DROP TABLE idempotency_keys;
DROP TABLE audit_events;
DROP TABLE cycles;
DROP TABLE regions;
DROP TABLE users;
