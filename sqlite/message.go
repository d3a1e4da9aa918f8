package sqlite

import (
	"context"
	"database/sql"
	"time"

	"github.com/convstore/convstore"
)

const messageColumns = `id, conversation_id, role, content, parts, author_name, start_offset, end_offset, metadata, created_at`

func scanMessage(row interface{ Scan(...any) error }) (*convstore.Message, error) {
	m := &convstore.Message{}
	var role string
	err := row.Scan(idScan{&m.ID}, idScan{&m.ConversationID}, &role, &m.Content, jsonScan{&m.Parts}, &m.AuthorName,
		durationScan{&m.StartOffset}, durationScan{&m.EndOffset}, metaScan{&m.Metadata}, timeScan{&m.CreatedAt})
	if err != nil {
		return nil, err
	}
	m.Role = convstore.Role(role)
	return m, nil
}

// FindMessageByID returns one message of the conversation.
func (db *DB) FindMessageByID(ctx context.Context, tenantID, conversationID, id convstore.ID) (*convstore.Message, error) {
	q, args := `SELECT `+messageColumns+` FROM messages WHERE tenant_id = ? AND id = ?`, []any{idArg(tenantID), idArg(id)}
	if !conversationID.IsZero() {
		q, args = q+` AND conversation_id = ?`, append(args, idArg(conversationID))
	}
	m, err := scanMessage(db.r.QueryRowContext(ctx, q, args...))
	if err != nil {
		return nil, notFound(err, "message")
	}
	return m, nil
}

// FindMessages returns a page of the conversation's messages, oldest first
// by default.
func (db *DB) FindMessages(ctx context.Context, tenantID, conversationID convstore.ID, f convstore.MessageFilter) ([]*convstore.Message, bool, error) {
	if err := f.Normalize(convstore.OrderAsc); err != nil {
		return nil, false, err
	}
	var out []*convstore.Message
	var more bool
	err := db.read(ctx, func(tx *sql.Tx) error {
		if err := conversationExists(ctx, tx, tenantID, conversationID); err != nil {
			return err
		}
		cond, pargs, tail := pageSQL(f.PageFilter)
		var err error
		out, more, err = queryPage(ctx, tx, `SELECT `+messageColumns+` FROM messages
			WHERE tenant_id = ? AND conversation_id = ?`+cond+tail,
			append([]any{idArg(tenantID), idArg(conversationID)}, pargs...), f.Limit, scanMessage)
		return err
	})
	if err != nil {
		return nil, false, err
	}
	return out, more, nil
}

// CreateMessages appends a batch atomically. The message count is bumped
// first: if the conversation is gone no row matches and the batch fails with
// ENOTFOUND, and since all writes share one connection, a delete either
// commits before (ENOTFOUND here) or after (the batch goes with it). The
// bumped count is checked against the cap in the same transaction, which
// rolls back with nothing written when it is over.
func (db *DB) CreateMessages(ctx context.Context, tenantID, conversationID convstore.ID, batch []*convstore.MessageCreate) ([]*convstore.Message, error) {
	if err := convstore.ValidateMessageBatch("messages", batch, true); err != nil {
		return nil, err
	}
	var out []*convstore.Message
	err := db.write(ctx, func(ctx context.Context, tx *sql.Tx, now time.Time) error {
		var count int
		err := tx.QueryRowContext(ctx, `UPDATE conversations SET message_count = message_count + ?, updated_at = ?
			WHERE tenant_id = ? AND id = ? RETURNING message_count`,
			len(batch), micros(now), idArg(tenantID), idArg(conversationID)).Scan(&count)
		if err != nil {
			return notFound(err, "conversation")
		}
		if count > db.maxMsg {
			return convstore.MessageCapError(db.maxMsg)
		}
		out, err = insertMessages(ctx, tx, now, tenantID, conversationID, batch)
		return err
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// insertMessages inserts a validated batch. IDs are drawn here, inside the
// write transaction, so they increase in commit order.
func insertMessages(ctx context.Context, tx *sql.Tx, now time.Time, tenantID, conversationID convstore.ID, batch []*convstore.MessageCreate) ([]*convstore.Message, error) {
	if len(batch) == 0 {
		return []*convstore.Message{}, nil
	}
	st, err := tx.PrepareContext(ctx, `INSERT INTO messages
		(id, tenant_id, conversation_id, role, content, parts, author_name, start_offset, end_offset, metadata, created_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`)
	if err != nil {
		return nil, translate(err)
	}
	defer st.Close()
	out := make([]*convstore.Message, len(batch))
	for i, c := range batch {
		m := &convstore.Message{
			ID:             convstore.NewID(),
			ConversationID: conversationID,
			Role:           c.Role,
			Content:        c.Content,
			Parts:          copyJSON(c.Parts),
			AuthorName:     c.AuthorName,
			StartOffset:    copyDuration(c.StartOffset),
			EndOffset:      copyDuration(c.EndOffset),
			Metadata:       copyMeta(c.Metadata),
			CreatedAt:      now,
		}
		meta, err := metaArg(m.Metadata)
		if err != nil {
			return nil, err
		}
		if _, err := st.ExecContext(ctx, idArg(m.ID), idArg(tenantID), idArg(conversationID), string(m.Role), m.Content,
			jsonArg(m.Parts), m.AuthorName, durationArg(m.StartOffset), durationArg(m.EndOffset), meta, micros(now)); err != nil {
			return nil, translate(err)
		}
		out[i] = m
	}
	return out, nil
}

func copyDuration(d *time.Duration) *time.Duration {
	if d == nil {
		return nil
	}
	v := *d
	return &v
}

// DeleteMessage deletes one message, decrements the conversation's count and
// writes an AuditEntry, in one transaction.
func (db *DB) DeleteMessage(ctx context.Context, tenantID, conversationID, id convstore.ID, p convstore.DeleteParams) error {
	return db.write(ctx, func(ctx context.Context, tx *sql.Tx, now time.Time) error {
		res, err := tx.ExecContext(ctx, `DELETE FROM messages WHERE tenant_id = ? AND conversation_id = ? AND id = ?`,
			idArg(tenantID), idArg(conversationID), idArg(id))
		if err := affectedOne(res, err, "message"); err != nil {
			return err
		}
		_, err = tx.ExecContext(ctx, `UPDATE conversations SET message_count = message_count - 1, updated_at = ?
			WHERE tenant_id = ? AND id = ?`, micros(now), idArg(tenantID), idArg(conversationID))
		if err != nil {
			return translate(err)
		}
		return insertAudit(ctx, tx, now, tenantID, convstore.AuditMessageDelete, conversationID, id, p)
	})
}

// conversationExists returns ENOTFOUND unless the tenant's conversation
// exists in tx's snapshot.
func conversationExists(ctx context.Context, tx *sql.Tx, tenantID, id convstore.ID) error {
	var one int
	err := tx.QueryRowContext(ctx, `SELECT 1 FROM conversations WHERE tenant_id = ? AND id = ?`,
		idArg(tenantID), idArg(id)).Scan(&one)
	return notFound(err, "conversation")
}

// affectedOne turns an Exec result that matched no row into ENOTFOUND.
func affectedOne(res sql.Result, err error, kind string) error {
	n, err := rowsAffected(res, err)
	if err != nil {
		return err
	}
	if n == 0 {
		return convstore.NotFound(kind)
	}
	return nil
}
