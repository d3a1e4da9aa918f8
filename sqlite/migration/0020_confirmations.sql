-- Downstream confirmations (issue 12): a tenant's processors, each with
-- the deadline it has to confirm an erasure, and one confirmation row per
-- processor and deletion, written in the delete's transaction for every
-- processor registered then. A confirmation's state is read from its
-- times: confirmed_at once the processor confirmed, withdrawn_at once it
-- was no longer required (its processor deleted, the conversation
-- restored), overdue from due_at on; overdue_at records that the sweeper
-- emitted its confirmation.overdue event, so it does so once. The
-- processor's name is copied into the row, so a receipt still names a
-- processor deleted since. api_keys.processor names the processor a key
-- with the confirm scope confirms for ('' for every other key).

-- +goose Up
ALTER TABLE api_keys ADD COLUMN processor TEXT NOT NULL DEFAULT '';
CREATE TABLE processors (
    id               BLOB    NOT NULL PRIMARY KEY,
    tenant_id        BLOB    NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    name             TEXT    NOT NULL,
    deadline_seconds INTEGER NOT NULL,
    created_at       INTEGER NOT NULL
);
CREATE UNIQUE INDEX processors_tenant_name ON processors (tenant_id, name);
CREATE TABLE confirmations (
    deletion_id     BLOB    NOT NULL REFERENCES deletions (id) ON DELETE CASCADE,
    processor_id    BLOB    NOT NULL,
    tenant_id       BLOB    NOT NULL,
    processor       TEXT    NOT NULL,
    conversation_id BLOB    NOT NULL,
    due_at          INTEGER NOT NULL,
    confirmed_at    INTEGER,
    note            TEXT    NOT NULL DEFAULT '',
    overdue_at      INTEGER,
    withdrawn_at    INTEGER,
    PRIMARY KEY (deletion_id, processor_id)
);
-- What the sweeper and the metric read: the open ones, by due time.
CREATE INDEX confirmations_open ON confirmations (due_at) WHERE confirmed_at IS NULL AND withdrawn_at IS NULL;
-- What a processor's delete withdraws.
CREATE INDEX confirmations_processor ON confirmations (tenant_id, processor_id) WHERE confirmed_at IS NULL AND withdrawn_at IS NULL;

-- +goose Down
DROP TABLE confirmations;
DROP TABLE processors;
ALTER TABLE api_keys DROP COLUMN processor;
