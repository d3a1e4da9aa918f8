-- Restore window: a tenant may keep a deleted conversation restorable for
-- restore_window_days (0: off, deletes are final at once). Such a delete
-- hides the conversation but keeps its data key, metadata index and
-- external id; its purge job waits until due_at (NULL: due at once), when
-- the purger destroys the key and then purges. The receipt says until when
-- it was restorable and when it was restored.

-- +goose Up
CREATE TABLE restore_windows (
    tenant_id BLOB    NOT NULL PRIMARY KEY REFERENCES tenants (id) ON DELETE CASCADE,
    days      INTEGER NOT NULL
);
ALTER TABLE purge_jobs ADD COLUMN due_at INTEGER;
ALTER TABLE deletions ADD COLUMN restorable_until INTEGER;
ALTER TABLE deletions ADD COLUMN restored_at INTEGER;

-- +goose Down
ALTER TABLE deletions DROP COLUMN restored_at;
ALTER TABLE deletions DROP COLUMN restorable_until;
ALTER TABLE purge_jobs DROP COLUMN due_at;
DROP TABLE restore_windows;
