DROP INDEX verifications_consent;
ALTER TABLE verifications DROP COLUMN consent_to_share;
