package postgres

import (
	"context"

	"github.com/jackc/pgx/v5"

	"github.com/convstore/convstore"
	"github.com/convstore/convstore/driver"
)

const artifactColumns = `conversation_id, id, type, text, data, message_ids, score, created_at`

// scanArtifact scans a row of artifactColumns, then extra.
func scanArtifact(row pgx.Row, extra ...any) (*convstore.Artifact, error) {
	a := &convstore.Artifact{}
	var data []byte
	var refs [][]byte
	err := row.Scan(append([]any{scanID(&a.ConversationID), scanID(&a.ID), &a.Type, scanSealed(&a.Text), scanBytes(&data), &refs, &a.Score, &a.CreatedAt}, extra...)...)
	if err != nil {
		return nil, err
	}
	if a.MessageIDs, err = toIDs(refs); err != nil {
		return nil, err
	}
	a.Data, a.CreatedAt = data, a.CreatedAt.UTC()
	return a, nil
}

func scanArtifactRow(row pgx.Row) (*convstore.Artifact, error) { return scanArtifact(row) }

func (o *ops) ArtifactGet(ctx context.Context, tenantID, conversationID, id convstore.ID) (*convstore.Artifact, error) {
	if conversationID.IsZero() {
		return one(ctx, o, "artifact", scanArtifactRow,
			`SELECT `+artifactColumns+` FROM artifacts WHERE tenant_id = $1 AND id = $2`+live("artifacts.tenant_id", "artifacts.conversation_id"), idArg(tenantID), idArg(id))
	}
	return one(ctx, o, "artifact", scanArtifactRow,
		`SELECT `+artifactColumns+` FROM artifacts WHERE tenant_id = $1 AND conversation_id = $2 AND id = $3`+live("$1", "$2"),
		idArg(tenantID), idArg(conversationID), idArg(id))
}

func (o *ops) ArtifactList(ctx context.Context, p *driver.ArtifactListParams) ([]*convstore.Artifact, error) {
	var q *query
	if p.ConversationID.IsZero() {
		q = newQuery(`SELECT `+artifactColumns+` FROM artifacts WHERE tenant_id = $1`+live("artifacts.tenant_id", "artifacts.conversation_id"),
			idArg(p.TenantID))
	} else {
		q = newQuery(`SELECT `+artifactColumns+` FROM artifacts WHERE tenant_id = $1 AND conversation_id = $2`+live("$1", "$2"),
			idArg(p.TenantID), idArg(p.ConversationID))
	}
	if p.Type != "" {
		q.and("type = ?", string(p.Type))
	}
	return list(ctx, o, q.page(p.Page), scanArtifactRow)
}

func (o *ops) ArtifactInsert(ctx context.Context, tenantID convstore.ID, a *convstore.Artifact) error {
	insert := `
		INSERT INTO artifacts (tenant_id, conversation_id, id, type, text, data, message_ids, score, created_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)`
	if keptType(a.Type) {
		// The row keeps it if it is the newest of its type (see kept.go):
		// the same statement.
		p := string(a.Type) + "_"
		insert = `WITH ins AS (` + insert + `)
			UPDATE conversations SET ` + p + `id = $3, ` + p + `text = $5, ` + p + `data = $6, ` + p + `message_ids = $7,
				` + p + `score = $8, ` + p + `created_at = $9
			WHERE tenant_id = $1 AND id = $2 AND (` + p + `id IS NULL OR ` + p + `id < $3)`
	}
	_, err := o.exec(ctx, insert,
		idArg(tenantID), idArg(a.ConversationID), idArg(a.ID), string(a.Type), sealedArg(a.Text), bytesArg(a.Data),
		idsArg(a.MessageIDs), a.Score, a.CreatedAt)
	return err
}

func (o *ops) ArtifactDelete(ctx context.Context, tenantID, conversationID, id convstore.ID) error {
	if err := o.execOne(ctx, "artifact", `DELETE FROM artifacts WHERE tenant_id = $1 AND conversation_id = $2 AND id = $3`,
		idArg(tenantID), idArg(conversationID), idArg(id)); err != nil {
		return err
	}
	return o.keepArtifacts(ctx, tenantID, conversationID)
}
