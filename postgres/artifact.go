package postgres

import (
	"context"
	"slices"

	"github.com/jackc/pgx/v5"

	"github.com/convstore/convstore"
)

const artifactColumns = `conversation_id, id, type, text, data, message_ids, score, created_at`

// scanArtifact scans a row of artifactColumns.
func scanArtifact(row pgx.Row) (*convstore.Artifact, error) {
	a := &convstore.Artifact{}
	var data *string
	var refs [][]byte
	err := row.Scan(scanID(&a.ConversationID), scanID(&a.ID), &a.Type, &a.Text, &data, &refs, &a.Score, &a.CreatedAt)
	if err != nil {
		return nil, err
	}
	if a.MessageIDs, err = toIDs(refs); err != nil {
		return nil, err
	}
	a.Data, a.CreatedAt = jsonBytes(data), a.CreatedAt.UTC()
	return a, nil
}

// FindArtifactByID returns one artifact of the conversation.
func (db *DB) FindArtifactByID(ctx context.Context, tenantID, conversationID, id convstore.ID) (*convstore.Artifact, error) {
	q := newQuery(`SELECT ` + artifactColumns + ` FROM artifacts WHERE tenant_id = $1 AND id = $2`)
	q.args = append(q.args, idArg(tenantID), idArg(id))
	if !conversationID.IsZero() {
		q.where("conversation_id = ?", idArg(conversationID))
	}
	a, err := scanArtifact(db.reads.QueryRow(ctx, q.sql.String(), q.args...))
	if err != nil {
		return nil, db.translate(ctx, notFound(err, "artifact"))
	}
	return a, nil
}

// FindArtifacts returns a page of the conversation's artifacts, oldest
// first by default. An unknown type is EINVALID.
func (db *DB) FindArtifacts(ctx context.Context, tenantID, conversationID convstore.ID, f convstore.ArtifactFilter) ([]*convstore.Artifact, bool, error) {
	if err := f.Normalize(convstore.OrderAsc); err != nil {
		return nil, false, err
	}
	if f.Type != "" && !f.Type.Valid() {
		return nil, false, convstore.Invalidf("type", "type must be one of summary, topic, insight, action_item, question, follow_up, analysis, entity, other")
	}
	q := newQuery(`SELECT ` + artifactColumns + ` FROM artifacts WHERE tenant_id = $1 AND conversation_id = $2`)
	q.args = append(q.args, idArg(tenantID), idArg(conversationID))
	if f.Type != "" {
		q.where("type = ?", string(f.Type))
	}
	q.page(f.PageFilter)
	list, more, err := listPage(ctx, db.reads, q, f.Limit, scanArtifact)
	if err == nil && len(list) == 0 {
		err = db.conversationExists(ctx, db.reads, tenantID, conversationID)
	}
	if err != nil {
		return nil, false, db.translate(ctx, err)
	}
	return list, more, nil
}

// CreateArtifact adds an artifact. ENOTFOUND if the conversation is
// missing or deleted concurrently (see lockConversation).
func (db *DB) CreateArtifact(ctx context.Context, tenantID, conversationID convstore.ID, c *convstore.ArtifactCreate) (*convstore.Artifact, error) {
	if err := c.Validate(); err != nil {
		return nil, err
	}
	if err := checkText("text", c.Text); err != nil {
		return nil, err
	}
	var a *convstore.Artifact
	err := db.txOn(ctx, tenantID, conversationID, func(tx pgx.Tx) error {
		if err := lockConversation(ctx, tx, tenantID, conversationID, "conversation"); err != nil {
			return err
		}
		if err := checkMessageIDs(ctx, tx, tenantID, conversationID, c.MessageIDs); err != nil {
			return err
		}
		a = &convstore.Artifact{
			ID: db.newID(), ConversationID: conversationID, Type: c.Type, Text: c.Text, Data: slices.Clone(c.Data),
			MessageIDs: slices.Clone(c.MessageIDs), Score: cloneFloat(c.Score), CreatedAt: now(),
		}
		_, err := tx.Exec(ctx, `
			INSERT INTO artifacts (tenant_id, conversation_id, id, type, text, data, message_ids, score, created_at)
			VALUES ($1, $2, $3, $4, $5, $6::json, $7, $8, $9)`,
			idArg(tenantID), idArg(conversationID), a.ID[:], string(a.Type), a.Text, jsonArg(a.Data),
			idsArg(a.MessageIDs), a.Score, a.CreatedAt)
		return err
	})
	if err != nil {
		return nil, err
	}
	return a, nil
}

// checkMessageIDs returns EINVALID on message_ids unless every id is a
// message of the tenant's conversation, with the SQLite engine's message.
// The conversation is locked, so no message can go meanwhile.
func checkMessageIDs(ctx context.Context, tx pgx.Tx, tenantID, conversationID convstore.ID, ids []convstore.ID) error {
	if len(ids) == 0 {
		return nil
	}
	var missing bool
	err := tx.QueryRow(ctx, `
		SELECT EXISTS (SELECT 1 FROM unnest($3::bytea[]) AS ref(id)
			WHERE NOT EXISTS (SELECT 1 FROM messages m WHERE m.tenant_id = $1 AND m.conversation_id = $2 AND m.id = ref.id))`,
		idArg(tenantID), idArg(conversationID), idsArg(ids)).Scan(&missing)
	if err != nil {
		return err
	}
	if missing {
		return convstore.Invalidf("message_ids", "message_ids must name messages of this conversation")
	}
	return nil
}

// DeleteArtifact permanently deletes one artifact and writes an AuditEntry.
func (db *DB) DeleteArtifact(ctx context.Context, tenantID, conversationID, id convstore.ID, p convstore.DeleteParams) error {
	return db.txOn(ctx, tenantID, conversationID, func(tx pgx.Tx) error {
		if err := lockConversation(ctx, tx, tenantID, conversationID, "artifact"); err != nil {
			return err
		}
		tag, err := tx.Exec(ctx, `DELETE FROM artifacts WHERE tenant_id = $1 AND conversation_id = $2 AND id = $3`,
			idArg(tenantID), idArg(conversationID), idArg(id))
		if err != nil {
			return err
		}
		if tag.RowsAffected() == 0 {
			return convstore.NotFound("artifact")
		}
		return db.insertAudit(ctx, tx, tenantID, convstore.AuditArtifactDelete, conversationID, id, p, now())
	})
}

func cloneFloat(f *float64) *float64 {
	if f == nil {
		return nil
	}
	v := *f
	return &v
}
