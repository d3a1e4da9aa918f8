-- +goose Up
-- The PostgreSQL schema of convstore. Table and column names match the
-- SQLite engine's (sqlite/migration/0001_init.sql), so row counts of the two
-- engines compare one to one; blobs and blob_chunks are the built-in blob
-- store, which SQLite (with its file blob store) does not have.
-- IDs are 16-byte bytea: bytea compares byte by byte, so ORDER BY id is the
-- big-endian (time) order of the IDs. Every table that holds a tenant's
-- data carries tenant_id, and every child of a conversation refers to it
-- with a composite foreign key (tenant_id, conversation_id) ON DELETE
-- CASCADE, so a child can never belong to another tenant's conversation.
-- Each foreign key's columns lead an index (most often the primary key),
-- so a cascading delete never scans a whole table.

CREATE TABLE tenants (
    id         bytea       PRIMARY KEY CHECK (length(id) = 16),
    name       text        NOT NULL,
    created_at timestamptz NOT NULL,
    CONSTRAINT tenants_name_key UNIQUE (name)
);

CREATE TABLE api_keys (
    tenant_id    bytea       NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    id           bytea       NOT NULL CHECK (length(id) = 16),
    name         text        NOT NULL,
    prefix       text        NOT NULL,
    hash         bytea       NOT NULL,
    scopes       text[]      NOT NULL,
    created_at   timestamptz NOT NULL,
    last_used_at timestamptz,
    PRIMARY KEY (tenant_id, id),
    CONSTRAINT api_keys_hash_key UNIQUE (hash)
);
-- Authenticate looks keys up by their non-secret prefix, before it knows
-- the tenant.
CREATE INDEX api_keys_prefix ON api_keys (prefix);

CREATE TABLE conversations (
    tenant_id     bytea       NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    id            bytea       NOT NULL CHECK (length(id) = 16),
    seq           bigint      NOT NULL CHECK (seq > 0),
    agent_id      text        NOT NULL DEFAULT '',
    user_id       text        NOT NULL DEFAULT '',
    title         text        NOT NULL DEFAULT '',
    metadata      jsonb       NOT NULL DEFAULT '{}',
    message_count integer     NOT NULL DEFAULT 0,
    created_at    timestamptz NOT NULL,
    updated_at    timestamptz NOT NULL,
    PRIMARY KEY (tenant_id, id),
    CONSTRAINT conversations_seq_key UNIQUE (seq)
);
CREATE INDEX conversations_tenant_agent ON conversations (tenant_id, agent_id, id);
CREATE INDEX conversations_tenant_user ON conversations (tenant_id, user_id, id);

CREATE TABLE messages (
    tenant_id       bytea       NOT NULL,
    conversation_id bytea       NOT NULL,
    id              bytea       NOT NULL CHECK (length(id) = 16),
    role            text        NOT NULL,
    content         text        NOT NULL DEFAULT '',
    parts           json,
    author_name     text        NOT NULL DEFAULT '',
    start_offset    bigint, -- nanoseconds
    end_offset      bigint,
    metadata        jsonb       NOT NULL DEFAULT '{}',
    created_at      timestamptz NOT NULL,
    PRIMARY KEY (tenant_id, conversation_id, id),
    FOREIGN KEY (tenant_id, conversation_id) REFERENCES conversations (tenant_id, id) ON DELETE CASCADE
);

CREATE TABLE artifacts (
    tenant_id       bytea            NOT NULL,
    conversation_id bytea            NOT NULL,
    id              bytea            NOT NULL CHECK (length(id) = 16),
    type            text             NOT NULL,
    text            text             NOT NULL DEFAULT '',
    data            json,
    message_ids     bytea[]          NOT NULL DEFAULT '{}',
    score           double precision,
    created_at      timestamptz      NOT NULL,
    PRIMARY KEY (tenant_id, conversation_id, id),
    FOREIGN KEY (tenant_id, conversation_id) REFERENCES conversations (tenant_id, id) ON DELETE CASCADE
);
CREATE INDEX artifacts_conversation_type ON artifacts (tenant_id, conversation_id, type, id);

CREATE TABLE attachments (
    tenant_id       bytea       NOT NULL,
    conversation_id bytea       NOT NULL,
    id              bytea       NOT NULL CHECK (length(id) = 16),
    name            text        NOT NULL,
    content_type    text        NOT NULL,
    size            bigint      NOT NULL,
    sha256          text        NOT NULL,
    blob_key        text        NOT NULL,
    created_at      timestamptz NOT NULL,
    PRIMARY KEY (tenant_id, conversation_id, id),
    FOREIGN KEY (tenant_id, conversation_id) REFERENCES conversations (tenant_id, id) ON DELETE CASCADE,
    CONSTRAINT attachments_name_key UNIQUE (tenant_id, conversation_id, name),
    CONSTRAINT attachments_blob_key_key UNIQUE (blob_key)
);

-- Receipts and audit entries outlive their conversation: no foreign key to
-- it, only to the tenant. Timestamps are timestamptz (microseconds), where
-- SQLite stores integer Unix microseconds.
CREATE TABLE deletions (
    tenant_id        bytea       NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    id               bytea       NOT NULL CHECK (length(id) = 16),
    conversation_id  bytea       NOT NULL,
    conversation_seq bigint      NOT NULL,
    actor_key_id     bytea,
    door             text        NOT NULL DEFAULT '',
    request_id       text        NOT NULL DEFAULT '',
    messages         integer     NOT NULL,
    artifacts        integer     NOT NULL,
    attachments      integer     NOT NULL,
    attachment_bytes bigint      NOT NULL,
    created_at       timestamptz NOT NULL,
    PRIMARY KEY (tenant_id, id)
);
CREATE INDEX deletions_tenant_conversation ON deletions (tenant_id, conversation_id, id);

CREATE TABLE audit_log (
    tenant_id       bytea       NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    id              bytea       NOT NULL CHECK (length(id) = 16),
    action          text        NOT NULL,
    actor_key_id    bytea,
    door            text        NOT NULL DEFAULT '',
    request_id      text        NOT NULL DEFAULT '',
    conversation_id bytea,
    target_id       bytea,
    created_at      timestamptz NOT NULL,
    PRIMARY KEY (tenant_id, id)
);

-- blob_removals is the queue of blob keys whose bytes must go: an intent
-- row while PutAttachment writes (due an hour later, removed when the
-- record commits) and a due row for every blob a delete or replace
-- released. Sweepers claim due rows with FOR UPDATE SKIP LOCKED.
CREATE TABLE blob_removals (
    blob_key   text        PRIMARY KEY,
    due_at     timestamptz NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX blob_removals_due ON blob_removals (due_at);

-- blobs and blob_chunks are the built-in BlobStore: attachment bytes kept
-- in PostgreSQL itself, in chunks of at most 1 MiB, so that every node
-- reads every blob without a shared disk.
CREATE TABLE blobs (
    key        text        PRIMARY KEY,
    size       bigint      NOT NULL,
    sha256     bytea       NOT NULL,
    chunks     integer     NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE blob_chunks (
    key  text    NOT NULL REFERENCES blobs (key) ON DELETE CASCADE,
    n    integer NOT NULL,
    data bytea   NOT NULL,
    PRIMARY KEY (key, n)
);
-- Recordings are already compressed: store chunks out of line without
-- trying to compress them again.
ALTER TABLE blob_chunks ALTER COLUMN data SET STORAGE EXTERNAL;

-- +goose Down
DROP TABLE blob_chunks;
DROP TABLE blobs;
DROP TABLE blob_removals;
DROP TABLE audit_log;
DROP TABLE deletions;
DROP TABLE attachments;
DROP TABLE artifacts;
DROP TABLE messages;
DROP TABLE conversations;
DROP TABLE api_keys;
DROP TABLE tenants;
