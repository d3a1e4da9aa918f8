-- Webhooks (issue 12): a tenant's HTTP endpoints, their deliveries and
-- the log of every attempt. secret is the signing secret (sealed when the
-- store is, see service/webhook.go); previous_secret stays valid, for
-- signing beside it, until previous_expires_at (the rotation overlap).
-- cursor_seq is the last of the tenant's event numbers fanned out to the
-- webhook: a delivery row is made for each later numbered event its
-- filter (events, a JSON array; NULL for every type) takes. failures
-- counts consecutive failed attempts since first_failure_at, for
-- disabling after persistent failure.
--
-- A delivery copies its event (type, conversation, time, payload) so it
-- outlives the outbox's pruning and a test delivery needs no event row.
-- It is claimed (state 'delivering', lease_owner, lease_until) as purge
-- jobs are: a worker that dies leaves a lease that ends. The one writer
-- serializes claims.

-- +goose Up
CREATE TABLE webhooks (
    id                  BLOB    NOT NULL PRIMARY KEY,
    tenant_id           BLOB    NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    url                 TEXT    NOT NULL,
    events              TEXT,
    description         TEXT    NOT NULL DEFAULT '',
    state               TEXT    NOT NULL,
    disabled_reason     TEXT    NOT NULL DEFAULT '',
    disabled_at         INTEGER,
    secret              BLOB    NOT NULL,
    previous_secret     BLOB,
    previous_expires_at INTEGER,
    cursor_seq          INTEGER NOT NULL DEFAULT 0,
    failures            INTEGER NOT NULL DEFAULT 0,
    first_failure_at    INTEGER,
    created_at          INTEGER NOT NULL,
    updated_at          INTEGER NOT NULL
);
CREATE INDEX webhooks_tenant ON webhooks (tenant_id, id);

CREATE TABLE webhook_deliveries (
    id              BLOB    NOT NULL PRIMARY KEY,
    tenant_id       BLOB    NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    webhook_id      BLOB    NOT NULL REFERENCES webhooks (id) ON DELETE CASCADE,
    event_id        BLOB    NOT NULL,
    event_type      TEXT    NOT NULL,
    seq             INTEGER NOT NULL,
    conversation_id BLOB,
    occurred_at     INTEGER NOT NULL,
    data            TEXT    NOT NULL,
    state           TEXT    NOT NULL,
    attempts        INTEGER NOT NULL DEFAULT 0,
    next_attempt_at INTEGER NOT NULL,
    lease_owner     BLOB,
    lease_until     INTEGER,
    last_attempt_at INTEGER,
    last_status     INTEGER NOT NULL DEFAULT 0,
    last_latency_us INTEGER NOT NULL DEFAULT 0,
    last_error      TEXT    NOT NULL DEFAULT '',
    response_prefix TEXT    NOT NULL DEFAULT '',
    created_at      INTEGER NOT NULL,
    delivered_at    INTEGER
);
-- The delivery log of a webhook, by id (creation order).
CREATE INDEX webhook_deliveries_webhook ON webhook_deliveries (webhook_id, id);
-- What a worker claims: the pending that are due, and the leases that end.
CREATE INDEX webhook_deliveries_due ON webhook_deliveries (next_attempt_at) WHERE state = 'pending';
CREATE INDEX webhook_deliveries_leased ON webhook_deliveries (lease_until) WHERE state = 'delivering';
-- The order rule: an earlier unfinished delivery of the conversation.
CREATE INDEX webhook_deliveries_conversation ON webhook_deliveries (webhook_id, conversation_id, seq)
    WHERE state IN ('pending', 'delivering') AND conversation_id IS NOT NULL;
CREATE INDEX webhook_deliveries_created ON webhook_deliveries (created_at);

CREATE TABLE webhook_attempts (
    delivery_id     BLOB    NOT NULL REFERENCES webhook_deliveries (id) ON DELETE CASCADE,
    attempt         INTEGER NOT NULL,
    tenant_id       BLOB    NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    started_at      INTEGER NOT NULL,
    latency_us      INTEGER NOT NULL,
    status          INTEGER NOT NULL,
    error           TEXT    NOT NULL DEFAULT '',
    response_prefix TEXT    NOT NULL DEFAULT '',
    PRIMARY KEY (delivery_id, attempt)
);
CREATE INDEX webhook_attempts_tenant ON webhook_attempts (tenant_id);

-- +goose Down
DROP TABLE webhook_attempts;
DROP TABLE webhook_deliveries;
DROP TABLE webhooks;
