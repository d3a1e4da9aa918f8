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
-- newest message and artifacts: an index search each (the work of 0016's
-- list of pending conversations, with no content to open).

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

UPDATE conversations AS c SET last_message_id = m.id, last_start_offset = m.start_offset, last_end_offset = m.end_offset
FROM (SELECT DISTINCT ON (tenant_id, conversation_id) tenant_id, conversation_id, id, start_offset, end_offset
      FROM messages ORDER BY tenant_id, conversation_id, id DESC) AS m
WHERE m.tenant_id = c.tenant_id AND m.conversation_id = c.id AND NOT c.deleted;
UPDATE conversations AS c SET summary_id = a.id, summary_text = a.text, summary_data = a.data,
    summary_message_ids = a.message_ids, summary_score = a.score, summary_created_at = a.created_at
FROM (SELECT DISTINCT ON (tenant_id, conversation_id) tenant_id, conversation_id, id, text, data, message_ids, score, created_at
      FROM artifacts WHERE type = 'summary' ORDER BY tenant_id, conversation_id, id DESC) AS a
WHERE a.tenant_id = c.tenant_id AND a.conversation_id = c.id AND NOT c.deleted;
UPDATE conversations AS c SET analysis_id = a.id, analysis_text = a.text, analysis_data = a.data,
    analysis_message_ids = a.message_ids, analysis_score = a.score, analysis_created_at = a.created_at
FROM (SELECT DISTINCT ON (tenant_id, conversation_id) tenant_id, conversation_id, id, text, data, message_ids, score, created_at
      FROM artifacts WHERE type = 'analysis' ORDER BY tenant_id, conversation_id, id DESC) AS a
WHERE a.tenant_id = c.tenant_id AND a.conversation_id = c.id AND NOT c.deleted;

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
