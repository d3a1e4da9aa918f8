-- What the web console needs of the store (issue 14):
--
-- The door that created each conversation ("native", "stammer", …), so a
-- person's data breaks down by door. Creation was never recorded before
-- (no audit entry, event or plaintext column names it: the vendor doors'
-- marks live in sealed metadata and external ids), so existing
-- conversations say "unknown".
--
-- The audience of each access token: "symbl" for the tokens of Symbl's
-- token call, "console" for console sessions; each is accepted only where
-- it was issued for. Existing tokens were not told apart: the console
-- always issued 8-hour sessions, so a token of exactly 8 hours is taken
-- for a console session and every other for Symbl's (a Symbl client that
-- asked for exactly 8 hours asks for a new token once refused).
--
-- The audit log filtered in the store: by action (exact or a family's
-- prefix), by actor key and by conversation, each newest first through
-- its own index (PostgreSQL compares actions bytewise, COLLATE "C", so
-- a family is a range of the index whatever the database's collation).

-- +goose Up
ALTER TABLE conversations ADD COLUMN door text NOT NULL DEFAULT 'unknown';
ALTER TABLE access_tokens ADD COLUMN audience text NOT NULL DEFAULT 'symbl';
UPDATE access_tokens SET audience = 'console' WHERE expires_at - created_at = interval '8 hours';
CREATE INDEX audit_log_tenant_action ON audit_log (tenant_id, action COLLATE "C", id);
CREATE INDEX audit_log_tenant_actor ON audit_log (tenant_id, actor_key_id, id);
CREATE INDEX audit_log_tenant_conversation ON audit_log (tenant_id, conversation_id, id);

-- +goose Down
DROP INDEX audit_log_tenant_conversation;
DROP INDEX audit_log_tenant_actor;
DROP INDEX audit_log_tenant_action;
ALTER TABLE access_tokens DROP COLUMN audience;
ALTER TABLE conversations DROP COLUMN door;
