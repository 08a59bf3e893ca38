DROP INDEX verifications_target;
CREATE INDEX verifications_target ON verifications (target_id, visited_on);
