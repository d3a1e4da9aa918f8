-- Authors of each conversation's messages, kept as messages are added and
-- deleted (one row per distinct author, by its first message; the values
-- that tell authors apart are sealed, so the service decides which
-- messages start one): a list that shows each conversation's members
-- reads these rows instead of every message.
--
-- Conversations stored before this migration have no rows yet: they are
-- listed in conversation_authors_pending, and their authors are read from
-- their messages, as before.

-- +goose Up
CREATE TABLE conversation_authors (
    tenant_id       bytea NOT NULL,
    conversation_id bytea NOT NULL,
    message_id      bytea NOT NULL, -- the author's first message
    name            bytea NOT NULL DEFAULT ''::bytea, -- sealed
    user_id         bytea NOT NULL DEFAULT ''::bytea, -- sealed
    PRIMARY KEY (tenant_id, conversation_id, message_id),
    FOREIGN KEY (tenant_id, conversation_id) REFERENCES conversations (tenant_id, id) ON DELETE CASCADE
);

CREATE TABLE conversation_authors_pending (
    tenant_id       bytea NOT NULL,
    conversation_id bytea NOT NULL,
    PRIMARY KEY (tenant_id, conversation_id),
    FOREIGN KEY (tenant_id, conversation_id) REFERENCES conversations (tenant_id, id) ON DELETE CASCADE
);
INSERT INTO conversation_authors_pending (tenant_id, conversation_id)
    SELECT tenant_id, id FROM conversations WHERE message_count > 0;

-- +goose Down
DROP TABLE conversation_authors_pending;
DROP TABLE conversation_authors;
