-- No SQLite counterpart: PostgreSQL's 0004 records which node owns an
-- upload intent, so that a node starting up can reclaim the uploads of
-- nodes that died. A SQLite database is written by one process, whose
-- partial uploads are removed when its blob store opens and whose intents
-- come due after the upload timeout. This migration keeps the numbers of
-- both engines in step.

-- +goose Up
SELECT 1;

-- +goose Down
SELECT 1;
