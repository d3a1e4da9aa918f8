package sqlite

import (
	"context"
	"database/sql"
	"slices"
	"time"

	"github.com/convstore/convstore"
)

const artifactColumns = `id, conversation_id, type, text, data, message_ids, score, created_at`

func scanArtifact(row interface{ Scan(...any) error }) (*convstore.Artifact, error) {
	a := &convstore.Artifact{}
	var typ string
	var score sql.NullFloat64
	err := row.Scan(idScan{&a.ID}, idScan{&a.ConversationID}, &typ, &a.Text, jsonScan{&a.Data},
		idsScan{&a.MessageIDs}, &score, timeScan{&a.CreatedAt})
	if err != nil {
		return nil, err
	}
	a.Type = convstore.ArtifactType(typ)
	if score.Valid {
		a.Score = &score.Float64
	}
	return a, nil
}

// FindArtifactByID returns one artifact of the conversation.
func (db *DB) FindArtifactByID(ctx context.Context, tenantID, conversationID, id convstore.ID) (*convstore.Artifact, error) {
	q, args := `SELECT `+artifactColumns+` FROM artifacts WHERE tenant_id = ? AND id = ?`, []any{idArg(tenantID), idArg(id)}
	if !conversationID.IsZero() {
		q, args = q+` AND conversation_id = ?`, append(args, idArg(conversationID))
	}
	a, err := scanArtifact(db.r.QueryRowContext(ctx, q, args...))
	if err != nil {
		return nil, notFound(err, "artifact")
	}
	return a, nil
}

// FindArtifacts returns a page of the conversation's artifacts, oldest first
// by default.
func (db *DB) FindArtifacts(ctx context.Context, tenantID, conversationID convstore.ID, f convstore.ArtifactFilter) ([]*convstore.Artifact, bool, error) {
	if err := f.Normalize(convstore.OrderAsc); err != nil {
		return nil, false, err
	}
	if f.Type != "" && !f.Type.Valid() {
		return nil, false, convstore.Invalidf("type", "type must be one of summary, topic, insight, action_item, question, follow_up, analysis, entity, other")
	}
	var out []*convstore.Artifact
	var more bool
	err := db.read(ctx, func(tx *sql.Tx) error {
		if err := conversationExists(ctx, tx, tenantID, conversationID); err != nil {
			return err
		}
		q := `SELECT ` + artifactColumns + ` FROM artifacts WHERE tenant_id = ? AND conversation_id = ?`
		args := []any{idArg(tenantID), idArg(conversationID)}
		if f.Type != "" {
			q += ` AND type = ?`
			args = append(args, string(f.Type))
		}
		cond, pargs, tail := pageSQL(f.PageFilter)
		var err error
		out, more, err = queryPage(ctx, tx, q+cond+tail, append(args, pargs...), f.Limit, scanArtifact)
		return err
	})
	if err != nil {
		return nil, false, err
	}
	return out, more, nil
}

// CreateArtifact adds an artifact. The conversation is checked inside the
// write transaction, so a concurrent delete either precedes it (ENOTFOUND)
// or removes the artifact with the conversation.
func (db *DB) CreateArtifact(ctx context.Context, tenantID, conversationID convstore.ID, c *convstore.ArtifactCreate) (*convstore.Artifact, error) {
	if c == nil {
		return nil, convstore.Invalidf("type", "artifact is missing")
	}
	if err := c.Validate(); err != nil {
		return nil, err
	}
	var a *convstore.Artifact
	err := db.write(ctx, func(ctx context.Context, tx *sql.Tx, now time.Time) error {
		if err := conversationExists(ctx, tx, tenantID, conversationID); err != nil {
			return err
		}
		if err := checkMessageIDs(ctx, tx, tenantID, conversationID, c.MessageIDs); err != nil {
			return err
		}
		a = &convstore.Artifact{
			ID:             convstore.NewID(),
			ConversationID: conversationID,
			Type:           c.Type,
			Text:           c.Text,
			Data:           copyJSON(c.Data),
			MessageIDs:     slices.Clone(c.MessageIDs),
			CreatedAt:      now,
		}
		if len(a.MessageIDs) == 0 {
			a.MessageIDs = nil
		}
		var score any
		if c.Score != nil {
			s := *c.Score
			a.Score, score = &s, s
		}
		_, err := tx.ExecContext(ctx, `INSERT INTO artifacts
			(id, tenant_id, conversation_id, type, text, data, message_ids, score, created_at)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
			idArg(a.ID), idArg(tenantID), idArg(conversationID), string(a.Type), a.Text, jsonArg(a.Data),
			idsArg(a.MessageIDs), score, micros(now))
		return translate(err)
	})
	if err != nil {
		return nil, err
	}
	return a, nil
}

// checkMessageIDs returns EINVALID on message_ids unless every id is a
// message of the tenant's conversation. It says neither which id failed
// nor why, so an id of another conversation or tenant answers like one
// that never existed.
func checkMessageIDs(ctx context.Context, tx *sql.Tx, tenantID, conversationID convstore.ID, ids []convstore.ID) error {
	distinct := map[convstore.ID]bool{}
	args := []any{idArg(tenantID), idArg(conversationID)}
	for _, id := range ids {
		if !distinct[id] {
			distinct[id] = true
			args = append(args, idArg(id))
		}
	}
	if len(distinct) == 0 {
		return nil
	}
	var n int
	err := tx.QueryRowContext(ctx, `SELECT count(*) FROM messages WHERE tenant_id = ? AND conversation_id = ?
		AND id IN (`+placeholders(len(distinct))+`)`, args...).Scan(&n)
	if err != nil {
		return translate(err)
	}
	if n != len(distinct) {
		return errForeignMessageIDs()
	}
	return nil
}

func errForeignMessageIDs() error {
	return convstore.Invalidf("message_ids", "message_ids must name messages of this conversation")
}

// DeleteArtifact deletes one artifact and writes an AuditEntry.
func (db *DB) DeleteArtifact(ctx context.Context, tenantID, conversationID, id convstore.ID, p convstore.DeleteParams) error {
	return db.write(ctx, func(ctx context.Context, tx *sql.Tx, now time.Time) error {
		res, err := tx.ExecContext(ctx, `DELETE FROM artifacts WHERE tenant_id = ? AND conversation_id = ? AND id = ?`,
			idArg(tenantID), idArg(conversationID), idArg(id))
		if err := affectedOne(res, err, "artifact"); err != nil {
			return err
		}
		return insertAudit(ctx, tx, now, tenantID, convstore.AuditArtifactDelete, conversationID, id, p)
	})
}
