-- End-user records of their own (issue 13); the SQLite engine's
-- 0023_end_users.sql explains the tables and the move. Live
-- conversations of the reserved agent 'botpress.users' move here with
-- their ids, sealed bytes, data key and blind indexes as they are.

-- +goose Up
CREATE TABLE end_users (
    tenant_id    bytea       NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    id           bytea       NOT NULL CHECK (length(id) = 16),
    user_id      bytea       NOT NULL,
    user_idx     bytea,
    external_id  bytea,
    external_idx bytea,
    name         bytea       NOT NULL DEFAULT ''::bytea,
    metadata     bytea,
    moved        boolean     NOT NULL DEFAULT false,
    index_root   bigint      NOT NULL DEFAULT 1,
    key_epoch    bigint,
    wrapped_key  bytea,
    created_at   timestamptz NOT NULL,
    updated_at   timestamptz NOT NULL,
    PRIMARY KEY (tenant_id, id)
);
CREATE UNIQUE INDEX end_users_user_idx ON end_users (tenant_id, user_idx) WHERE user_idx IS NOT NULL;
CREATE INDEX end_users_user ON end_users (tenant_id, user_id) WHERE user_idx IS NULL;
CREATE UNIQUE INDEX end_users_external_idx ON end_users (tenant_id, external_idx) WHERE external_idx IS NOT NULL;
CREATE INDEX end_users_epoch ON end_users (key_epoch, tenant_id, id) WHERE key_epoch IS NOT NULL;

CREATE TABLE end_user_meta_index (
    tenant_id   bytea NOT NULL,
    end_user_id bytea NOT NULL,
    key_idx     bytea NOT NULL,
    pair_idx    bytea NOT NULL,
    PRIMARY KEY (tenant_id, end_user_id, pair_idx),
    FOREIGN KEY (tenant_id, end_user_id) REFERENCES end_users (tenant_id, id) ON DELETE CASCADE
);
CREATE INDEX end_user_meta_index_pair ON end_user_meta_index (tenant_id, pair_idx, end_user_id);

ALTER TABLE deletions ADD COLUMN kind text NOT NULL DEFAULT '';

INSERT INTO end_users (tenant_id, id, user_id, user_idx, external_id, external_idx, name, metadata, moved,
    index_root, key_epoch, wrapped_key, created_at, updated_at)
SELECT c.tenant_id, c.id, c.user_id, c.user_idx, c.external_id, c.external_idx, c.title, c.metadata, true,
    c.index_root, k.epoch, k.wrapped_key, c.created_at, c.updated_at
FROM conversations c
LEFT JOIN conversation_keys k ON k.tenant_id = c.tenant_id AND k.conversation_id = c.id
WHERE c.agent_id = 'botpress.users' AND NOT c.deleted;

INSERT INTO end_user_meta_index (tenant_id, end_user_id, key_idx, pair_idx)
SELECT mi.tenant_id, mi.conversation_id, mi.key_idx, mi.pair_idx
FROM conversation_meta_index mi JOIN end_users e ON e.tenant_id = mi.tenant_id AND e.id = mi.conversation_id;

DELETE FROM conversation_meta_index mi USING end_users e WHERE mi.tenant_id = e.tenant_id AND mi.conversation_id = e.id;
DELETE FROM conversation_keys k USING end_users e WHERE k.tenant_id = e.tenant_id AND k.conversation_id = e.id;
DELETE FROM conversations c USING end_users e WHERE c.tenant_id = e.tenant_id AND c.id = e.id;

-- +goose Down
ALTER TABLE deletions DROP COLUMN kind;
DROP TABLE end_user_meta_index;
DROP TABLE end_users;
