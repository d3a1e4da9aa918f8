-- Tag definitions (issue 13); the SQLite engine's 0026_tags.sql explains
-- the tables. Title and description are sealed under the tag's own data
-- key, wrapped in the row; links go with their conversation and their tag.

-- +goose Up
CREATE TABLE tags (
    tenant_id   bytea       NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    id          bytea       NOT NULL CHECK (length(id) = 16),
    title       bytea       NOT NULL,
    description bytea       NOT NULL,
    created_by  bytea,
    key_epoch   bigint,
    wrapped_key bytea,
    created_at  timestamptz NOT NULL,
    updated_at  timestamptz NOT NULL,
    PRIMARY KEY (tenant_id, id)
);
CREATE INDEX tags_epoch ON tags (key_epoch, tenant_id, id) WHERE key_epoch IS NOT NULL;

CREATE TABLE conversation_tags (
    tenant_id       bytea       NOT NULL,
    conversation_id bytea       NOT NULL,
    tag_id          bytea       NOT NULL,
    created_at      timestamptz NOT NULL,
    PRIMARY KEY (tenant_id, conversation_id, tag_id),
    FOREIGN KEY (tenant_id, conversation_id) REFERENCES conversations (tenant_id, id) ON DELETE CASCADE,
    FOREIGN KEY (tenant_id, tag_id) REFERENCES tags (tenant_id, id) ON DELETE CASCADE
);
CREATE INDEX conversation_tags_tag ON conversation_tags (tenant_id, tag_id, conversation_id);

-- +goose Down
DROP TABLE conversation_tags;
DROP TABLE tags;
