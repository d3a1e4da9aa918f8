-- Artifacts by conversation and type, as PostgreSQL has had since 0001:
-- the ElevenLabs list reads each listed conversation's newest artifact of
-- a few types in one batch, and the insight routes list one type; without
-- it SQLite walks every artifact of each conversation.

-- +goose Up
CREATE INDEX artifacts_conversation_type ON artifacts (tenant_id, conversation_id, type, id);

-- +goose Down
DROP INDEX artifacts_conversation_type;
