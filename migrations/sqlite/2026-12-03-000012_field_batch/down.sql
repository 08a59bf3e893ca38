DROP TABLE verification_photos;
DROP INDEX verifications_client;
ALTER TABLE verifications DROP COLUMN recorded_at;
ALTER TABLE verifications DROP COLUMN client_id;
