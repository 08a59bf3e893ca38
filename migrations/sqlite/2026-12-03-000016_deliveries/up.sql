-- Deliveries (issue 15, item 2; DESIGN.md §6.3): what reached a target of
-- a running program, recorded by its company or lead agency, confirmed by
-- the lead agency. A confirmed delivery serves its target and adds to its
-- realised value, and is never deleted. program_id is kept beside
-- target_id so a program's deliveries are one indexed read.
CREATE TABLE deliveries (
    id TEXT PRIMARY KEY NOT NULL,
    program_id TEXT NOT NULL REFERENCES programs (id),
    target_id TEXT NOT NULL REFERENCES program_targets (id),
    delivered_on DATE NOT NULL,
    item TEXT NOT NULL,
    quantity DOUBLE PRECISION NOT NULL CHECK (quantity > 0),
    unit TEXT NOT NULL,
    value BIGINT NOT NULL CHECK (value >= 0),
    handover_number TEXT,
    notes TEXT,
    latitude DOUBLE PRECISION,
    longitude DOUBLE PRECISION,
    recorded_by TEXT NOT NULL,
    confirmed_on DATE,
    confirmed_by TEXT,
    version INTEGER NOT NULL DEFAULT 1,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL
);
CREATE INDEX deliveries_target ON deliveries (target_id, delivered_on);
CREATE INDEX deliveries_program ON deliveries (program_id, delivered_on);

-- Evidence of a delivery (photos of the handover, signed receipts): the
-- bytes live in the object store (src/storage.rs), the database keeps what
-- describes and checks them.
CREATE TABLE delivery_evidence (
    id TEXT PRIMARY KEY NOT NULL,
    delivery_id TEXT NOT NULL REFERENCES deliveries (id),
    content_type TEXT NOT NULL CHECK (content_type IN ('image/jpeg', 'image/png', 'application/pdf')),
    size_bytes INTEGER NOT NULL CHECK (size_bytes > 0),
    sha256 TEXT NOT NULL,
    object_key TEXT NOT NULL UNIQUE,
    created_by TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL
);
CREATE INDEX delivery_evidence_delivery ON delivery_evidence (delivery_id, created_at);
