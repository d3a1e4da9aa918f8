-- Initial schema. IDs are 16-byte BLOBs (UUIDv7 layout), so ORDER BY id is
-- creation order. Timestamps are INTEGER Unix microseconds. Every table with
-- tenant data has tenant_id, and every query filters on it.

-- +goose Up
CREATE TABLE tenants (
    id         BLOB    NOT NULL PRIMARY KEY,
    name       TEXT    NOT NULL UNIQUE,
    created_at INTEGER NOT NULL
);

-- Only the SHA-256 of a secret is stored; revoked keys are deleted.
CREATE TABLE api_keys (
    id           BLOB    NOT NULL PRIMARY KEY,
    tenant_id    BLOB    NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    name         TEXT    NOT NULL,
    prefix       TEXT    NOT NULL,
    hash         BLOB    NOT NULL UNIQUE,
    scopes       TEXT    NOT NULL, -- comma-separated, in AllScopes order
    created_at   INTEGER NOT NULL,
    last_used_at INTEGER
);
CREATE INDEX api_keys_prefix ON api_keys (prefix);
CREATE INDEX api_keys_tenant ON api_keys (tenant_id, id);

-- No foreign key to tenants: conversations are created under the tenant of
-- an authenticated key, and a tenant is never deleted.
CREATE TABLE conversations (
    id            BLOB    NOT NULL PRIMARY KEY,
    seq           INTEGER NOT NULL UNIQUE,
    tenant_id     BLOB    NOT NULL,
    agent_id      TEXT    NOT NULL DEFAULT '',
    user_id       TEXT    NOT NULL DEFAULT '',
    title         TEXT    NOT NULL DEFAULT '',
    metadata      TEXT, -- JSON object, NULL when empty
    message_count INTEGER NOT NULL DEFAULT 0,
    created_at    INTEGER NOT NULL,
    updated_at    INTEGER NOT NULL
);
CREATE INDEX conversations_tenant ON conversations (tenant_id, id);
CREATE INDEX conversations_tenant_user ON conversations (tenant_id, user_id, id);
CREATE INDEX conversations_tenant_agent ON conversations (tenant_id, agent_id, id);

CREATE TABLE messages (
    id              BLOB    NOT NULL PRIMARY KEY,
    tenant_id       BLOB    NOT NULL,
    conversation_id BLOB    NOT NULL REFERENCES conversations (id) ON DELETE CASCADE,
    role            TEXT    NOT NULL,
    content         TEXT    NOT NULL DEFAULT '',
    parts           TEXT, -- JSON value
    author_name     TEXT    NOT NULL DEFAULT '',
    start_offset    INTEGER, -- nanoseconds
    end_offset      INTEGER,
    metadata        TEXT,
    created_at      INTEGER NOT NULL
);
CREATE INDEX messages_conversation ON messages (conversation_id, id);

CREATE TABLE artifacts (
    id              BLOB    NOT NULL PRIMARY KEY,
    tenant_id       BLOB    NOT NULL,
    conversation_id BLOB    NOT NULL REFERENCES conversations (id) ON DELETE CASCADE,
    type            TEXT    NOT NULL,
    text            TEXT    NOT NULL DEFAULT '',
    data            TEXT, -- JSON value
    message_ids     BLOB, -- concatenated 16-byte ids
    score           REAL,
    created_at      INTEGER NOT NULL
);
CREATE INDEX artifacts_conversation ON artifacts (conversation_id, id);

-- The bytes live in the blob store under blob_key.
CREATE TABLE attachments (
    id              BLOB    NOT NULL PRIMARY KEY,
    tenant_id       BLOB    NOT NULL,
    conversation_id BLOB    NOT NULL REFERENCES conversations (id) ON DELETE CASCADE,
    name            TEXT    NOT NULL,
    content_type    TEXT    NOT NULL,
    size            INTEGER NOT NULL,
    sha256          TEXT    NOT NULL,
    blob_key        TEXT    NOT NULL UNIQUE,
    created_at      INTEGER NOT NULL,
    UNIQUE (conversation_id, name)
);
CREATE INDEX attachments_conversation ON attachments (conversation_id, id);

-- Receipts and audit entries outlive the conversation: no foreign key.
CREATE TABLE deletions (
    id               BLOB    NOT NULL PRIMARY KEY,
    tenant_id        BLOB    NOT NULL,
    conversation_id  BLOB    NOT NULL,
    conversation_seq INTEGER NOT NULL,
    actor_key_id     BLOB,
    door             TEXT    NOT NULL DEFAULT '',
    request_id       TEXT    NOT NULL DEFAULT '',
    messages         INTEGER NOT NULL,
    artifacts        INTEGER NOT NULL,
    attachments      INTEGER NOT NULL,
    attachment_bytes INTEGER NOT NULL,
    created_at       INTEGER NOT NULL
);
CREATE INDEX deletions_tenant ON deletions (tenant_id, id);
CREATE INDEX deletions_tenant_conversation ON deletions (tenant_id, conversation_id, id);

CREATE TABLE audit_log (
    id              BLOB    NOT NULL PRIMARY KEY,
    tenant_id       BLOB    NOT NULL,
    action          TEXT    NOT NULL,
    actor_key_id    BLOB,
    door            TEXT    NOT NULL DEFAULT '',
    request_id      TEXT    NOT NULL DEFAULT '',
    conversation_id BLOB,
    target_id       BLOB,
    created_at      INTEGER NOT NULL
);
CREATE INDEX audit_log_tenant ON audit_log (tenant_id, id);

-- Blob keys whose removal is due at due_at. A row is written before an
-- upload (an intent, due after the upload timeout) and in the transaction
-- that drops an attachment record (due now), so a crash at any point leaves
-- a queued removal rather than an unreferenced file.
CREATE TABLE blob_removals (
    blob_key   TEXT    NOT NULL PRIMARY KEY,
    due_at     INTEGER NOT NULL,
    created_at INTEGER NOT NULL
);
CREATE INDEX blob_removals_due ON blob_removals (due_at);

-- +goose Down
DROP TABLE blob_removals;
DROP TABLE audit_log;
DROP TABLE deletions;
DROP TABLE attachments;
DROP TABLE artifacts;
DROP TABLE messages;
DROP TABLE conversations;
DROP TABLE api_keys;
DROP TABLE tenants;
