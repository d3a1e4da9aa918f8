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
-- jobs are: workers of many nodes claim with FOR UPDATE SKIP LOCKED, so
-- two never claim one delivery, and a worker that dies leaves a lease
-- that ends.

-- +goose Up
CREATE TABLE webhooks (
    id                  bytea       NOT NULL PRIMARY KEY,
    tenant_id           bytea       NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    url                 text        NOT NULL,
    events              text,
    description         text        NOT NULL DEFAULT '',
    state               text        NOT NULL,
    disabled_reason     text        NOT NULL DEFAULT '',
    disabled_at         timestamptz,
    secret              bytea       NOT NULL,
    previous_secret     bytea,
    previous_expires_at timestamptz,
    cursor_seq          bigint      NOT NULL DEFAULT 0,
    failures            integer     NOT NULL DEFAULT 0,
    first_failure_at    timestamptz,
    created_at          timestamptz NOT NULL,
    updated_at          timestamptz NOT NULL
);
CREATE INDEX webhooks_tenant ON webhooks (tenant_id, id);

CREATE TABLE webhook_deliveries (
    id              bytea       NOT NULL PRIMARY KEY,
    tenant_id       bytea       NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    webhook_id      bytea       NOT NULL REFERENCES webhooks (id) ON DELETE CASCADE,
    event_id        bytea       NOT NULL,
    event_type      text        NOT NULL,
    seq             bigint      NOT NULL,
    conversation_id bytea,
    occurred_at     timestamptz NOT NULL,
    data            json        NOT NULL, -- kept as written, byte for byte, as SQLite keeps it
    state           text        NOT NULL,
    attempts        integer     NOT NULL DEFAULT 0,
    next_attempt_at timestamptz NOT NULL,
    lease_owner     bytea,
    lease_until     timestamptz,
    last_attempt_at timestamptz,
    last_status     integer     NOT NULL DEFAULT 0,
    last_latency_us bigint      NOT NULL DEFAULT 0,
    last_error      text        NOT NULL DEFAULT '',
    response_prefix text        NOT NULL DEFAULT '',
    created_at      timestamptz NOT NULL,
    delivered_at    timestamptz
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
    delivery_id     bytea       NOT NULL REFERENCES webhook_deliveries (id) ON DELETE CASCADE,
    attempt         integer     NOT NULL,
    tenant_id       bytea       NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    started_at      timestamptz NOT NULL,
    latency_us      bigint      NOT NULL,
    status          integer     NOT NULL,
    error           text        NOT NULL DEFAULT '',
    response_prefix text        NOT NULL DEFAULT '',
    PRIMARY KEY (delivery_id, attempt)
);
CREATE INDEX webhook_attempts_tenant ON webhook_attempts (tenant_id);

-- +goose Down
DROP TABLE webhook_attempts;
DROP TABLE webhook_deliveries;
DROP TABLE webhooks;
