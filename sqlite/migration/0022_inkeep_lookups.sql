-- What the Inkeep door's SDK methods need of the store (issue 13):
--
-- A tenant's artifacts across its conversations, by type, newest first:
-- the door lists a tenant's feedback (GET /feedback), which it keeps as
-- artifacts of type "other" on their conversations.
--
-- Messages by external id across a tenant's conversations: a client's
-- own message id (message metadata "external_id") as a blind index under
-- the tenant's index key, like conversations.external_idx, so feedback
-- and events can name a message by the client's id. Not unique. A row
-- goes with its message (and so with its conversation's purge); the
-- re-index after an index root rotation recomputes them from the
-- messages' metadata. Messages stored before this migration have no row:
-- they stay addressable by their own ids only.
--
-- The web origins each tenant allows to call the doors from a browser
-- (CORS), normalized: a preflight, which carries no credential, is
-- answered for an origin some tenant allows (by origin), an actual
-- request only for one its key's tenant allows.

-- +goose Up
CREATE INDEX artifacts_tenant_type ON artifacts (tenant_id, type, id);
CREATE TABLE message_external_ids (
    message_id      BLOB NOT NULL PRIMARY KEY REFERENCES messages (id) ON DELETE CASCADE,
    tenant_id       BLOB NOT NULL,
    conversation_id BLOB NOT NULL,
    external_idx    BLOB NOT NULL
);
CREATE INDEX message_external_ids_idx ON message_external_ids (tenant_id, external_idx, message_id);
CREATE INDEX message_external_ids_conversation ON message_external_ids (tenant_id, conversation_id);
CREATE TABLE cors_origins (
    tenant_id BLOB NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    origin    TEXT NOT NULL,
    PRIMARY KEY (tenant_id, origin)
);
CREATE INDEX cors_origins_origin ON cors_origins (origin);

-- +goose Down
DROP TABLE cors_origins;
DROP TABLE message_external_ids;
DROP INDEX artifacts_tenant_type;
