-- No PostgreSQL counterpart: SQLite's 0010 adds the index on artifacts by
-- (tenant_id, conversation_id, type, id) that PostgreSQL has had since
-- 0001. This migration keeps the numbers of both engines in step.

-- +goose Up
SELECT 1;

-- +goose Down
SELECT 1;
