-- The outbox: every deletion-related change writes an event here in its
-- own transaction (service/event.go), without a number: pos is its place
-- in insertion order (drawn by the writer, one at a time). The service
-- numbers a tenant's committed events afterwards (seq, from event_seqs,
-- whose row the numbering holds until it commits), so sequence numbers
-- are gapless and handed out in commit order, and no change waits for
-- another tenant's or its own tenant's other changes. lease_owner and
-- lease_until are the claim of a delivery attempt (as in purge_jobs: a
-- node that dies leaves a lease that ends), attempts counts them and
-- delivered_at ends them. The sweeper prunes events older than
-- --event-retention, delivered or not.

-- +goose Up
CREATE TABLE event_seqs (
    tenant_id BLOB    NOT NULL PRIMARY KEY REFERENCES tenants (id) ON DELETE CASCADE,
    seq       INTEGER NOT NULL
);
CREATE TABLE events (
    id              BLOB    NOT NULL PRIMARY KEY,
    tenant_id       BLOB    NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    pos             INTEGER NOT NULL,
    seq             INTEGER,
    type            TEXT    NOT NULL,
    conversation_id BLOB,
    occurred_at     INTEGER NOT NULL,
    data            TEXT    NOT NULL,
    lease_owner     BLOB,
    lease_until     INTEGER,
    attempts        INTEGER NOT NULL DEFAULT 0,
    delivered_at    INTEGER
);
CREATE UNIQUE INDEX events_pos ON events (pos);
CREATE UNIQUE INDEX events_tenant_seq ON events (tenant_id, seq);
CREATE INDEX events_tenant_type_seq ON events (tenant_id, type, seq);
CREATE INDEX events_occurred ON events (occurred_at);
-- What the numbering reads: the unnumbered, in insertion order.
CREATE INDEX events_unnumbered ON events (tenant_id, pos) WHERE seq IS NULL;
-- What a relay claims: the undelivered, oldest first.
CREATE INDEX events_undelivered ON events (tenant_id, seq) WHERE delivered_at IS NULL;

-- +goose Down
DROP TABLE events;
DROP TABLE event_seqs;
