-- What a list view shows of each conversation beyond the row itself, kept
-- on the row as the conversation is written, so that such a list is one
-- read of the page: its newest message's id and offsets (plain, as the
-- messages' are) and a copy of its newest summary and newest analysis
-- artifact (the artifact row's own values, its text and data sealed as
-- the artifact's are: the copy opens exactly as the artifact does, and
-- shredding the conversation's key makes both unreadable). The driver's
-- writes of messages and artifacts keep them; a delete clears them.
--
-- Conversations stored before this migration are filled here, from their
-- newest message and artifacts: an index search each, with no content to
-- open (0016 likewise wrote a row per conversation in its migration).

-- +goose Up
ALTER TABLE conversations
    ADD COLUMN last_message_id bytea,
    ADD COLUMN last_start_offset bigint,
    ADD COLUMN last_end_offset bigint,
    ADD COLUMN summary_id bytea,
    ADD COLUMN summary_text bytea,
    ADD COLUMN summary_data bytea,
    ADD COLUMN summary_message_ids bytea[],
    ADD COLUMN summary_score double precision,
    ADD COLUMN summary_created_at timestamptz,
    ADD COLUMN analysis_id bytea,
    ADD COLUMN analysis_text bytea,
    ADD COLUMN analysis_data bytea,
    ADD COLUMN analysis_message_ids bytea[],
    ADD COLUMN analysis_score double precision,
    ADD COLUMN analysis_created_at timestamptz;

-- One statement, each row written once: for each live conversation an
-- index search per kept value (no sort or scan of the children's tables,
-- however many messages they hold).
UPDATE conversations SET
    (last_message_id, last_start_offset, last_end_offset) =
        (SELECT m.id, m.start_offset, m.end_offset FROM messages AS m
         WHERE m.tenant_id = conversations.tenant_id AND m.conversation_id = conversations.id ORDER BY m.id DESC LIMIT 1),
    (summary_id, summary_text, summary_data, summary_message_ids, summary_score, summary_created_at) =
        (SELECT a.id, a.text, a.data, a.message_ids, a.score, a.created_at FROM artifacts AS a
         WHERE a.tenant_id = conversations.tenant_id AND a.conversation_id = conversations.id AND a.type = 'summary'
         ORDER BY a.id DESC LIMIT 1),
    (analysis_id, analysis_text, analysis_data, analysis_message_ids, analysis_score, analysis_created_at) =
        (SELECT a.id, a.text, a.data, a.message_ids, a.score, a.created_at FROM artifacts AS a
         WHERE a.tenant_id = conversations.tenant_id AND a.conversation_id = conversations.id AND a.type = 'analysis'
         ORDER BY a.id DESC LIMIT 1)
WHERE NOT deleted;

-- +goose Down
ALTER TABLE conversations
    DROP COLUMN analysis_created_at,
    DROP COLUMN analysis_score,
    DROP COLUMN analysis_message_ids,
    DROP COLUMN analysis_data,
    DROP COLUMN analysis_text,
    DROP COLUMN analysis_id,
    DROP COLUMN summary_created_at,
    DROP COLUMN summary_score,
    DROP COLUMN summary_message_ids,
    DROP COLUMN summary_data,
    DROP COLUMN summary_text,
    DROP COLUMN summary_id,
    DROP COLUMN last_end_offset,
    DROP COLUMN last_start_offset,
    DROP COLUMN last_message_id;
