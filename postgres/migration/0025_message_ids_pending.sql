-- Client message ids stored before 0022 (issue 13): the Inkeep door kept a
-- client's message id in message metadata "inkeep.id" before the store
-- indexed "external_id" in message_external_ids (0022), so feedback and
-- events could not name those messages by the client's id. The ids were
-- kept, sealed with the messages; only the service can open them. Every
-- conversation with messages is listed here, and the service's background
-- backfill indexes its messages' ids (convstore.MessageExternalID: the
-- "external_id", else the "inkeep.id") under the conversation's index
-- root, replacing its rows of message_external_ids, one conversation per
-- row, resumably. Rows go with their conversation.

-- +goose Up
CREATE TABLE message_ids_pending (
    tenant_id       bytea NOT NULL,
    conversation_id bytea NOT NULL,
    PRIMARY KEY (tenant_id, conversation_id),
    FOREIGN KEY (tenant_id, conversation_id) REFERENCES conversations (tenant_id, id) ON DELETE CASCADE
);
INSERT INTO message_ids_pending (tenant_id, conversation_id)
    SELECT tenant_id, id FROM conversations WHERE message_count > 0;

-- +goose Down
DROP TABLE message_ids_pending;
