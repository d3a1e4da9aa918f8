-- The outbox: every deletion-related change writes an event here in its
-- own transaction (service/event.go). seq numbers a tenant's events in
-- commit order: event_seqs holds the tenant's last one, and the write that
-- raises it holds its row until commit, so a reader paging by seq never
-- skips an event that commits later. lease_owner and lease_until are the
-- claim of a delivery attempt (as in purge_jobs: a node that dies leaves a
-- lease that ends), attempts counts them and delivered_at ends them. The
-- sweeper prunes events older than --event-retention, delivered or not.

-- +goose Up
CREATE TABLE event_seqs (
    tenant_id BLOB    NOT NULL PRIMARY KEY REFERENCES tenants (id) ON DELETE CASCADE,
    seq       INTEGER NOT NULL
);
CREATE TABLE events (
    id              BLOB    NOT NULL PRIMARY KEY,
    tenant_id       BLOB    NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    seq             INTEGER NOT NULL,
    type            TEXT    NOT NULL,
    conversation_id BLOB,
    occurred_at     INTEGER NOT NULL,
    data            TEXT    NOT NULL,
    lease_owner     BLOB,
    lease_until     INTEGER,
    attempts        INTEGER NOT NULL DEFAULT 0,
    delivered_at    INTEGER
);
CREATE UNIQUE INDEX events_tenant_seq ON events (tenant_id, seq);
CREATE INDEX events_tenant_type_seq ON events (tenant_id, type, seq);
CREATE INDEX events_occurred ON events (occurred_at);
-- What a relay claims: the undelivered, oldest first.
CREATE INDEX events_undelivered ON events (tenant_id, seq) WHERE delivered_at IS NULL;

-- +goose Down
DROP TABLE events;
DROP TABLE event_seqs;
