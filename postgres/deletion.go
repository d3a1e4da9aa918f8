package postgres

import (
	"context"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/convstore/convstore"
	"github.com/convstore/convstore/driver"
)

const deletionColumns = `tenant_id, id, conversation_id, conversation_seq, actor_key_id, door, request_id, client_request_id,
	messages, artifacts, attachments, attachment_bytes, created_at, key_epoch, shredded_at, purged_at, policy, erasure_id, restorable_until, restored_at, kind`

// scanDeletion scans a row of deletionColumns.
func scanDeletion(row pgx.Row) (*convstore.Deletion, error) {
	d := &convstore.Deletion{}
	var epoch *int64
	err := row.Scan(scanID(&d.TenantID), scanID(&d.ID), scanID(&d.ConversationID), &d.ConversationSeq, scanID(&d.ActorKeyID),
		&d.Door, &d.RequestID, &d.ClientRequestID, &d.Messages, &d.Artifacts, &d.Attachments, &d.AttachmentBytes, &d.CreatedAt,
		&epoch, &d.ShreddedAt, &d.PurgedAt, &d.Policy, scanID(&d.ErasureID), &d.RestorableUntil, &d.RestoredAt, &d.Kind)
	for _, t := range []**time.Time{&d.PurgedAt, &d.RestorableUntil, &d.RestoredAt} {
		if *t != nil {
			u := (*t).UTC()
			*t = &u
		}
	}
	d.CreatedAt = d.CreatedAt.UTC()
	if epoch != nil {
		d.KeyEpoch = uint32(*epoch)
	}
	if d.ShreddedAt != nil {
		t := d.ShreddedAt.UTC()
		d.ShreddedAt = &t
	}
	return d, err
}

func (o *ops) DeletionInsert(ctx context.Context, d *convstore.Deletion) error {
	_, err := o.exec(ctx, `INSERT INTO deletions (`+deletionColumns+`)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20, $21)`,
		idArg(d.TenantID), idArg(d.ID), idArg(d.ConversationID), d.ConversationSeq, idArg(d.ActorKeyID), d.Door, d.RequestID,
		d.ClientRequestID, d.Messages, d.Artifacts, d.Attachments, d.AttachmentBytes, d.CreatedAt, nullEpoch(d.KeyEpoch), d.ShreddedAt, d.PurgedAt, d.Policy, idArg(d.ErasureID),
		d.RestorableUntil, d.RestoredAt, d.Kind)
	return err
}

func (o *ops) DeletionGet(ctx context.Context, tenantID, id convstore.ID) (*convstore.Deletion, error) {
	return one(ctx, o, "deletion", scanDeletion,
		`SELECT `+deletionColumns+` FROM deletions WHERE tenant_id = $1 AND id = $2`, idArg(tenantID), idArg(id))
}

func (o *ops) DeletionList(ctx context.Context, p *driver.DeletionListParams) ([]*convstore.Deletion, error) {
	q := newQuery(`SELECT `+deletionColumns+` FROM deletions WHERE tenant_id = $1`, idArg(p.TenantID))
	if !p.ConversationID.IsZero() {
		q.and("conversation_id = ?", idArg(p.ConversationID))
	}
	if !p.ErasureID.IsZero() {
		q.and("erasure_id = ?", idArg(p.ErasureID))
	}
	if p.Door != "" {
		q.and("door = ?", p.Door)
	}
	if p.Policy != "" {
		q.and("policy = ?", p.Policy)
	}
	open := `EXISTS (SELECT 1 FROM confirmations c WHERE c.tenant_id = deletions.tenant_id AND c.deletion_id = deletions.id AND c.` + confirmationOpen
	switch p.State {
	case convstore.DeletionPending:
		q.and(open + `)`)
	case convstore.DeletionOverdue:
		q.and(open+` AND c.due_at <= ?)`, p.Now)
	case convstore.DeletionComplete:
		q.and(`NOT ` + open + `)`)
	}
	return list(ctx, o, q.page(p.Page), scanDeletion)
}

const auditColumns = `tenant_id, id, action, actor_key_id, door, request_id, client_request_id, conversation_id, target_id, created_at, policy`

// scanAudit scans a row of auditColumns.
func scanAudit(row pgx.Row) (*convstore.AuditEntry, error) {
	e := &convstore.AuditEntry{}
	err := row.Scan(scanID(&e.TenantID), scanID(&e.ID), &e.Action, scanID(&e.ActorKeyID), &e.Door, &e.RequestID, &e.ClientRequestID,
		scanID(&e.ConversationID), scanID(&e.TargetID), &e.CreatedAt, &e.Policy)
	e.CreatedAt = e.CreatedAt.UTC()
	return e, err
}

func (o *ops) AuditInsert(ctx context.Context, e *convstore.AuditEntry) error {
	_, err := o.exec(ctx, `INSERT INTO audit_log (`+auditColumns+`) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)`,
		idArg(e.TenantID), idArg(e.ID), e.Action, idArg(e.ActorKeyID), e.Door, e.RequestID, e.ClientRequestID,
		idArg(e.ConversationID), idArg(e.TargetID), e.CreatedAt, e.Policy)
	return err
}

func (o *ops) AuditGet(ctx context.Context, tenantID, id convstore.ID) (*convstore.AuditEntry, error) {
	return one(ctx, o, "audit entry", scanAudit,
		`SELECT `+auditColumns+` FROM audit_log WHERE tenant_id = $1 AND id = $2`, idArg(tenantID), idArg(id))
}

func (o *ops) AuditList(ctx context.Context, p *driver.AuditListParams) ([]*convstore.AuditEntry, error) {
	q := newQuery(`SELECT `+auditColumns+` FROM audit_log WHERE tenant_id = $1`, idArg(p.TenantID))
	// Actions compare bytewise (COLLATE "C", as their index does): a
	// family ("erasure.") is the range [prefix, prefix with its dot
	// turned into the next byte, "/").
	switch {
	case p.ActionFamily():
		q.and(`action COLLATE "C" >= ? AND action COLLATE "C" < ?`, p.Action, p.Action[:len(p.Action)-1]+"/")
	case p.Action != "":
		q.and(`action COLLATE "C" = ?`, p.Action)
	}
	if !p.ActorKeyID.IsZero() {
		q.and("actor_key_id = ?", idArg(p.ActorKeyID))
	}
	if !p.ConversationID.IsZero() {
		q.and("conversation_id = ?", idArg(p.ConversationID))
	}
	if !p.TargetID.IsZero() {
		q.and("target_id = ?", idArg(p.TargetID))
	}
	if p.Door != "" {
		q.and("door = ?", p.Door)
	}
	if p.CreatedAfter != nil {
		q.and("created_at > ?", *p.CreatedAfter)
	}
	if p.CreatedBefore != nil {
		q.and("created_at < ?", *p.CreatedBefore)
	}
	return list(ctx, o, q.page(p.Page), scanAudit)
}

// nullEpoch stores a key epoch, NULL for none (0).
func nullEpoch(e uint32) *int64 {
	if e == 0 {
		return nil
	}
	n := int64(e)
	return &n
}

func (o *ops) DeletionMarkShredded(ctx context.Context, throughEpoch uint32, at time.Time) ([]driver.ShreddedReceipt, error) {
	q := newQuery(`UPDATE deletions SET shredded_at = $1
		WHERE shredded_at IS NULL AND key_epoch IS NOT NULL AND key_epoch <= $2 RETURNING tenant_id, id, conversation_id, key_epoch`,
		at, int64(throughEpoch))
	return list(ctx, o, q, func(row pgx.Row) (driver.ShreddedReceipt, error) {
		var r driver.ShreddedReceipt
		var epoch int64
		err := row.Scan(scanID(&r.TenantID), scanID(&r.ID), scanID(&r.ConversationID), &epoch)
		r.KeyEpoch = uint32(epoch)
		return r, err
	})
}
