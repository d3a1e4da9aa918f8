-- Secrets and audit: the client's request id beside the server's in
-- receipts and audit entries, key prefixes cut to 8 characters, and opaque
-- access tokens stored as hashes. As in sqlite/migration/0003.

-- +goose Up
-- What the client sent as X-Request-Id (bounded, printable), kept apart
-- from request_id, which the server always generates.
ALTER TABLE deletions ADD COLUMN client_request_id text NOT NULL DEFAULT '';
ALTER TABLE audit_log ADD COLUMN client_request_id text NOT NULL DEFAULT '';

-- The prefix logs and lists show is the secret's first 8 characters (it
-- was 12). Cutting the stored prefix keeps every existing key
-- authenticating: Authenticate looks keys up by the first 8 characters of
-- the secret presented, then compares the full hash.
UPDATE api_keys SET prefix = left(prefix, 8) WHERE length(prefix) > 8;

-- Access tokens: only the SHA-256 of the token is stored, in the database
-- every node shares, so any node accepts a token another issued. Revoking
-- a key deletes its tokens (the cascade); sweepers delete expired ones.
CREATE TABLE access_tokens (
    hash       bytea       PRIMARY KEY CHECK (length(hash) = 32),
    tenant_id  bytea       NOT NULL,
    key_id     bytea       NOT NULL,
    created_at timestamptz NOT NULL,
    expires_at timestamptz NOT NULL,
    FOREIGN KEY (tenant_id, key_id) REFERENCES api_keys (tenant_id, id) ON DELETE CASCADE
);
CREATE INDEX access_tokens_key ON access_tokens (tenant_id, key_id, created_at);
CREATE INDEX access_tokens_expires ON access_tokens (expires_at);

-- +goose Down
-- The cut prefixes cannot be lengthened again (no secret is stored): keys
-- made before 0003 authenticate only with code that uses 8 characters.
DROP TABLE access_tokens;
ALTER TABLE audit_log DROP COLUMN client_request_id;
ALTER TABLE deletions DROP COLUMN client_request_id;
