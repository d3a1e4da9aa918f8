-- Index root rotation. A conversation's blind indexes (user_idx,
-- external_idx, its attachments' name_idx and its rows of
-- conversation_meta_index) are keyed hashes under the tenant's index key,
-- derived from the keyring's index root. index_root records the root they
-- are under, or the oldest one if writes mixed roots: after a rotation
-- the re-index recomputes every conversation below the current root, in
-- short transactions, and resumes from this column. Rows stored before
-- are under the keyring's first root, 1.

-- +goose Up
ALTER TABLE conversations ADD COLUMN index_root bigint NOT NULL DEFAULT 1;
CREATE INDEX conversations_index_root ON conversations (index_root);

-- +goose Down
DROP INDEX conversations_index_root;
ALTER TABLE conversations DROP COLUMN index_root;
