package postgres

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/convstore/convstore"
)

// maxSeqAttempts bounds the fresh IDs drawn when sequence numbers collide.
const maxSeqAttempts = 10

const conversationColumns = `tenant_id, id, seq, agent_id, user_id, external_id, title, metadata, message_count, created_at, updated_at`

// scanConversation scans a row of conversationColumns.
func scanConversation(row pgx.Row) (*convstore.Conversation, error) {
	c := &convstore.Conversation{}
	var external *string
	err := row.Scan(scanID(&c.TenantID), scanID(&c.ID), &c.Seq, &c.AgentID, &c.UserID, &external, &c.Title,
		scanMetadata(&c.Metadata), &c.MessageCount, &c.CreatedAt, &c.UpdatedAt)
	if err != nil {
		return nil, err
	}
	if external != nil {
		c.ExternalID = *external
	}
	c.CreatedAt, c.UpdatedAt = c.CreatedAt.UTC(), c.UpdatedAt.UTC()
	return c, nil
}

// externalArg stores an empty external id as NULL, which the unique index
// ignores.
func externalArg(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}

// FindConversationByExternalID returns the conversation created with that
// external id.
func (db *DB) FindConversationByExternalID(ctx context.Context, tenantID convstore.ID, externalID string) (*convstore.Conversation, error) {
	if externalID == "" {
		return nil, convstore.NotFound("conversation")
	}
	c, err := scanConversation(db.reads.QueryRow(ctx,
		`SELECT `+conversationColumns+` FROM conversations WHERE tenant_id = $1 AND external_id = $2`, idArg(tenantID), externalID))
	if err != nil {
		return nil, db.translate(ctx, notFound(err, "conversation"))
	}
	return c, nil
}

// CountConversations counts the conversations the filter selects.
func (db *DB) CountConversations(ctx context.Context, tenantID convstore.ID, f convstore.ConversationFilter) (int, error) {
	if err := f.ValidateCount(); err != nil {
		return 0, err
	}
	q := conversationQuery(`SELECT count(*) FROM conversations`, tenantID, f)
	var n int
	if err := db.reads.QueryRow(ctx, q.sql.String(), q.args...).Scan(&n); err != nil {
		return 0, db.translate(ctx, err)
	}
	return n, nil
}

// FindConversationByID returns a conversation. ENOTFOUND if missing.
func (db *DB) FindConversationByID(ctx context.Context, tenantID, id convstore.ID) (*convstore.Conversation, error) {
	c, err := scanConversation(db.reads.QueryRow(ctx,
		`SELECT `+conversationColumns+` FROM conversations WHERE tenant_id = $1 AND id = $2`, idArg(tenantID), idArg(id)))
	if err != nil {
		return nil, db.translate(ctx, notFound(err, "conversation"))
	}
	return c, nil
}

// FindConversationBySeq returns a conversation by sequence number.
func (db *DB) FindConversationBySeq(ctx context.Context, tenantID convstore.ID, seq int64) (*convstore.Conversation, error) {
	c, err := scanConversation(db.reads.QueryRow(ctx,
		`SELECT `+conversationColumns+` FROM conversations WHERE tenant_id = $1 AND seq = $2`, idArg(tenantID), seq))
	if err != nil {
		return nil, db.translate(ctx, notFound(err, "conversation"))
	}
	return c, nil
}

// FindConversations returns a page of conversations, newest first by
// default.
func (db *DB) FindConversations(ctx context.Context, tenantID convstore.ID, f convstore.ConversationFilter) ([]*convstore.Conversation, bool, error) {
	if err := f.Validate(); err != nil {
		return nil, false, err
	}
	q := conversationQuery(`SELECT `+conversationColumns+` FROM conversations`, tenantID, f)
	q.page(f.PageFilter)
	if f.Offset > 0 {
		q.sql.WriteString(" OFFSET " + q.arg(f.Offset))
	}
	list, more, err := listPage(ctx, db.reads, q, f.Limit, scanConversation)
	if err != nil {
		return nil, false, db.translate(ctx, err)
	}
	return list, more, nil
}

// conversationQuery starts a query with the WHERE clause of the filter's
// selection (not its page).
func conversationQuery(sql string, tenantID convstore.ID, f convstore.ConversationFilter) *query {
	q := newQuery(sql + ` WHERE tenant_id = $1`)
	q.args = append(q.args, idArg(tenantID))
	if f.AgentID != "" {
		q.where("agent_id = ?", f.AgentID)
	}
	if f.UserID != "" {
		q.where("user_id = ?", f.UserID)
	}
	if f.Seq != 0 {
		q.where("seq = ?", f.Seq)
	}
	// Stored times are whole microseconds; bounds with nanoseconds are
	// rounded so that the comparison stays exact: created_at > t holds
	// exactly when created_at > t rounded down, and created_at < t exactly
	// when created_at < t rounded up.
	if f.CreatedAfter != nil {
		q.where("created_at > ?", f.CreatedAfter.Truncate(time.Microsecond))
	}
	if f.CreatedBefore != nil {
		before := f.CreatedBefore.Truncate(time.Microsecond)
		if !before.Equal(*f.CreatedBefore) {
			before = before.Add(time.Microsecond)
		}
		q.where("created_at < ?", before)
	}
	if len(f.Metadata) > 0 {
		q.where("metadata @> ?::jsonb", metadataArg(f.Metadata))
	}
	return q
}

// CreateConversation creates a conversation with its initial messages in
// one transaction.
func (db *DB) CreateConversation(ctx context.Context, tenantID convstore.ID, c *convstore.ConversationCreate) (*convstore.Conversation, []*convstore.Message, error) {
	if err := c.Validate(); err != nil {
		return nil, nil, err
	}
	if err := checkConversationText(c.AgentID, c.UserID, c.Title, c.Metadata); err != nil {
		return nil, nil, err
	}
	if err := checkMessageText("messages", c.Messages); err != nil {
		return nil, nil, err
	}
	if len(c.Messages) > db.maxMsg {
		return nil, nil, convstore.MessageCapError(db.maxMsg)
	}
	var conv *convstore.Conversation
	var msgs []*convstore.Message
	err := db.tx(ctx, func(tx pgx.Tx) error {
		t := now()
		var err error
		// Seq is unique across tenants. A collision of two NewSeq values
		// (same millisecond, same 21 random bits) is rare but possible:
		// ON CONFLICT DO NOTHING returns no row instead of aborting the
		// transaction, and a fresh ID (and so Seq) is drawn. A taken
		// external id returns no row too, and is told apart by a lookup:
		// a unique violation would write the external id to the server's
		// log, in its DETAIL line.
		for attempt := 0; ; attempt++ {
			id := db.newID()
			conv, err = scanConversation(tx.QueryRow(ctx, `
				INSERT INTO conversations (tenant_id, id, seq, agent_id, user_id, external_id, title, metadata, message_count, created_at, updated_at)
				VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $10)
				ON CONFLICT DO NOTHING
				RETURNING `+conversationColumns,
				idArg(tenantID), id[:], convstore.NewSeq(id), c.AgentID, c.UserID, externalArg(c.ExternalID), c.Title, metadataArg(c.Metadata), len(c.Messages), t))
			if errors.Is(err, pgx.ErrNoRows) && c.ExternalID != "" {
				if taken, lookupErr := externalIDTaken(ctx, tx, tenantID, c.ExternalID); lookupErr != nil {
					return lookupErr
				} else if taken {
					return convstore.Errorf(convstore.ECONFLICT, "%s", conflictMessage("conversations_tenant_external"))
				}
			}
			if !errors.Is(err, pgx.ErrNoRows) || attempt == maxSeqAttempts {
				break
			}
		}
		switch {
		case errors.Is(err, pgx.ErrNoRows):
			return fmt.Errorf("postgres: no free conversation sequence number after %d attempts", maxSeqAttempts+1)
		case isCode(err, codeForeignKeyViolation, ""):
			return convstore.NotFound("tenant")
		case err != nil:
			return err
		}
		msgs, err = db.insertMessages(ctx, tx, tenantID, conv.ID, c.Messages, t)
		return err
	})
	if err != nil {
		return nil, nil, err
	}
	return conv, msgs, nil
}

// externalIDTaken reports whether the tenant has a conversation with the
// external id.
func externalIDTaken(ctx context.Context, tx pgx.Tx, tenantID convstore.ID, externalID string) (bool, error) {
	var taken bool
	err := tx.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM conversations WHERE tenant_id = $1 AND external_id = $2)`,
		idArg(tenantID), externalID).Scan(&taken)
	return taken, err
}

// UpdateConversation changes the set fields and UpdatedAt.
func (db *DB) UpdateConversation(ctx context.Context, tenantID, id convstore.ID, u *convstore.ConversationUpdate) (*convstore.Conversation, error) {
	if err := u.Validate(); err != nil {
		return nil, err
	}
	var md convstore.Metadata
	if u.Metadata != nil {
		md = *u.Metadata
	}
	if err := checkConversationText(deref(u.AgentID), deref(u.UserID), deref(u.Title), md); err != nil {
		return nil, err
	}
	q := newQuery(`UPDATE conversations SET updated_at = GREATEST(updated_at, $1)`)
	q.args = append(q.args, now())
	set := func(column string, v any) { q.sql.WriteString(", " + column + " = " + q.arg(v)) }
	if u.AgentID != nil {
		set("agent_id", *u.AgentID)
	}
	if u.UserID != nil {
		set("user_id", *u.UserID)
	}
	if u.Title != nil {
		set("title", *u.Title)
	}
	if u.Metadata != nil {
		set("metadata", metadataArg(*u.Metadata))
	}
	q.sql.WriteString(" WHERE tenant_id = " + q.arg(idArg(tenantID)) + " AND id = " + q.arg(idArg(id)) + " RETURNING " + conversationColumns)
	var c *convstore.Conversation
	err := db.txOn(ctx, tenantID, id, func(tx pgx.Tx) error {
		var err error
		c, err = scanConversation(tx.QueryRow(ctx, q.sql.String(), q.args...))
		return notFound(err, "conversation")
	})
	if err != nil {
		return nil, err
	}
	return c, nil
}

// checkConversationText applies the engine's NUL check to a
// conversation's text fields.
func checkConversationText(agentID, userID, title string, md convstore.Metadata) error {
	if err := checkText("agent_id", agentID); err != nil {
		return err
	}
	if err := checkText("user_id", userID); err != nil {
		return err
	}
	if err := checkText("title", title); err != nil {
		return err
	}
	return checkMetadata("metadata", md)
}

func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}
