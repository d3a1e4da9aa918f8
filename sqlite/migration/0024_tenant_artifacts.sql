-- A tenant's artifacts across its conversations, newest first, by type:
-- the Inkeep door lists a tenant's feedback (GET /feedback), which it
-- keeps as artifacts of type "other" on their conversations.

-- +goose Up
CREATE INDEX artifacts_tenant_type ON artifacts (tenant_id, type, id);

-- +goose Down
DROP INDEX artifacts_tenant_type;
