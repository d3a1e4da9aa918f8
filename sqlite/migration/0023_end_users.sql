-- End-user records of their own (issue 13): Botpress's users were
-- conversations of the reserved agent 'botpress.users', which every list,
-- count, event, retention policy and export of conversations then showed.
-- end_users holds them apart. Content (the user id, the get-or-create
-- key, the name, the metadata) is sealed under the record's own data key,
-- kept wrapped in the row itself (key_epoch, wrapped_key): deleting the
-- row destroys the key. user_idx, external_idx and end_user_meta_index
-- are blind indexes under the tenant's index key, as conversations' are.
--
-- The live pseudo-conversations move here as they are: same id, same
-- sealed bytes, same data key (wrapped for the same tenant and id) and
-- same indexes, so clients' user ids keep working and nothing needs the
-- keyring. moved = 1 marks the rows whose values were sealed as a
-- conversation's (their sealing context names the conversations table);
-- the service re-seals such a row under its own context when it next
-- writes it. Deleted ones (under a restore window or being purged) stay
-- conversations until their purge.
--
-- Receipts get a kind: '' for a conversation, 'end_user' for a record.

-- +goose Up
CREATE TABLE end_users (
    id           BLOB    NOT NULL PRIMARY KEY,
    tenant_id    BLOB    NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    user_id      TEXT    NOT NULL,
    user_idx     BLOB,
    external_id  TEXT,
    external_idx BLOB,
    name         TEXT    NOT NULL DEFAULT '',
    metadata     BLOB,
    moved        INTEGER NOT NULL DEFAULT 0,
    index_root   INTEGER NOT NULL DEFAULT 1,
    key_epoch    INTEGER,
    wrapped_key  BLOB,
    created_at   INTEGER NOT NULL,
    updated_at   INTEGER NOT NULL
);
CREATE UNIQUE INDEX end_users_tenant ON end_users (tenant_id, id);
CREATE UNIQUE INDEX end_users_user_idx ON end_users (tenant_id, user_idx) WHERE user_idx IS NOT NULL;
CREATE INDEX end_users_user ON end_users (tenant_id, user_id) WHERE user_idx IS NULL;
CREATE UNIQUE INDEX end_users_external_idx ON end_users (tenant_id, external_idx) WHERE external_idx IS NOT NULL;
CREATE INDEX end_users_epoch ON end_users (key_epoch, tenant_id, id) WHERE key_epoch IS NOT NULL;

CREATE TABLE end_user_meta_index (
    tenant_id   BLOB NOT NULL,
    end_user_id BLOB NOT NULL,
    key_idx     BLOB NOT NULL,
    pair_idx    BLOB NOT NULL,
    PRIMARY KEY (tenant_id, end_user_id, pair_idx),
    FOREIGN KEY (tenant_id, end_user_id) REFERENCES end_users (tenant_id, id) ON DELETE CASCADE
) WITHOUT ROWID;
CREATE INDEX end_user_meta_index_pair ON end_user_meta_index (tenant_id, pair_idx, end_user_id);

ALTER TABLE deletions ADD COLUMN kind TEXT NOT NULL DEFAULT '';

INSERT INTO end_users (id, tenant_id, user_id, user_idx, external_id, external_idx, name, metadata, moved,
    index_root, key_epoch, wrapped_key, created_at, updated_at)
SELECT c.id, c.tenant_id, c.user_id, c.user_idx, c.external_id, c.external_idx, c.title, c.metadata, 1,
    c.index_root, k.epoch, k.wrapped_key, c.created_at, c.updated_at
FROM conversations c
LEFT JOIN conversation_keys k ON k.tenant_id = c.tenant_id AND k.conversation_id = c.id
WHERE c.agent_id = 'botpress.users' AND c.deleted = 0;

INSERT INTO end_user_meta_index (tenant_id, end_user_id, key_idx, pair_idx)
SELECT mi.tenant_id, mi.conversation_id, mi.key_idx, mi.pair_idx
FROM conversation_meta_index mi JOIN end_users e ON e.tenant_id = mi.tenant_id AND e.id = mi.conversation_id;

-- Explicitly, not only by the cascade: the old rows and their key go.
DELETE FROM conversation_meta_index WHERE (tenant_id, conversation_id) IN (SELECT tenant_id, id FROM end_users);
DELETE FROM conversation_keys WHERE (tenant_id, conversation_id) IN (SELECT tenant_id, id FROM end_users);
DELETE FROM conversations WHERE (tenant_id, id) IN (SELECT tenant_id, id FROM end_users);

-- +goose Down
ALTER TABLE deletions DROP COLUMN kind;
DROP TABLE end_user_meta_index;
DROP TABLE end_users;
