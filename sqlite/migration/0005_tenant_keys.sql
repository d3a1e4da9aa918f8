-- Every table holding a tenant's data gets a foreign key to tenants, as in
-- PostgreSQL since 0001: a conversation (or anything else) can no longer be
-- stored under a tenant that does not exist. Children of a conversation
-- and access tokens refer to their parent by (tenant_id, id), so a row can
-- never belong to one tenant and hang under another's parent; their
-- indexes lead with (tenant_id, parent) for the cascades and the lookups.
--
-- SQLite cannot add a constraint to a table, so each table is rebuilt
-- (create, copy, drop, rename), with foreign keys off meanwhile: a DROP
-- would otherwise cascade. Foreign keys cannot be switched inside a
-- transaction, hence NO TRANSACTION and an explicit one.
--
-- Rows under a tenant that does not exist (which the missing key let
-- through) cannot be reached by any key; they are not copied, and the
-- blobs of their attachments are queued for removal.

-- +goose NO TRANSACTION
-- +goose Up
PRAGMA foreign_keys = OFF;
BEGIN IMMEDIATE;

INSERT INTO blob_removals (blob_key, due_at, created_at)
SELECT a.blob_key, 0, 0 FROM attachments a
WHERE NOT EXISTS (SELECT 1 FROM conversations c JOIN tenants t ON t.id = c.tenant_id
                  WHERE c.id = a.conversation_id AND c.tenant_id = a.tenant_id)
ON CONFLICT (blob_key) DO NOTHING;

CREATE TABLE conversations_new (
    id            BLOB    NOT NULL PRIMARY KEY,
    seq           INTEGER NOT NULL UNIQUE,
    tenant_id     BLOB    NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    agent_id      TEXT    NOT NULL DEFAULT '',
    user_id       TEXT    NOT NULL DEFAULT '',
    title         TEXT    NOT NULL DEFAULT '',
    metadata      TEXT,
    message_count INTEGER NOT NULL DEFAULT 0,
    created_at    INTEGER NOT NULL,
    updated_at    INTEGER NOT NULL,
    external_id   TEXT,
    UNIQUE (tenant_id, id)
);
INSERT INTO conversations_new (id, seq, tenant_id, agent_id, user_id, title, metadata, message_count, created_at, updated_at, external_id)
SELECT id, seq, tenant_id, agent_id, user_id, title, metadata, message_count, created_at, updated_at, external_id
FROM conversations WHERE tenant_id IN (SELECT id FROM tenants);
DROP TABLE conversations;
ALTER TABLE conversations_new RENAME TO conversations;
CREATE INDEX conversations_tenant_user ON conversations (tenant_id, user_id, id);
CREATE INDEX conversations_tenant_agent ON conversations (tenant_id, agent_id, id);
CREATE UNIQUE INDEX conversations_tenant_external ON conversations (tenant_id, external_id)
    WHERE external_id IS NOT NULL;

CREATE TABLE messages_new (
    id              BLOB    NOT NULL PRIMARY KEY,
    tenant_id       BLOB    NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    conversation_id BLOB    NOT NULL,
    role            TEXT    NOT NULL,
    content         TEXT    NOT NULL DEFAULT '',
    parts           TEXT,
    author_name     TEXT    NOT NULL DEFAULT '',
    start_offset    INTEGER,
    end_offset      INTEGER,
    metadata        TEXT,
    created_at      INTEGER NOT NULL,
    FOREIGN KEY (tenant_id, conversation_id) REFERENCES conversations (tenant_id, id) ON DELETE CASCADE
);
INSERT INTO messages_new SELECT m.id, m.tenant_id, m.conversation_id, m.role, m.content, m.parts, m.author_name,
    m.start_offset, m.end_offset, m.metadata, m.created_at
FROM messages m JOIN conversations c ON c.id = m.conversation_id AND c.tenant_id = m.tenant_id;
DROP TABLE messages;
ALTER TABLE messages_new RENAME TO messages;
CREATE INDEX messages_conversation ON messages (tenant_id, conversation_id, id);

CREATE TABLE artifacts_new (
    id              BLOB    NOT NULL PRIMARY KEY,
    tenant_id       BLOB    NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    conversation_id BLOB    NOT NULL,
    type            TEXT    NOT NULL,
    text            TEXT    NOT NULL DEFAULT '',
    data            TEXT,
    message_ids     BLOB,
    score           REAL,
    created_at      INTEGER NOT NULL,
    FOREIGN KEY (tenant_id, conversation_id) REFERENCES conversations (tenant_id, id) ON DELETE CASCADE
);
INSERT INTO artifacts_new SELECT a.id, a.tenant_id, a.conversation_id, a.type, a.text, a.data, a.message_ids, a.score, a.created_at
FROM artifacts a JOIN conversations c ON c.id = a.conversation_id AND c.tenant_id = a.tenant_id;
DROP TABLE artifacts;
ALTER TABLE artifacts_new RENAME TO artifacts;
CREATE INDEX artifacts_conversation ON artifacts (tenant_id, conversation_id, id);

CREATE TABLE attachments_new (
    id              BLOB    NOT NULL PRIMARY KEY,
    tenant_id       BLOB    NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    conversation_id BLOB    NOT NULL,
    name            TEXT    NOT NULL,
    content_type    TEXT    NOT NULL,
    size            INTEGER NOT NULL,
    sha256          TEXT    NOT NULL,
    blob_key        TEXT    NOT NULL UNIQUE,
    created_at      INTEGER NOT NULL,
    UNIQUE (conversation_id, name),
    FOREIGN KEY (tenant_id, conversation_id) REFERENCES conversations (tenant_id, id) ON DELETE CASCADE
);
INSERT INTO attachments_new SELECT a.id, a.tenant_id, a.conversation_id, a.name, a.content_type, a.size, a.sha256, a.blob_key, a.created_at
FROM attachments a JOIN conversations c ON c.id = a.conversation_id AND c.tenant_id = a.tenant_id;
DROP TABLE attachments;
ALTER TABLE attachments_new RENAME TO attachments;
CREATE INDEX attachments_conversation ON attachments (tenant_id, conversation_id, id);

CREATE TABLE deletions_new (
    id                BLOB    NOT NULL PRIMARY KEY,
    tenant_id         BLOB    NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    conversation_id   BLOB    NOT NULL,
    conversation_seq  INTEGER NOT NULL,
    actor_key_id      BLOB,
    door              TEXT    NOT NULL DEFAULT '',
    request_id        TEXT    NOT NULL DEFAULT '',
    messages          INTEGER NOT NULL,
    artifacts         INTEGER NOT NULL,
    attachments       INTEGER NOT NULL,
    attachment_bytes  INTEGER NOT NULL,
    created_at        INTEGER NOT NULL,
    client_request_id TEXT    NOT NULL DEFAULT ''
);
INSERT INTO deletions_new (id, tenant_id, conversation_id, conversation_seq, actor_key_id, door, request_id, messages,
    artifacts, attachments, attachment_bytes, created_at, client_request_id)
SELECT id, tenant_id, conversation_id, conversation_seq, actor_key_id, door, request_id, messages,
    artifacts, attachments, attachment_bytes, created_at, client_request_id
FROM deletions WHERE tenant_id IN (SELECT id FROM tenants);
DROP TABLE deletions;
ALTER TABLE deletions_new RENAME TO deletions;
CREATE INDEX deletions_tenant ON deletions (tenant_id, id);
CREATE INDEX deletions_tenant_conversation ON deletions (tenant_id, conversation_id, id);

CREATE TABLE audit_log_new (
    id                BLOB    NOT NULL PRIMARY KEY,
    tenant_id         BLOB    NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    action            TEXT    NOT NULL,
    actor_key_id      BLOB,
    door              TEXT    NOT NULL DEFAULT '',
    request_id        TEXT    NOT NULL DEFAULT '',
    conversation_id   BLOB,
    target_id         BLOB,
    created_at        INTEGER NOT NULL,
    client_request_id TEXT    NOT NULL DEFAULT ''
);
INSERT INTO audit_log_new (id, tenant_id, action, actor_key_id, door, request_id, conversation_id, target_id, created_at, client_request_id)
SELECT id, tenant_id, action, actor_key_id, door, request_id, conversation_id, target_id, created_at, client_request_id
FROM audit_log WHERE tenant_id IN (SELECT id FROM tenants);
DROP TABLE audit_log;
ALTER TABLE audit_log_new RENAME TO audit_log;
CREATE INDEX audit_log_tenant ON audit_log (tenant_id, id);

DROP INDEX api_keys_tenant;
CREATE UNIQUE INDEX api_keys_tenant ON api_keys (tenant_id, id);

CREATE TABLE access_tokens_new (
    hash       BLOB    NOT NULL PRIMARY KEY,
    tenant_id  BLOB    NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    key_id     BLOB    NOT NULL,
    created_at INTEGER NOT NULL,
    expires_at INTEGER NOT NULL,
    FOREIGN KEY (tenant_id, key_id) REFERENCES api_keys (tenant_id, id) ON DELETE CASCADE
);
INSERT INTO access_tokens_new SELECT t.hash, t.tenant_id, t.key_id, t.created_at, t.expires_at
FROM access_tokens t JOIN api_keys k ON k.id = t.key_id AND k.tenant_id = t.tenant_id;
DROP TABLE access_tokens;
ALTER TABLE access_tokens_new RENAME TO access_tokens;
CREATE INDEX access_tokens_key ON access_tokens (tenant_id, key_id, created_at);
CREATE INDEX access_tokens_expires ON access_tokens (expires_at);

COMMIT;
PRAGMA foreign_keys = ON;

-- +goose Down
-- The keys only refuse rows that were never valid; nothing to undo.
SELECT 1;
