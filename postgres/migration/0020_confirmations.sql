-- Downstream confirmations (issue 12): a tenant's processors, each with
-- the deadline it has to confirm an erasure, and one confirmation row per
-- processor and deletion, written in the delete's transaction for every
-- processor registered then. A confirmation's state is read from its
-- times: confirmed_at once the processor confirmed, withdrawn_at once it
-- was no longer required (its processor deleted, the conversation
-- restored), overdue from due_at on; overdue_at records that the sweeper
-- emitted its confirmation.overdue event, so it does so once (it claims
-- rows with FOR UPDATE SKIP LOCKED, so two nodes never emit one twice).
-- The processor's name is copied into the row, so a receipt still names a
-- processor deleted since. api_keys.processor names the processor a key
-- with the confirm scope confirms for ('' for every other key).

-- +goose Up
ALTER TABLE api_keys ADD COLUMN processor text NOT NULL DEFAULT '';
CREATE TABLE processors (
    tenant_id        bytea       NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    id               bytea       NOT NULL CHECK (length(id) = 16),
    name             text        NOT NULL,
    deadline_seconds bigint      NOT NULL,
    created_at       timestamptz NOT NULL,
    PRIMARY KEY (tenant_id, id)
);
CREATE UNIQUE INDEX processors_tenant_name ON processors (tenant_id, name);
CREATE TABLE confirmations (
    tenant_id       bytea       NOT NULL,
    deletion_id     bytea       NOT NULL,
    processor_id    bytea       NOT NULL,
    processor       text        NOT NULL,
    conversation_id bytea       NOT NULL,
    due_at          timestamptz NOT NULL,
    confirmed_at    timestamptz,
    note            text        NOT NULL DEFAULT '',
    overdue_at      timestamptz,
    withdrawn_at    timestamptz,
    PRIMARY KEY (tenant_id, deletion_id, processor_id),
    FOREIGN KEY (tenant_id, deletion_id) REFERENCES deletions (tenant_id, id) ON DELETE CASCADE
);
-- What the sweeper and the metric read: the open ones, by due time.
CREATE INDEX confirmations_open ON confirmations (due_at) WHERE confirmed_at IS NULL AND withdrawn_at IS NULL;
-- What a processor's delete withdraws.
CREATE INDEX confirmations_processor ON confirmations (tenant_id, processor_id) WHERE confirmed_at IS NULL AND withdrawn_at IS NULL;

-- +goose Down
DROP TABLE confirmations;
DROP TABLE processors;
ALTER TABLE api_keys DROP COLUMN processor;
