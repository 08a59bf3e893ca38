-- Realisation reports (issue 15, item 4; DESIGN.md §6.3): a company's
-- periodic TJSL report of a cycle, one per period (`2027-Q1` … `2027-Q4`, or
-- `2027` for the year). The figures are frozen when it is submitted
-- (NULL before); `programs` is their per-program breakdown as JSON.
CREATE TABLE realisation_reports (
    id TEXT PRIMARY KEY NOT NULL,
    company_id TEXT NOT NULL REFERENCES companies (id),
    cycle_year INTEGER NOT NULL REFERENCES cycles (year),
    period TEXT NOT NULL,
    status TEXT NOT NULL CHECK (status IN ('draft','submitted','needs_revision','approved')),
    notes TEXT,
    planned_budget BIGINT,
    realised_value BIGINT,
    households_planned BIGINT,
    households_served BIGINT,
    desa_reached BIGINT,
    programs TEXT,
    submitted_on DATE,
    submitted_by TEXT,
    reviewed_on DATE,
    reviewed_by TEXT,
    review_note TEXT,
    version INTEGER NOT NULL DEFAULT 1,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL
);
CREATE UNIQUE INDEX realisation_reports_once ON realisation_reports (company_id, period);
CREATE INDEX realisation_reports_cycle ON realisation_reports (cycle_year, status);
