-- A deletion receipt says when its content became unrecoverable from any
-- copy: key_epoch is the keyring epoch that wrapped the conversation's data
-- key when it was deleted (NULL for a conversation deleted before its
-- store was sealed), shredded_at when that epoch (the last that ever
-- wrapped the key: epochs are destroyed oldest first) was destroyed, NULL
-- until then. Both are ids and times, never content.

-- +goose Up
ALTER TABLE deletions ADD COLUMN key_epoch INTEGER;
ALTER TABLE deletions ADD COLUMN shredded_at INTEGER;
-- The rotation marks receipts shredded by epoch, across tenants.
CREATE INDEX deletions_unshredded ON deletions (key_epoch) WHERE shredded_at IS NULL AND key_epoch IS NOT NULL;

-- +goose Down
DROP INDEX deletions_unshredded;
ALTER TABLE deletions DROP COLUMN shredded_at;
ALTER TABLE deletions DROP COLUMN key_epoch;
