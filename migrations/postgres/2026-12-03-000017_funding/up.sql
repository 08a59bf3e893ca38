-- Programs carry their funding (DESIGN.md §6.3): `csr`, a company's TJSP
-- program, or `apbd`, an agency's own program on the regency budget, with no
-- company. A check keeps the two together.
ALTER TABLE programs ADD COLUMN funding TEXT NOT NULL DEFAULT 'csr' CHECK (funding IN ('csr','apbd'));
ALTER TABLE programs ALTER COLUMN company_id DROP NOT NULL;
ALTER TABLE programs ADD CONSTRAINT programs_funding_party CHECK
    ((funding = 'csr' AND company_id IS NOT NULL) OR (funding = 'apbd' AND company_id IS NULL AND opd_code IS NOT NULL));
