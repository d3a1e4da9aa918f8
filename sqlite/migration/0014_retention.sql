-- Retention: a tenant's policies (its default, agent_id '', and agent
-- overrides), the per-tenant lease that makes nodes take turns running
-- them, the policy that erased a receipt's conversation or an audit
-- entry's target, and the indexes the runner walks expired rows by.

-- +goose Up
CREATE TABLE retention_policies (
    tenant_id          BLOB    NOT NULL REFERENCES tenants (id),
    agent_id           TEXT    NOT NULL, -- '' for the tenant's default
    conversation_days  INTEGER,          -- NULL: keep (default) or inherit (agent)
    conversation_since TEXT    NOT NULL DEFAULT 'created',
    attachment_days    INTEGER,
    artifact_days      INTEGER,
    updated_at         INTEGER NOT NULL,
    PRIMARY KEY (tenant_id, agent_id)
);

CREATE TABLE retention_runs (
    tenant_id    BLOB    NOT NULL PRIMARY KEY REFERENCES tenants (id),
    leased_until INTEGER NOT NULL DEFAULT 0,
    last_run_at  INTEGER
);

ALTER TABLE deletions ADD COLUMN policy TEXT NOT NULL DEFAULT '';
ALTER TABLE audit_log ADD COLUMN policy TEXT NOT NULL DEFAULT '';

CREATE INDEX conversations_tenant_created ON conversations (tenant_id, created_at, id);
CREATE INDEX conversations_tenant_updated ON conversations (tenant_id, updated_at, id);
CREATE INDEX attachments_tenant_created ON attachments (tenant_id, created_at, id);
CREATE INDEX artifacts_tenant_created ON artifacts (tenant_id, created_at, id);

-- +goose Down
DROP INDEX artifacts_tenant_created;
DROP INDEX attachments_tenant_created;
DROP INDEX conversations_tenant_updated;
DROP INDEX conversations_tenant_created;
ALTER TABLE audit_log DROP COLUMN policy;
ALTER TABLE deletions DROP COLUMN policy;
DROP TABLE retention_runs;
DROP TABLE retention_policies;
