-- The outbox: every deletion-related change writes an event here in its
-- own transaction (service/event.go), without a number: pos is its place
-- in insertion order, drawn as it is inserted, after the change locked its
-- conversation, so the events of one conversation have increasing pos in
-- the order their changes committed. The service numbers a tenant's
-- committed events afterwards (seq, from event_seqs, whose row the
-- numbering holds until it commits), so sequence numbers are gapless and
-- handed out in commit order, and a reader paging by seq never passes an
-- event that commits later; a change itself never waits on a tenant-wide
-- lock. lease_owner and lease_until are the claim of a delivery attempt
-- (as in purge_jobs: a relay claims with FOR UPDATE SKIP LOCKED, and a
-- node that dies leaves a lease that ends), attempts counts them and
-- delivered_at ends them. The sweeper prunes events older than
-- --event-retention, delivered or not.

-- +goose Up
CREATE TABLE event_seqs (
    tenant_id bytea  NOT NULL PRIMARY KEY REFERENCES tenants (id) ON DELETE CASCADE,
    seq       bigint NOT NULL
);
CREATE TABLE events (
    id              bytea       NOT NULL PRIMARY KEY,
    tenant_id       bytea       NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    pos             bigint      NOT NULL GENERATED ALWAYS AS IDENTITY,
    seq             bigint,
    type            text        NOT NULL,
    conversation_id bytea,
    occurred_at     timestamptz NOT NULL,
    data            json        NOT NULL, -- kept as written, byte for byte, as SQLite keeps it
    lease_owner     bytea,
    lease_until     timestamptz,
    attempts        integer     NOT NULL DEFAULT 0,
    delivered_at    timestamptz
);
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
