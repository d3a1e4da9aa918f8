-- Tombstones: a deleted conversation's id and the blind index of its
-- external id, so that a late write naming that external id cannot bring
-- the conversation back (until expires_at; NULL keeps it for ever). Only
-- conversations with an external id leave one: native ids are random and
-- never issued again.
-- Idempotency keys: per tenant, the SHA-256 of a client's Idempotency-Key
-- and of the request it named, and the first answer (status 0 while the
-- request runs), replayed to retries until expires_at.

-- +goose Up
CREATE TABLE tombstones (
    tenant_id       BLOB    NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    conversation_id BLOB    NOT NULL,
    external_idx    BLOB    NOT NULL,
    deleted_at      INTEGER NOT NULL,
    expires_at      INTEGER,
    PRIMARY KEY (tenant_id, conversation_id)
);
CREATE INDEX tombstones_external ON tombstones (tenant_id, external_idx);
CREATE INDEX tombstones_expires ON tombstones (expires_at) WHERE expires_at IS NOT NULL;

CREATE TABLE idempotency_keys (
    tenant_id    BLOB    NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    key_hash     BLOB    NOT NULL,
    request_hash BLOB    NOT NULL,
    claimed_at   INTEGER NOT NULL,
    status       INTEGER NOT NULL,
    content_type TEXT    NOT NULL,
    body         BLOB,
    expires_at   INTEGER NOT NULL,
    PRIMARY KEY (tenant_id, key_hash)
);
CREATE INDEX idempotency_keys_expires ON idempotency_keys (expires_at);

-- +goose Down
DROP TABLE idempotency_keys;
DROP TABLE tombstones;
