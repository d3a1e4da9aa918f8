package sqlite

import (
	"context"
	"database/sql"
	"maps"
	"slices"
	"strings"
	"time"

	"github.com/convstore/convstore"
)

// seqAttempts bounds the fresh IDs drawn when a sequence number collides
// (21 random bits per millisecond make a collision rare, not impossible).
const seqAttempts = 5

// newSeq derives a conversation's sequence number; tests replace it to
// force collisions.
var newSeq = convstore.NewSeq

const conversationColumns = `id, seq, tenant_id, agent_id, user_id, external_id, title, metadata, message_count, created_at, updated_at`

func scanConversation(row interface{ Scan(...any) error }) (*convstore.Conversation, error) {
	c := &convstore.Conversation{}
	var external sql.NullString
	err := row.Scan(idScan{&c.ID}, &c.Seq, idScan{&c.TenantID}, &c.AgentID, &c.UserID, &external, &c.Title,
		metaScan{&c.Metadata}, &c.MessageCount, timeScan{&c.CreatedAt}, timeScan{&c.UpdatedAt})
	if err != nil {
		return nil, err
	}
	c.ExternalID = external.String
	return c, nil
}

// externalArg stores an empty external id as NULL, which the unique index
// ignores.
func externalArg(s string) any {
	if s == "" {
		return nil
	}
	return s
}

// FindConversationByID returns a conversation. ENOTFOUND if missing.
func (db *DB) FindConversationByID(ctx context.Context, tenantID, id convstore.ID) (*convstore.Conversation, error) {
	c, err := scanConversation(db.r.QueryRowContext(ctx,
		`SELECT `+conversationColumns+` FROM conversations WHERE tenant_id = ? AND id = ?`, idArg(tenantID), idArg(id)))
	if err != nil {
		return nil, notFound(err, "conversation")
	}
	return c, nil
}

// FindConversationBySeq returns a conversation by sequence number.
func (db *DB) FindConversationBySeq(ctx context.Context, tenantID convstore.ID, seq int64) (*convstore.Conversation, error) {
	c, err := scanConversation(db.r.QueryRowContext(ctx,
		`SELECT `+conversationColumns+` FROM conversations WHERE tenant_id = ? AND seq = ?`, idArg(tenantID), seq))
	if err != nil {
		return nil, notFound(err, "conversation")
	}
	return c, nil
}

// FindConversationByExternalID returns the conversation created with that
// external id.
func (db *DB) FindConversationByExternalID(ctx context.Context, tenantID convstore.ID, externalID string) (*convstore.Conversation, error) {
	if externalID == "" {
		return nil, convstore.NotFound("conversation")
	}
	c, err := scanConversation(db.r.QueryRowContext(ctx,
		`SELECT `+conversationColumns+` FROM conversations WHERE tenant_id = ? AND external_id = ?`, idArg(tenantID), externalID))
	if err != nil {
		return nil, notFound(err, "conversation")
	}
	return c, nil
}

// FindConversations returns a page of conversations, newest first by default.
func (db *DB) FindConversations(ctx context.Context, tenantID convstore.ID, f convstore.ConversationFilter) ([]*convstore.Conversation, bool, error) {
	if err := f.Validate(); err != nil {
		return nil, false, err
	}
	var sb strings.Builder
	sb.WriteString(`SELECT ` + conversationColumns + ` FROM conversations`)
	args := conversationWhere(&sb, tenantID, f)
	cond, pargs, tail := pageSQL(f.PageFilter)
	sb.WriteString(cond + tail)
	args = append(args, pargs...)
	if f.Offset > 0 {
		sb.WriteString(` OFFSET ?`)
		args = append(args, f.Offset)
	}
	return queryPage(ctx, db.r, sb.String(), args, f.Limit, scanConversation)
}

// CountConversations counts the conversations the filter selects.
func (db *DB) CountConversations(ctx context.Context, tenantID convstore.ID, f convstore.ConversationFilter) (int, error) {
	if err := f.ValidateCount(); err != nil {
		return 0, err
	}
	var sb strings.Builder
	sb.WriteString(`SELECT count(*) FROM conversations`)
	args := conversationWhere(&sb, tenantID, f)
	var n int
	if err := db.r.QueryRowContext(ctx, sb.String(), args...).Scan(&n); err != nil {
		return 0, translate(err)
	}
	return n, nil
}

// conversationWhere writes the WHERE clause of the filter's selection
// (not its page) and returns its arguments.
func conversationWhere(sb *strings.Builder, tenantID convstore.ID, f convstore.ConversationFilter) []any {
	sb.WriteString(` WHERE tenant_id = ?`)
	args := []any{idArg(tenantID)}
	if f.AgentID != "" {
		sb.WriteString(` AND agent_id = ?`)
		args = append(args, f.AgentID)
	}
	if f.UserID != "" {
		sb.WriteString(` AND user_id = ?`)
		args = append(args, f.UserID)
	}
	// Stored times are whole microseconds: t > after exactly when its
	// microseconds exceed after's rounded down, and t < before when they
	// are below before's rounded up.
	if f.CreatedAfter != nil {
		sb.WriteString(` AND created_at > ?`)
		args = append(args, floorMicros(*f.CreatedAfter))
	}
	if f.CreatedBefore != nil {
		sb.WriteString(` AND created_at < ?`)
		args = append(args, ceilMicros(*f.CreatedBefore))
	}
	// json_each, not a JSON path, so any key is matched literally.
	for _, k := range slices.Sorted(maps.Keys(f.Metadata)) {
		sb.WriteString(` AND EXISTS (SELECT 1 FROM json_each(conversations.metadata) WHERE key = ? AND value = ?)`)
		args = append(args, k, f.Metadata[k])
	}
	return args
}

func floorMicros(t time.Time) int64 {
	us := t.UnixMicro()
	if time.UnixMicro(us).After(t) { // negative times round toward zero
		us--
	}
	return us
}

func ceilMicros(t time.Time) int64 {
	us := t.UnixMicro()
	if time.UnixMicro(us).Before(t) {
		us++
	}
	return us
}

// CreateConversation creates a conversation with its initial messages in one
// transaction.
func (db *DB) CreateConversation(ctx context.Context, tenantID convstore.ID, c *convstore.ConversationCreate) (*convstore.Conversation, []*convstore.Message, error) {
	if c == nil {
		return nil, nil, convstore.Invalidf("body", "conversation is missing")
	}
	if err := c.Validate(); err != nil {
		return nil, nil, err
	}
	if len(c.Messages) > db.maxMsg {
		return nil, nil, convstore.MessageCapError(db.maxMsg)
	}
	meta, err := metaArg(c.Metadata)
	if err != nil {
		return nil, nil, err
	}
	var conv *convstore.Conversation
	var msgs []*convstore.Message
	err = db.write(ctx, func(ctx context.Context, tx *sql.Tx, now time.Time) error {
		conv = &convstore.Conversation{
			TenantID:     tenantID,
			AgentID:      c.AgentID,
			UserID:       c.UserID,
			ExternalID:   c.ExternalID,
			Title:        c.Title,
			Metadata:     copyMeta(c.Metadata),
			MessageCount: len(c.Messages),
			CreatedAt:    now,
			UpdatedAt:    now,
		}
		for attempt := 1; ; attempt++ {
			conv.ID = convstore.NewID()
			conv.Seq = newSeq(conv.ID)
			_, err := tx.ExecContext(ctx, `INSERT INTO conversations
				(id, seq, tenant_id, agent_id, user_id, external_id, title, metadata, message_count, created_at, updated_at)
				VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
				idArg(conv.ID), conv.Seq, idArg(tenantID), conv.AgentID, conv.UserID, externalArg(conv.ExternalID), conv.Title, meta,
				conv.MessageCount, micros(now), micros(now))
			if err == nil {
				break
			}
			// A failed statement is undone on its own; the transaction
			// goes on with the next ID.
			if !isUniqueOn(err, "conversations.seq") || attempt == seqAttempts {
				return translate(err)
			}
		}
		var err error
		msgs, err = insertMessages(ctx, tx, now, tenantID, conv.ID, c.Messages)
		return err
	})
	if err != nil {
		return nil, nil, err
	}
	return conv, msgs, nil
}

// UpdateConversation changes the set fields and UpdatedAt.
func (db *DB) UpdateConversation(ctx context.Context, tenantID, id convstore.ID, u *convstore.ConversationUpdate) (*convstore.Conversation, error) {
	if u == nil {
		u = &convstore.ConversationUpdate{}
	}
	if err := u.Validate(); err != nil {
		return nil, err
	}
	set := []string{"updated_at = ?"}
	var args []any
	if u.AgentID != nil {
		set, args = append(set, "agent_id = ?"), append(args, *u.AgentID)
	}
	if u.UserID != nil {
		set, args = append(set, "user_id = ?"), append(args, *u.UserID)
	}
	if u.Title != nil {
		set, args = append(set, "title = ?"), append(args, *u.Title)
	}
	if u.Metadata != nil {
		meta, err := metaArg(*u.Metadata)
		if err != nil {
			return nil, err
		}
		set, args = append(set, "metadata = ?"), append(args, meta)
	}
	var conv *convstore.Conversation
	err := db.write(ctx, func(ctx context.Context, tx *sql.Tx, now time.Time) error {
		a := append([]any{micros(now)}, args...)
		a = append(a, idArg(tenantID), idArg(id))
		res, err := tx.ExecContext(ctx, `UPDATE conversations SET `+strings.Join(set, ", ")+
			` WHERE tenant_id = ? AND id = ?`, a...)
		if err != nil {
			return translate(err)
		}
		if n, err := res.RowsAffected(); err != nil {
			return translate(err)
		} else if n == 0 {
			return convstore.NotFound("conversation")
		}
		conv, err = scanConversation(tx.QueryRowContext(ctx,
			`SELECT `+conversationColumns+` FROM conversations WHERE tenant_id = ? AND id = ?`, idArg(tenantID), idArg(id)))
		return notFound(err, "conversation")
	})
	if err != nil {
		return nil, err
	}
	return conv, nil
}
