-- The latest visit of a target (`db::verifications::latest`) orders by
-- visit date, then entry time: with both in the index it is one index step,
-- not a sort of every visit of the target (issue 17, item 3).
DROP INDEX verifications_target;
CREATE INDEX verifications_target ON verifications (target_id, visited_on, created_at);
