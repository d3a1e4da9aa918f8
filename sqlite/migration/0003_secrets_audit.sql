-- Secrets and audit: the client's request id beside the server's in
-- receipts and audit entries, key prefixes cut to 8 characters, and opaque
-- access tokens stored as hashes.

-- +goose Up
-- What the client sent as X-Request-Id (bounded, printable), kept apart
-- from request_id, which the server always generates.
ALTER TABLE deletions ADD COLUMN client_request_id TEXT NOT NULL DEFAULT '';
ALTER TABLE audit_log ADD COLUMN client_request_id TEXT NOT NULL DEFAULT '';

-- The prefix logs and lists show is the secret's first 8 characters (it
-- was 12). Cutting the stored prefix keeps every existing key
-- authenticating: Authenticate looks keys up by the first 8 characters of
-- the secret presented, then compares the full hash.
UPDATE api_keys SET prefix = substr(prefix, 1, 8) WHERE length(prefix) > 8;

-- Access tokens: only the SHA-256 of the token is stored. Revoking a key
-- deletes its tokens (the cascade); the sweeper deletes expired ones.
CREATE TABLE access_tokens (
    hash       BLOB    NOT NULL PRIMARY KEY,
    tenant_id  BLOB    NOT NULL,
    key_id     BLOB    NOT NULL REFERENCES api_keys (id) ON DELETE CASCADE,
    created_at INTEGER NOT NULL,
    expires_at INTEGER NOT NULL
);
CREATE INDEX access_tokens_key ON access_tokens (key_id, created_at);
CREATE INDEX access_tokens_expires ON access_tokens (expires_at);

-- +goose Down
-- The cut prefixes cannot be lengthened again (no secret is stored): keys
-- made before 0003 authenticate only with code that uses 8 characters.
DROP TABLE access_tokens;
ALTER TABLE audit_log DROP COLUMN client_request_id;
ALTER TABLE deletions DROP COLUMN client_request_id;
