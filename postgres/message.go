package postgres

import (
	"context"
	"maps"
	"slices"
	"strconv"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/convstore/convstore"
)

const messageColumns = `conversation_id, id, role, content, parts, author_name, start_offset, end_offset, metadata, created_at`

// scanMessage scans a row of messageColumns.
func scanMessage(row pgx.Row) (*convstore.Message, error) {
	m := &convstore.Message{}
	var parts *string
	var start, end *int64
	err := row.Scan(scanID(&m.ConversationID), scanID(&m.ID), &m.Role, &m.Content, &parts, &m.AuthorName,
		&start, &end, scanMetadata(&m.Metadata), &m.CreatedAt)
	if err != nil {
		return nil, err
	}
	m.Parts, m.StartOffset, m.EndOffset, m.CreatedAt = jsonBytes(parts), durationOf(start), durationOf(end), m.CreatedAt.UTC()
	return m, nil
}

// FindMessageByID returns one message of the conversation.
func (db *DB) FindMessageByID(ctx context.Context, tenantID, conversationID, id convstore.ID) (*convstore.Message, error) {
	q := newQuery(`SELECT ` + messageColumns + ` FROM messages WHERE tenant_id = $1 AND id = $2`)
	q.args = append(q.args, idArg(tenantID), idArg(id))
	if !conversationID.IsZero() {
		q.where("conversation_id = ?", idArg(conversationID))
	}
	m, err := scanMessage(db.reads.QueryRow(ctx, q.sql.String(), q.args...))
	if err != nil {
		return nil, db.translate(ctx, notFound(err, "message"))
	}
	return m, nil
}

// FindMessages returns a page of the conversation's messages, oldest
// first by default. ENOTFOUND if the conversation is missing.
func (db *DB) FindMessages(ctx context.Context, tenantID, conversationID convstore.ID, f convstore.MessageFilter) ([]*convstore.Message, bool, error) {
	if err := f.Normalize(convstore.OrderAsc); err != nil {
		return nil, false, err
	}
	q := newQuery(`SELECT ` + messageColumns + ` FROM messages WHERE tenant_id = $1 AND conversation_id = $2`)
	q.args = append(q.args, idArg(tenantID), idArg(conversationID))
	q.page(f.PageFilter)
	list, more, err := listPage(ctx, db.reads, q, f.Limit, scanMessage)
	if err == nil && len(list) == 0 {
		err = db.conversationExists(ctx, db.reads, tenantID, conversationID)
	}
	if err != nil {
		return nil, false, db.translate(ctx, err)
	}
	return list, more, nil
}

// conversationExists returns ENOTFOUND unless the conversation exists.
// Lists call it only when their page is empty: a non-empty page proves
// the conversation existed when the page was read.
func (db *DB) conversationExists(ctx context.Context, q querier, tenantID, id convstore.ID) error {
	var one int
	err := q.QueryRow(ctx, `SELECT 1 FROM conversations WHERE tenant_id = $1 AND id = $2`, idArg(tenantID), idArg(id)).Scan(&one)
	return notFound(err, "conversation")
}

// lockConversation takes a FOR KEY SHARE lock on the conversation row and
// returns ENOTFOUND if it is missing. Every write to a conversation's
// children takes it first: it does not block other such writes, but it
// conflicts with the FOR UPDATE lock DeleteConversation takes, so a child
// write and a delete of its conversation never interleave: the write
// either commits first (and the delete counts it) or waits for the delete
// and then finds no conversation.
//
// kind names what is reported missing when the conversation is: deletes
// of a child report the child, as the SQLite engine does.
func lockConversation(ctx context.Context, tx pgx.Tx, tenantID, id convstore.ID, kind string) error {
	var one int
	err := tx.QueryRow(ctx, `SELECT 1 FROM conversations WHERE tenant_id = $1 AND id = $2 FOR KEY SHARE`,
		idArg(tenantID), idArg(id)).Scan(&one)
	return notFound(err, kind)
}

// CreateMessages appends a batch atomically.
//
// It first bumps the conversation's message count with an UPDATE, which
// locks the row (FOR NO KEY UPDATE) until commit: appends to one
// conversation queue behind each other, and against DeleteConversation's
// SELECT … FOR UPDATE. An append that waited for a delete re-reads the
// row, finds it gone, updates nothing and returns ENOTFOUND, so it never
// leaves an orphan message. This holds across processes, unlike a check
// in Go. The cap is checked on the count the UPDATE returns, under the
// same row lock, so concurrent appends cannot together pass it; over it,
// the transaction rolls back with nothing written.
func (db *DB) CreateMessages(ctx context.Context, tenantID, conversationID convstore.ID, batch []*convstore.MessageCreate) ([]*convstore.Message, error) {
	if err := convstore.ValidateMessageBatch("messages", batch, true); err != nil {
		return nil, err
	}
	if err := checkMessageText("messages", batch); err != nil {
		return nil, err
	}
	var msgs []*convstore.Message
	err := db.txOn(ctx, tenantID, conversationID, func(tx pgx.Tx) error {
		t := now()
		var count int
		err := tx.QueryRow(ctx, `
			UPDATE conversations SET message_count = message_count + $3, updated_at = GREATEST(updated_at, $4)
			WHERE tenant_id = $1 AND id = $2
			RETURNING message_count`,
			idArg(tenantID), idArg(conversationID), len(batch), t).Scan(&count)
		if err != nil {
			return notFound(err, "conversation")
		}
		if count > db.maxMsg {
			return convstore.MessageCapError(db.maxMsg)
		}
		msgs, err = db.insertMessages(ctx, tx, tenantID, conversationID, batch, t)
		return err
	})
	if err != nil {
		return nil, err
	}
	return msgs, nil
}

// insertMessages inserts a batch in one statement, the rows given as
// parallel arrays. IDs are drawn in batch order, so they order the batch.
func (db *DB) insertMessages(ctx context.Context, tx pgx.Tx, tenantID, conversationID convstore.ID, batch []*convstore.MessageCreate, t time.Time) ([]*convstore.Message, error) {
	if len(batch) == 0 {
		return []*convstore.Message{}, nil
	}
	n := len(batch)
	var (
		ids               = make([][]byte, n)
		roles, contents   = make([]string, n), make([]string, n)
		parts             = make([]*string, n)
		authors, metadata = make([]string, n), make([]string, n)
		starts, ends      = make([]*int64, n), make([]*int64, n)
		msgs              = make([]*convstore.Message, n)
	)
	for i, c := range batch {
		id := db.newID()
		// The returned messages share nothing with the caller's input.
		msgs[i] = &convstore.Message{
			ID: id, ConversationID: conversationID, Role: c.Role, Content: c.Content, Parts: slices.Clone(c.Parts),
			AuthorName: c.AuthorName, StartOffset: durationOf(durationArg(c.StartOffset)),
			EndOffset: durationOf(durationArg(c.EndOffset)), Metadata: maps.Clone(c.Metadata), CreatedAt: t,
		}
		ids[i], roles[i], contents[i], authors[i] = msgs[i].ID[:], string(c.Role), c.Content, c.AuthorName
		if len(c.Parts) > 0 {
			p := string(c.Parts)
			parts[i] = &p
		}
		metadata[i] = string(metadataArg(c.Metadata))
		starts[i], ends[i] = durationArg(c.StartOffset), durationArg(c.EndOffset)
	}
	_, err := tx.Exec(ctx, `
		INSERT INTO messages (tenant_id, conversation_id, id, role, content, parts, author_name, start_offset, end_offset, metadata, created_at)
		SELECT $1, $2, u.id, u.role, u.content, u.parts::json, u.author_name, u.start_ns, u.end_ns, u.metadata::jsonb, $3
		FROM unnest($4::bytea[], $5::text[], $6::text[], $7::text[], $8::text[], $9::bigint[], $10::bigint[], $11::text[])
			AS u(id, role, content, parts, author_name, start_ns, end_ns, metadata)`,
		idArg(tenantID), idArg(conversationID), t, ids, roles, contents, parts, authors, starts, ends, metadata)
	if err != nil {
		return nil, err
	}
	return msgs, nil
}

// DeleteMessage permanently deletes one message, lowers the message count
// and writes an AuditEntry, in one transaction.
func (db *DB) DeleteMessage(ctx context.Context, tenantID, conversationID, id convstore.ID, p convstore.DeleteParams) error {
	return db.txOn(ctx, tenantID, conversationID, func(tx pgx.Tx) error {
		// Lower the count first: the UPDATE locks the conversation row as
		// an append does. If the message turns out to be missing, the
		// rollback restores the count.
		t := now()
		tag, err := tx.Exec(ctx, `
			UPDATE conversations SET message_count = message_count - 1, updated_at = GREATEST(updated_at, $3)
			WHERE tenant_id = $1 AND id = $2`,
			idArg(tenantID), idArg(conversationID), t)
		if err != nil {
			return err
		}
		if tag.RowsAffected() == 0 {
			return convstore.NotFound("message")
		}
		tag, err = tx.Exec(ctx, `DELETE FROM messages WHERE tenant_id = $1 AND conversation_id = $2 AND id = $3`,
			idArg(tenantID), idArg(conversationID), idArg(id))
		if err != nil {
			return err
		}
		if tag.RowsAffected() == 0 {
			return convstore.NotFound("message")
		}
		return db.insertAudit(ctx, tx, tenantID, convstore.AuditMessageDelete, conversationID, id, p, t)
	})
}

// checkMessageText applies the engine's NUL check to a batch.
func checkMessageText(field string, batch []*convstore.MessageCreate) error {
	for i, m := range batch {
		f := field + "[" + strconv.Itoa(i) + "]"
		if err := checkText(f+".content", m.Content); err != nil {
			return err
		}
		if err := checkText(f+".author_name", m.AuthorName); err != nil {
			return err
		}
		if err := checkMetadata(f+".metadata", m.Metadata); err != nil {
			return err
		}
	}
	return nil
}
