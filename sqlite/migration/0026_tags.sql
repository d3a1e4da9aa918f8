-- Tag definitions (issue 13): ElevenLabs' workspace-wide conversation
-- tags, attached to conversations by id. A tag's title and description
-- are vendor content, sealed under the tag's own data key, kept wrapped in
-- the row itself (key_epoch, wrapped_key) as an end-user record's is:
-- deleting the row destroys the key. created_by is the API key that
-- created it (an id, not content). conversation_tags links conversations
-- to tags; a link goes with its conversation (purge, tenant delete) and
-- with its tag (the tag's delete).

-- +goose Up
CREATE TABLE tags (
    id          BLOB    NOT NULL PRIMARY KEY,
    tenant_id   BLOB    NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    title       BLOB    NOT NULL,
    description BLOB    NOT NULL,
    created_by  BLOB,
    key_epoch   INTEGER,
    wrapped_key BLOB,
    created_at  INTEGER NOT NULL,
    updated_at  INTEGER NOT NULL
);
CREATE UNIQUE INDEX tags_tenant ON tags (tenant_id, id);
CREATE INDEX tags_epoch ON tags (key_epoch, tenant_id, id) WHERE key_epoch IS NOT NULL;

CREATE TABLE conversation_tags (
    tenant_id       BLOB    NOT NULL,
    conversation_id BLOB    NOT NULL,
    tag_id          BLOB    NOT NULL,
    created_at      INTEGER NOT NULL,
    PRIMARY KEY (tenant_id, conversation_id, tag_id),
    FOREIGN KEY (tenant_id, conversation_id) REFERENCES conversations (tenant_id, id) ON DELETE CASCADE,
    FOREIGN KEY (tenant_id, tag_id) REFERENCES tags (tenant_id, id) ON DELETE CASCADE
) WITHOUT ROWID;
CREATE INDEX conversation_tags_tag ON conversation_tags (tenant_id, tag_id, conversation_id);

-- +goose Down
DROP TABLE conversation_tags;
DROP TABLE tags;
