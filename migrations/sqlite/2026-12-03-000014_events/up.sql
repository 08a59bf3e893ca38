-- Events for integrators (DESIGN §6.5, docs/EVENTS.md): an outbox written
-- in the same transaction as the change that causes it. `seq` is the feed's
-- cursor; writers of events take their turn (db::events::emit), so seq
-- order is commit order and a reader never skips a late commit.
CREATE TABLE events (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    id TEXT NOT NULL UNIQUE,
    event_type TEXT NOT NULL,
    occurred_at TIMESTAMP NOT NULL,
    -- Who may see it: the company whose program or letter it concerns, the
    -- agency leading that program; NULL: government roles only.
    company_id TEXT,
    opd_code TEXT,
    data TEXT NOT NULL
);
CREATE INDEX events_company ON events (company_id, seq) WHERE company_id IS NOT NULL;
CREATE INDEX events_opd ON events (opd_code, seq) WHERE opd_code IS NOT NULL;

-- Webhooks: where a company's or the regency's systems want events pushed.
CREATE TABLE webhooks (
    id TEXT PRIMARY KEY,
    url TEXT NOT NULL,
    -- JSON array of event types.
    events TEXT NOT NULL,
    -- The Standard Webhooks secret (whsec_…): the signing key, never shown.
    secret TEXT NOT NULL,
    active BOOLEAN NOT NULL,
    -- The company whose events it receives; NULL: every event (admin).
    company_id TEXT REFERENCES companies (id),
    created_by TEXT NOT NULL,
    failure_count INTEGER NOT NULL DEFAULT 0,
    last_success_at TIMESTAMP,
    last_failure_at TIMESTAMP,
    disabled_at TIMESTAMP,
    version INTEGER NOT NULL,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL
);
CREATE INDEX webhooks_company ON webhooks (company_id);

-- One row per event a webhook is to receive, written with the event; the
-- worker claims due rows (claimed_until: a lease another instance respects).
CREATE TABLE webhook_deliveries (
    id TEXT PRIMARY KEY,
    webhook_id TEXT NOT NULL REFERENCES webhooks (id) ON DELETE CASCADE,
    event_seq BIGINT NOT NULL REFERENCES events (seq),
    status TEXT NOT NULL CHECK (status IN ('pending', 'delivered', 'failed')),
    attempts INTEGER NOT NULL DEFAULT 0,
    next_attempt_at TIMESTAMP NOT NULL,
    claimed_until TIMESTAMP,
    last_status_code INTEGER,
    last_error TEXT,
    delivered_at TIMESTAMP,
    created_at TIMESTAMP NOT NULL,
    UNIQUE (webhook_id, event_seq)
);
-- Each webhook's line of pending deliveries, in order (its head first).
CREATE INDEX webhook_deliveries_pending ON webhook_deliveries (webhook_id, event_seq)
    WHERE status = 'pending';
