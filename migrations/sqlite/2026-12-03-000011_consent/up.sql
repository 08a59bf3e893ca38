-- The consent gate (issue 13 item 4, docs/SECURITY.md "What a company
-- sees"): a field visit may record whether the family agreed that the
-- program's company sees its by-name data. NULL: the visit did not ask;
-- false: the family refused; true: it agreed.
-- (SQLite: a plain column, without REFERENCES, so the down migration can drop it.)
ALTER TABLE verifications ADD COLUMN consent_to_share BOOLEAN;
-- The gate reads a company's answered visits per household, page by page.
CREATE INDEX verifications_consent ON verifications (program_id, household_id, visited_on)
    WHERE consent_to_share IS NOT NULL;
