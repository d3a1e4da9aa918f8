-- Deletes answer at once: the delete transaction marks the conversation
-- deleted (every read skips it from that commit on), destroys its data key
-- and queues a purge job; purgers on any node then remove its rows in
-- bounded batches, claiming jobs with FOR UPDATE SKIP LOCKED and a lease
-- (a node that dies leaves a lease that expires, and another resumes),
-- and set the receipt's purged_at when the last row is gone. A receipt
-- written before this migration was purged in its own transaction:
-- purged_at = created_at. ADD COLUMN with a constant default rewrites
-- nothing (PostgreSQL 11+).

-- +goose Up
ALTER TABLE conversations ADD COLUMN deleted boolean NOT NULL DEFAULT false;
ALTER TABLE deletions ADD COLUMN purged_at timestamptz;
UPDATE deletions SET purged_at = created_at;
CREATE TABLE purge_jobs (
    conversation_id bytea       NOT NULL PRIMARY KEY,
    tenant_id       bytea       NOT NULL,
    deletion_id     bytea       NOT NULL,
    created_at      timestamptz NOT NULL,
    lease_owner     bytea,
    lease_until     timestamptz
);

-- +goose Down
DROP TABLE purge_jobs;
ALTER TABLE deletions DROP COLUMN purged_at;
ALTER TABLE conversations DROP COLUMN deleted;
