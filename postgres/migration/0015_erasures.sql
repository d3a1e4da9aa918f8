-- Erasure jobs: see the SQLite migration of the same number. Times are
-- timestamptz where SQLite stores Unix microseconds.

-- +goose Up
CREATE TABLE erasures (
    tenant_id           bytea       NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    id                  bytea       NOT NULL CHECK (length(id) = 16),
    state               text        NOT NULL,
    dry_run             boolean     NOT NULL,
    include_new         boolean     NOT NULL,
    agent_id            text        NOT NULL DEFAULT '',
    created_before      timestamptz,
    has_user_id         boolean     NOT NULL,
    external_ids        integer     NOT NULL,
    metadata_pairs      integer     NOT NULL,
    snapshot_at         timestamptz NOT NULL,
    total_conversations bigint      NOT NULL,
    total_messages      bigint      NOT NULL,
    total_artifacts     bigint      NOT NULL,
    total_attachments   bigint      NOT NULL,
    total_bytes         bigint      NOT NULL,
    done_conversations  bigint      NOT NULL DEFAULT 0,
    done_messages       bigint      NOT NULL DEFAULT 0,
    done_artifacts      bigint      NOT NULL DEFAULT 0,
    done_attachments    bigint      NOT NULL DEFAULT 0,
    done_bytes          bigint      NOT NULL DEFAULT 0,
    held                bigint      NOT NULL DEFAULT 0,
    cancel_requested    boolean     NOT NULL DEFAULT false,
    error               text        NOT NULL DEFAULT '',
    actor_key_id        bytea,
    door                text        NOT NULL DEFAULT '',
    request_id          text        NOT NULL DEFAULT '',
    client_request_id   text        NOT NULL DEFAULT '',
    created_at          timestamptz NOT NULL,
    updated_at          timestamptz NOT NULL,
    finished_at         timestamptz,
    selector            bytea,
    key_epoch           bigint,
    wrapped_key         bytea,
    resume_after        bytea,
    lease_owner         text        NOT NULL DEFAULT '',
    lease_until         timestamptz,
    PRIMARY KEY (tenant_id, id)
);
-- The runners' claim, across tenants: the jobs not final, oldest first.
CREATE INDEX erasures_open ON erasures (id) WHERE state IN ('queued', 'running');
ALTER TABLE deletions ADD COLUMN erasure_id bytea;
CREATE INDEX deletions_tenant_erasure ON deletions (tenant_id, erasure_id, id) WHERE erasure_id IS NOT NULL;

-- +goose Down
DROP INDEX deletions_tenant_erasure;
ALTER TABLE deletions DROP COLUMN erasure_id;
DROP TABLE erasures;
