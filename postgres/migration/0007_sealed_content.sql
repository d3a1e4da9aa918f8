-- Sealed content, step two. The service seals every content field before
-- it reaches the engine (package seal: each value under its
-- conversation's data key, see 0006), so content columns become bytea.
-- Existing text is converted to its UTF-8 bytes and still reads (a sealed
-- value starts with 0xF5 or 0xF6, which no UTF-8 text does) until the
-- upgrade job seals it; empty metadata becomes NULL.
--
-- Fields that are looked up get blind indexes (keyed hashes under the
-- tenant's index key): user_idx, external_idx and name_idx, beside
-- the sealed values; a row without one (written before sealing) is found
-- by its plaintext column instead. Metadata keys are content too, so
-- metadata filters match rows of conversation_meta_index, one per pair:
-- the hash of the key, and the hash of key and value.

-- +goose Up
ALTER TABLE conversations
    ALTER COLUMN user_id DROP DEFAULT,
    ALTER COLUMN user_id TYPE bytea USING convert_to(user_id, 'UTF8'),
    ALTER COLUMN user_id SET DEFAULT ''::bytea,
    ALTER COLUMN title DROP DEFAULT,
    ALTER COLUMN title TYPE bytea USING convert_to(title, 'UTF8'),
    ALTER COLUMN title SET DEFAULT ''::bytea,
    ALTER COLUMN external_id TYPE bytea USING convert_to(external_id, 'UTF8'),
    ALTER COLUMN metadata DROP DEFAULT,
    ALTER COLUMN metadata DROP NOT NULL,
    ALTER COLUMN metadata TYPE bytea USING
        CASE WHEN metadata = '{}'::jsonb THEN NULL ELSE convert_to(metadata::text, 'UTF8') END,
    ADD COLUMN user_idx bytea,
    ADD COLUMN external_idx bytea;
CREATE INDEX conversations_tenant_user_idx ON conversations (tenant_id, user_idx, id) WHERE user_idx IS NOT NULL;
CREATE UNIQUE INDEX conversations_tenant_external_idx ON conversations (tenant_id, external_idx)
    WHERE external_idx IS NOT NULL;

ALTER TABLE messages
    ALTER COLUMN content DROP DEFAULT,
    ALTER COLUMN content TYPE bytea USING convert_to(content, 'UTF8'),
    ALTER COLUMN content SET DEFAULT ''::bytea,
    ALTER COLUMN parts TYPE bytea USING convert_to(parts::text, 'UTF8'),
    ALTER COLUMN author_name DROP DEFAULT,
    ALTER COLUMN author_name TYPE bytea USING convert_to(author_name, 'UTF8'),
    ALTER COLUMN author_name SET DEFAULT ''::bytea,
    ALTER COLUMN metadata DROP DEFAULT,
    ALTER COLUMN metadata DROP NOT NULL,
    ALTER COLUMN metadata TYPE bytea USING
        CASE WHEN metadata = '{}'::jsonb THEN NULL ELSE convert_to(metadata::text, 'UTF8') END;

ALTER TABLE artifacts
    ALTER COLUMN text DROP DEFAULT,
    ALTER COLUMN text TYPE bytea USING convert_to(text, 'UTF8'),
    ALTER COLUMN text SET DEFAULT ''::bytea,
    ALTER COLUMN data TYPE bytea USING convert_to(data::text, 'UTF8');

ALTER TABLE attachments
    ALTER COLUMN name TYPE bytea USING convert_to(name, 'UTF8'),
    ADD COLUMN name_idx bytea;
CREATE UNIQUE INDEX attachments_name_idx ON attachments (tenant_id, conversation_id, name_idx)
    WHERE name_idx IS NOT NULL;

CREATE TABLE conversation_meta_index (
    tenant_id       bytea NOT NULL,
    conversation_id bytea NOT NULL,
    key_idx         bytea NOT NULL, -- blind index of the key
    pair_idx        bytea NOT NULL, -- blind index of key and value
    PRIMARY KEY (tenant_id, conversation_id, pair_idx),
    FOREIGN KEY (tenant_id, conversation_id) REFERENCES conversations (tenant_id, id) ON DELETE CASCADE
);
CREATE INDEX conversation_meta_index_pair ON conversation_meta_index (tenant_id, pair_idx, conversation_id);

-- +goose Down
-- Sealed bytes cannot become text again; only the indexes go.
DROP TABLE conversation_meta_index;
DROP INDEX attachments_name_idx;
ALTER TABLE attachments DROP COLUMN name_idx;
DROP INDEX conversations_tenant_external_idx;
DROP INDEX conversations_tenant_user_idx;
ALTER TABLE conversations DROP COLUMN external_idx, DROP COLUMN user_idx;
