-- Restore window: a tenant may keep a deleted conversation restorable for
-- restore_window_days (0: off, deletes are final at once). Such a delete
-- hides the conversation but keeps its data key, metadata index and
-- external id; its purge job waits until due_at (NULL: due at once), when
-- the purger destroys the key and then purges. The receipt says until when
-- it was restorable and when it was restored. A hidden conversation
-- keeps its external id but does not hold it: the unique indexes cover
-- live conversations only, so a door that reuses a deleted external id
-- (ReuseDeletedExternalID) can start a new conversation with it; restoring
-- the hidden one then conflicts.

-- +goose Up
CREATE TABLE restore_windows (
    tenant_id bytea   NOT NULL PRIMARY KEY REFERENCES tenants (id) ON DELETE CASCADE,
    days      integer NOT NULL
);
ALTER TABLE purge_jobs ADD COLUMN due_at timestamptz;
ALTER TABLE deletions ADD COLUMN restorable_until timestamptz;
DROP INDEX conversations_tenant_external;
CREATE UNIQUE INDEX conversations_tenant_external ON conversations (tenant_id, external_id)
    WHERE external_id IS NOT NULL AND NOT deleted;
DROP INDEX conversations_tenant_external_idx;
CREATE UNIQUE INDEX conversations_tenant_external_idx ON conversations (tenant_id, external_idx)
    WHERE external_idx IS NOT NULL AND NOT deleted;
ALTER TABLE deletions ADD COLUMN restored_at timestamptz;

-- +goose Down
DROP INDEX conversations_tenant_external_idx;
CREATE UNIQUE INDEX conversations_tenant_external_idx ON conversations (tenant_id, external_idx)
    WHERE external_idx IS NOT NULL;
DROP INDEX conversations_tenant_external;
CREATE UNIQUE INDEX conversations_tenant_external ON conversations (tenant_id, external_id)
    WHERE external_id IS NOT NULL;
ALTER TABLE deletions DROP COLUMN restored_at;
ALTER TABLE deletions DROP COLUMN restorable_until;
ALTER TABLE purge_jobs DROP COLUMN due_at;
DROP TABLE restore_windows;
