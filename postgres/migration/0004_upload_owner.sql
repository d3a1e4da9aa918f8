-- An upload intent names the node that is uploading: the id of the
-- advisory lock that node's own connection holds. A node starting up makes
-- the intents whose owner's lock is free due at once (their uploads died
-- with their node), instead of an hour later. NULL for the removals of
-- deleted blobs, and for intents written before this migration.

-- +goose Up
ALTER TABLE blob_removals ADD COLUMN owner bigint;

-- +goose Down
ALTER TABLE blob_removals DROP COLUMN owner;
