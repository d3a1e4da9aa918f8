-- Legal holds. A hold covers one conversation, every conversation of an
-- end user or every conversation of an agent: exactly one of
-- conversation_id, user_idx and agent_id is set. user_idx is the blind
-- index of the user id under index_root, compared with conversations'
-- user_idx; the user id itself is never stored. Deletes look holds up by
-- each of the three, so each has its own partial index. While a rotation
-- of the index root runs, user_idx_alt holds the user id's index under the
-- other live root (conversations are under either until re-indexed); the
-- re-index carries a hold's user_idx to the new root. A release deletes
-- the row; the audit log keeps who placed and released it.

-- +goose Up
CREATE TABLE holds (
    tenant_id       bytea       NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    id              bytea       NOT NULL CHECK (length(id) = 16),
    conversation_id bytea,
    user_idx        bytea,
    user_idx_alt    bytea,
    index_root      integer     NOT NULL DEFAULT 0,
    agent_id        text,
    reason          text        NOT NULL,
    actor_key_id    bytea,
    created_at      timestamptz NOT NULL,
    PRIMARY KEY (tenant_id, id),
    CHECK (num_nonnulls(conversation_id, user_idx, agent_id) = 1)
);
CREATE INDEX holds_conversation ON holds (tenant_id, conversation_id, id) WHERE conversation_id IS NOT NULL;
CREATE INDEX holds_user ON holds (tenant_id, user_idx, id) WHERE user_idx IS NOT NULL;
CREATE INDEX holds_user_alt ON holds (tenant_id, user_idx_alt, id) WHERE user_idx_alt IS NOT NULL;
CREATE INDEX holds_agent ON holds (tenant_id, agent_id, id) WHERE agent_id IS NOT NULL;

-- +goose Down
DROP TABLE holds;
