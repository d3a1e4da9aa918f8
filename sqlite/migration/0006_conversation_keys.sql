-- Sealed content, step one: each conversation's data key (DEK), stored
-- only wrapped by a keyring epoch (keyring.Wrap, bound to tenant and
-- conversation), and the store's meta rows (which keyring the store was
-- sealed with, so that starting with another keyring fails at once).
--
-- A conversation's delete removes its key row explicitly in the delete
-- transaction (ConversationDelete), not only by the cascade: from that
-- commit on no path can open the conversation's content, even while a
-- later background purge still removes its rows.

-- +goose Up
CREATE TABLE conversation_keys (
    tenant_id       BLOB    NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    conversation_id BLOB    NOT NULL,
    epoch           INTEGER NOT NULL, -- the keyring epoch that wrapped it
    wrapped_key     BLOB    NOT NULL,
    created_at      INTEGER NOT NULL,
    PRIMARY KEY (tenant_id, conversation_id),
    FOREIGN KEY (tenant_id, conversation_id) REFERENCES conversations (tenant_id, id) ON DELETE CASCADE
);
-- Rotation re-wraps the keys of retired epochs in batches.
CREATE INDEX conversation_keys_epoch ON conversation_keys (epoch, tenant_id, conversation_id);

-- Facts about the store itself, one row each (name 'keyring_id': the id
-- of the keyring whose epochs wrap the data keys).
CREATE TABLE store_meta (
    name  TEXT NOT NULL PRIMARY KEY,
    value TEXT NOT NULL
);

-- +goose Down
DROP TABLE store_meta;
DROP TABLE conversation_keys;
