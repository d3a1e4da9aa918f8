-- Deletes answer at once: the delete transaction marks the conversation
-- deleted (every read skips it from that commit on), destroys its data key
-- and queues a purge job; the purger then removes its rows in bounded
-- batches that interleave with other writes, and sets the receipt's
-- purged_at when the last row is gone. A receipt written before this
-- migration was purged in its own transaction: purged_at = created_at.

-- +goose Up
ALTER TABLE conversations ADD COLUMN deleted INTEGER NOT NULL DEFAULT 0;
ALTER TABLE deletions ADD COLUMN purged_at INTEGER;
UPDATE deletions SET purged_at = created_at;
-- One row per deleted conversation not yet purged. lease_owner and
-- lease_until say which purger holds it until when (NULL: nobody): a
-- purger that dies leaves a lease that expires, and another resumes.
CREATE TABLE purge_jobs (
    conversation_id BLOB    NOT NULL PRIMARY KEY,
    tenant_id       BLOB    NOT NULL,
    deletion_id     BLOB    NOT NULL,
    created_at      INTEGER NOT NULL,
    lease_owner     BLOB,
    lease_until     INTEGER
);

-- +goose Down
DROP TABLE purge_jobs;
ALTER TABLE deletions DROP COLUMN purged_at;
ALTER TABLE conversations DROP COLUMN deleted;
