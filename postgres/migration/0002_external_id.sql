-- Conversations may carry a caller-chosen key, unique per tenant: the vendor
-- doors keep client-supplied ids and get-or-create keys in it.

-- +goose Up
ALTER TABLE conversations ADD COLUMN external_id text;
CREATE UNIQUE INDEX conversations_tenant_external ON conversations (tenant_id, external_id)
    WHERE external_id IS NOT NULL;

-- +goose Down
DROP INDEX conversations_tenant_external;
ALTER TABLE conversations DROP COLUMN external_id;
