DELETE FROM programs WHERE funding = 'apbd';
ALTER TABLE programs DROP CONSTRAINT programs_funding_party;
ALTER TABLE programs ALTER COLUMN company_id SET NOT NULL;
ALTER TABLE programs DROP COLUMN funding;
