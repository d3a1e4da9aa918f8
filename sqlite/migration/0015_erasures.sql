-- Erasure jobs. A job deletes, one conversation at a time through the
-- normal delete (one receipt each, naming the job in deletions.erasure_id),
-- every conversation its selector matched that was created before its
-- snapshot. The selector is kept sealed (selector, under a data key of its
-- own, wrapped_key, wrapped by the keyring epoch key_epoch) only while the
-- job may run: a final job keeps only its summary columns (agent_id,
-- created_before and the number of the other criteria), never the user
-- id, external ids or metadata it erased. resume_after is the last conversation
-- dealt with: a job resumes after it. lease_owner and lease_until are the
-- runner that holds the job; a lease that ended is free to claim.

-- +goose Up
CREATE TABLE erasures (
    id                  BLOB    NOT NULL PRIMARY KEY,
    tenant_id           BLOB    NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    state               TEXT    NOT NULL,
    dry_run             INTEGER NOT NULL,
    include_new         INTEGER NOT NULL,
    agent_id            TEXT    NOT NULL DEFAULT '',
    created_before      INTEGER,
    has_user_id         INTEGER NOT NULL,
    external_ids        INTEGER NOT NULL,
    metadata_pairs      INTEGER NOT NULL,
    snapshot_at         INTEGER NOT NULL,
    total_conversations INTEGER NOT NULL,
    total_messages      INTEGER NOT NULL,
    total_artifacts     INTEGER NOT NULL,
    total_attachments   INTEGER NOT NULL,
    total_bytes         INTEGER NOT NULL,
    done_conversations  INTEGER NOT NULL DEFAULT 0,
    done_messages       INTEGER NOT NULL DEFAULT 0,
    done_artifacts      INTEGER NOT NULL DEFAULT 0,
    done_attachments    INTEGER NOT NULL DEFAULT 0,
    done_bytes          INTEGER NOT NULL DEFAULT 0,
    held                INTEGER NOT NULL DEFAULT 0,
    cancel_requested    INTEGER NOT NULL DEFAULT 0,
    error               TEXT    NOT NULL DEFAULT '',
    actor_key_id        BLOB,
    door                TEXT    NOT NULL DEFAULT '',
    request_id          TEXT    NOT NULL DEFAULT '',
    client_request_id   TEXT    NOT NULL DEFAULT '',
    created_at          INTEGER NOT NULL,
    updated_at          INTEGER NOT NULL,
    finished_at         INTEGER,
    selector            BLOB,
    key_epoch           INTEGER,
    wrapped_key         BLOB,
    resume_after        BLOB,
    lease_owner         TEXT    NOT NULL DEFAULT '',
    lease_until         INTEGER
);
CREATE INDEX erasures_tenant ON erasures (tenant_id, id);
-- The runners' claim: the jobs not final, oldest first.
CREATE INDEX erasures_open ON erasures (id) WHERE state IN ('queued', 'running');
ALTER TABLE deletions ADD COLUMN erasure_id BLOB;
CREATE INDEX deletions_tenant_erasure ON deletions (tenant_id, erasure_id, id) WHERE erasure_id IS NOT NULL;

-- +goose Down
DROP INDEX deletions_tenant_erasure;
ALTER TABLE deletions DROP COLUMN erasure_id;
DROP INDEX erasures_open;
DROP INDEX erasures_tenant;
DROP TABLE erasures;
