package sqlite

import (
	"context"
	"database/sql"

	"github.com/convstore/convstore"
	"github.com/convstore/convstore/driver"
)

const artifactColumns = `id, conversation_id, type, text, data, message_ids, score, created_at`

var (
	qArtifactGet    = stmt(`SELECT ` + artifactColumns + ` FROM artifacts WHERE tenant_id = ? AND conversation_id = ? AND id = ?` + live("artifacts"))
	qArtifactGetAny = stmt(`SELECT ` + artifactColumns + ` FROM artifacts WHERE tenant_id = ? AND id = ?` + live("artifacts"))
	qArtifactList   = pagedStmt(`SELECT ` + artifactColumns + ` FROM artifacts WHERE tenant_id = ? AND conversation_id = ?` + live("artifacts"))
	qArtifactByType = pagedStmt(`SELECT ` + artifactColumns + ` FROM artifacts WHERE tenant_id = ? AND conversation_id = ? AND type = ?` + live("artifacts"))
	// Tenant-wide (the Inkeep feedback list), by type on the index of 0022.
	qArtifactTenantList   = pagedStmt(`SELECT ` + artifactColumns + ` FROM artifacts WHERE tenant_id = ?` + live("artifacts"))
	qArtifactTenantByType = pagedStmt(`SELECT ` + artifactColumns + ` FROM artifacts WHERE tenant_id = ? AND type = ?` + live("artifacts"))
	qArtifactInsert       = stmt(`INSERT INTO artifacts
		(id, tenant_id, conversation_id, type, text, data, message_ids, score, created_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`)
	qArtifactDelete = stmt(`DELETE FROM artifacts WHERE tenant_id = ? AND conversation_id = ? AND id = ?` + live("artifacts"))
)

// scanArtifact scans a row of artifactColumns, then extra.
func scanArtifact(row scanner, extra ...any) (*convstore.Artifact, error) {
	a := &convstore.Artifact{}
	var typ string
	var score sql.NullFloat64
	err := row.Scan(append([]any{idScan{&a.ID}, idScan{&a.ConversationID}, &typ, sealedScan{&a.Text}, jsonScan{&a.Data},
		idsScan{&a.MessageIDs}, &score, timeScan{&a.CreatedAt}}, extra...)...)
	if err != nil {
		return nil, err
	}
	a.Type = convstore.ArtifactType(typ)
	if score.Valid {
		a.Score = &score.Float64
	}
	return a, nil
}

func scanArtifactRow(row scanner) (*convstore.Artifact, error) { return scanArtifact(row) }

func (o *ops) ArtifactGet(ctx context.Context, tenantID, conversationID, id convstore.ID) (*convstore.Artifact, error) {
	if conversationID.IsZero() {
		return one(ctx, o, qArtifactGetAny, []any{idArg(tenantID), idArg(id)}, "artifact", scanArtifactRow)
	}
	return one(ctx, o, qArtifactGet, []any{idArg(tenantID), idArg(conversationID), idArg(id)}, "artifact", scanArtifactRow)
}

func (o *ops) ArtifactList(ctx context.Context, p *driver.ArtifactListParams) ([]*convstore.Artifact, error) {
	args := []any{idArg(p.TenantID), idArg(p.ConversationID)}
	stmts, byType := qArtifactList, qArtifactByType
	if p.ConversationID.IsZero() {
		args, stmts, byType = args[:1], qArtifactTenantList, qArtifactTenantByType
	}
	if p.Type != "" {
		stmts, args = byType, append(args, string(p.Type))
	}
	q, args := stmts.sql(p.Page, args)
	return list(ctx, o, q, args, scanArtifactRow)
}

func (o *ops) ArtifactInsert(ctx context.Context, tenantID convstore.ID, a *convstore.Artifact) error {
	var score any
	if a.Score != nil {
		score = *a.Score
	}
	_, err := o.run.exec(ctx, qArtifactInsert, idArg(a.ID), idArg(tenantID), idArg(a.ConversationID), string(a.Type), sealedArg(a.Text),
		jsonArg(a.Data), idsArg(a.MessageIDs), score, micros(a.CreatedAt))
	if err != nil || !keptType(a.Type) {
		return o.db.translate(err)
	}
	return o.keepArtifacts(ctx, tenantID, a.ConversationID)
}

func (o *ops) ArtifactDelete(ctx context.Context, tenantID, conversationID, id convstore.ID) error {
	res, err := o.run.exec(ctx, qArtifactDelete, idArg(tenantID), idArg(conversationID), idArg(id))
	if err := o.db.affectedOne(res, err, "artifact"); err != nil {
		return err
	}
	return o.keepArtifacts(ctx, tenantID, conversationID)
}
