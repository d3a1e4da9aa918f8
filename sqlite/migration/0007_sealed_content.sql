-- Sealed content, step two. The service seals every content field before
-- it reaches the engine (package seal: each value under its
-- conversation's data key, see 0006), so content columns hold sealed
-- bytes: BLOBs, which SQLite keeps in the existing TEXT columns as they
-- are (TEXT affinity converts only numbers), so no table is rebuilt. Rows
-- written before sealing keep their TEXT and still read (a sealed value
-- starts with 0xF5 or 0xF6, which no UTF-8 text does) until the upgrade
-- job seals them.
--
-- Fields that are looked up get blind indexes (keyed hashes under the
-- tenant's index key): user_idx, external_idx and name_idx, beside
-- the sealed values; a row without one (written before sealing) is found
-- by its plaintext column instead. Metadata keys are content too, so
-- metadata filters match rows of conversation_meta_index, one per pair:
-- the hash of the key, and the hash of key and value.

-- +goose Up
ALTER TABLE conversations ADD COLUMN user_idx BLOB;
ALTER TABLE conversations ADD COLUMN external_idx BLOB;
CREATE INDEX conversations_tenant_user_idx ON conversations (tenant_id, user_idx, id) WHERE user_idx IS NOT NULL;
CREATE UNIQUE INDEX conversations_tenant_external_idx ON conversations (tenant_id, external_idx)
    WHERE external_idx IS NOT NULL;

ALTER TABLE attachments ADD COLUMN name_idx BLOB;
CREATE UNIQUE INDEX attachments_name_idx ON attachments (tenant_id, conversation_id, name_idx)
    WHERE name_idx IS NOT NULL;

CREATE TABLE conversation_meta_index (
    tenant_id       BLOB NOT NULL,
    conversation_id BLOB NOT NULL,
    key_idx         BLOB NOT NULL, -- blind index of the key
    pair_idx        BLOB NOT NULL, -- blind index of key and value
    PRIMARY KEY (tenant_id, conversation_id, pair_idx),
    FOREIGN KEY (tenant_id, conversation_id) REFERENCES conversations (tenant_id, id) ON DELETE CASCADE
) WITHOUT ROWID;
CREATE INDEX conversation_meta_index_pair ON conversation_meta_index (tenant_id, pair_idx, conversation_id);

-- +goose Down
DROP TABLE conversation_meta_index;
DROP INDEX attachments_name_idx;
ALTER TABLE attachments DROP COLUMN name_idx;
DROP INDEX conversations_tenant_external_idx;
DROP INDEX conversations_tenant_user_idx;
ALTER TABLE conversations DROP COLUMN external_idx;
ALTER TABLE conversations DROP COLUMN user_idx;
