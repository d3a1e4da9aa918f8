-- No PostgreSQL counterpart: SQLite's 0005 adds the foreign keys from
-- every tenant-owned table to tenants (and from a conversation's children
-- to their conversation by tenant and id) that PostgreSQL has had since
-- 0001. This migration keeps the numbers of both engines in step.

-- +goose Up
SELECT 1;

-- +goose Down
SELECT 1;
