package sqlite

import (
	"context"
	"fmt"
	"time"

	"github.com/convstore/convstore"
	"github.com/convstore/convstore/driver"
)

const deletionColumns = `id, tenant_id, conversation_id, conversation_seq, actor_key_id, door, request_id, client_request_id,
	messages, artifacts, attachments, attachment_bytes, created_at, key_epoch, shredded_at, purged_at, policy, erasure_id, restorable_until, restored_at, kind`

const auditColumns = `id, tenant_id, action, actor_key_id, door, request_id, client_request_id, conversation_id, target_id, created_at, policy`

var (
	qDeletionInsert = stmt(`INSERT INTO deletions (` + deletionColumns + `) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`)
	qDeletionGet    = stmt(`SELECT ` + deletionColumns + ` FROM deletions WHERE tenant_id = ? AND id = ?`)
	qDeletionList   = pagedStmt(`SELECT ` + deletionColumns + ` FROM deletions WHERE tenant_id = ?`)
	qDeletionByConv = pagedStmt(`SELECT ` + deletionColumns + ` FROM deletions WHERE tenant_id = ? AND conversation_id = ?`)
	qDeletionByJob  = pagedStmt(`SELECT ` + deletionColumns + ` FROM deletions WHERE tenant_id = ? AND erasure_id = ?`)
	qDeletionByBoth = pagedStmt(`SELECT ` + deletionColumns + ` FROM deletions WHERE tenant_id = ? AND erasure_id = ? AND conversation_id = ?`)
	qAuditInsert    = stmt(`INSERT INTO audit_log (` + auditColumns + `) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`)
	qAuditGet       = stmt(`SELECT ` + auditColumns + ` FROM audit_log WHERE tenant_id = ? AND id = ?`)
	qAuditList      = pagedStmt(`SELECT ` + auditColumns + ` FROM audit_log WHERE tenant_id = ?`)
)

func scanDeletion(row scanner) (*convstore.Deletion, error) {
	d := &convstore.Deletion{}
	err := row.Scan(idScan{&d.ID}, idScan{&d.TenantID}, idScan{&d.ConversationID}, &d.ConversationSeq,
		idScan{&d.ActorKeyID}, &d.Door, &d.RequestID, &d.ClientRequestID, &d.Messages, &d.Artifacts, &d.Attachments,
		&d.AttachmentBytes, timeScan{&d.CreatedAt}, epochScan{&d.KeyEpoch}, nullTimeScan{&d.ShreddedAt}, nullTimeScan{&d.PurgedAt}, &d.Policy, idScan{&d.ErasureID},
		nullTimeScan{&d.RestorableUntil}, nullTimeScan{&d.RestoredAt}, &d.Kind)
	if err != nil {
		return nil, err
	}
	return d, nil
}

func scanAudit(row scanner) (*convstore.AuditEntry, error) {
	e := &convstore.AuditEntry{}
	err := row.Scan(idScan{&e.ID}, idScan{&e.TenantID}, &e.Action, idScan{&e.ActorKeyID}, &e.Door, &e.RequestID,
		&e.ClientRequestID, idScan{&e.ConversationID}, idScan{&e.TargetID}, timeScan{&e.CreatedAt}, &e.Policy)
	if err != nil {
		return nil, err
	}
	return e, nil
}

func (o *ops) DeletionInsert(ctx context.Context, d *convstore.Deletion) error {
	_, err := o.run.exec(ctx, qDeletionInsert, idArg(d.ID), idArg(d.TenantID), idArg(d.ConversationID), d.ConversationSeq,
		nullID(d.ActorKeyID), d.Door, d.RequestID, d.ClientRequestID, d.Messages, d.Artifacts, d.Attachments,
		d.AttachmentBytes, micros(d.CreatedAt), nullEpoch(d.KeyEpoch), nullMicros(d.ShreddedAt), nullMicros(d.PurgedAt), d.Policy, nullID(d.ErasureID),
		nullMicros(d.RestorableUntil), nullMicros(d.RestoredAt), d.Kind)
	return o.db.translate(err)
}

func (o *ops) DeletionGet(ctx context.Context, tenantID, id convstore.ID) (*convstore.Deletion, error) {
	return one(ctx, o, qDeletionGet, []any{idArg(tenantID), idArg(id)}, "deletion", scanDeletion)
}

func (o *ops) DeletionList(ctx context.Context, p *driver.DeletionListParams) ([]*convstore.Deletion, error) {
	stmts, args := qDeletionList, []any{idArg(p.TenantID)}
	if !p.ConversationID.IsZero() {
		stmts, args = qDeletionByConv, append(args, idArg(p.ConversationID))
	}
	if !p.ErasureID.IsZero() {
		stmts, args = qDeletionByJob, []any{idArg(p.TenantID), idArg(p.ErasureID)}
		if !p.ConversationID.IsZero() {
			stmts, args = qDeletionByBoth, append(args, idArg(p.ConversationID))
		}
	}
	if p.Door == "" && p.Policy == "" && p.State == "" {
		q, args := stmts.sql(p.Page, args)
		return list(ctx, o, q, args, scanDeletion)
	}
	// Rarer filters: a dynamic statement over the tenant's receipts.
	base := `SELECT ` + deletionColumns + ` FROM deletions WHERE tenant_id = ?`
	args = []any{idArg(p.TenantID)}
	for _, f := range []struct {
		col string
		v   any
		set bool
	}{{"conversation_id", idArg(p.ConversationID), !p.ConversationID.IsZero()}, {"erasure_id", idArg(p.ErasureID), !p.ErasureID.IsZero()},
		{"door", p.Door, p.Door != ""}, {"policy", p.Policy, p.Policy != ""}} {
		if f.set {
			base += ` AND ` + f.col + ` = ?`
			args = append(args, f.v)
		}
	}
	if cond, now := deletionStateCond(p.State); cond != "" {
		base += ` AND ` + cond
		if now {
			args = append(args, micros(p.Now))
		}
	}
	q, args := pageOf(base, p.Page, args)
	return list(ctx, o, q, args, scanDeletion)
}

// deletionStateCond is the condition of a receipt state filter, and
// whether it takes the time as an argument.
func deletionStateCond(state string) (string, bool) {
	open := `EXISTS (SELECT 1 FROM confirmations c WHERE c.deletion_id = deletions.id AND c.` + confirmationOpen
	switch state {
	case convstore.DeletionPending:
		return open + `)`, false
	case convstore.DeletionOverdue:
		return open + ` AND c.due_at <= ?)`, true
	case convstore.DeletionComplete:
		return `NOT ` + open + `)`, false
	}
	return "", false
}

func (o *ops) AuditInsert(ctx context.Context, e *convstore.AuditEntry) error {
	_, err := o.run.exec(ctx, qAuditInsert, idArg(e.ID), idArg(e.TenantID), e.Action, nullID(e.ActorKeyID), e.Door,
		e.RequestID, e.ClientRequestID, nullID(e.ConversationID), nullID(e.TargetID), micros(e.CreatedAt), e.Policy)
	return o.db.translate(err)
}

func (o *ops) AuditGet(ctx context.Context, tenantID, id convstore.ID) (*convstore.AuditEntry, error) {
	return one(ctx, o, qAuditGet, []any{idArg(tenantID), idArg(id)}, "audit entry", scanAudit)
}

func (o *ops) AuditList(ctx context.Context, p *driver.AuditListParams) ([]*convstore.AuditEntry, error) {
	if !p.Filtered() {
		q, args := qAuditList.sql(p.Page, []any{idArg(p.TenantID)})
		return list(ctx, o, q, args, scanAudit)
	}
	// Filtered: a dynamic statement over the tenant's entries. A family
	// of actions ("erasure.") is the range of actions it prefixes:
	// [prefix, prefix with its dot turned into the next byte, "/").
	base := `SELECT ` + auditColumns + ` FROM audit_log WHERE tenant_id = ?`
	args := []any{idArg(p.TenantID)}
	and := func(cond string, vs ...any) {
		base += ` AND ` + cond
		args = append(args, vs...)
	}
	switch {
	case p.ActionFamily():
		and(`action >= ? AND action < ?`, p.Action, p.Action[:len(p.Action)-1]+"/")
	case p.Action != "":
		and(`action = ?`, p.Action)
	}
	for _, f := range []struct {
		col string
		id  convstore.ID
	}{{"actor_key_id", p.ActorKeyID}, {"conversation_id", p.ConversationID}, {"target_id", p.TargetID}} {
		if !f.id.IsZero() {
			and(f.col+` = ?`, idArg(f.id))
		}
	}
	if p.Door != "" {
		and(`door = ?`, p.Door)
	}
	if p.CreatedAfter != nil {
		and(`created_at > ?`, micros(*p.CreatedAfter))
	}
	if p.CreatedBefore != nil {
		and(`created_at < ?`, micros(*p.CreatedBefore))
	}
	q, args := pageOf(base, p.Page, args)
	return list(ctx, o, q, args, scanAudit)
}

// nullEpoch stores a key epoch, NULL for none (0).
func nullEpoch(e uint32) any {
	if e == 0 {
		return nil
	}
	return int64(e)
}

// epochScan scans a key epoch, NULL as 0.
type epochScan struct{ dst *uint32 }

func (s epochScan) Scan(v any) error {
	switch n := v.(type) {
	case nil:
		*s.dst = 0
	case int64:
		*s.dst = uint32(n)
	default:
		return fmt.Errorf("sqlite: cannot scan %T into a key epoch", v)
	}
	return nil
}

var qDeletionMarkShredded = stmt(`UPDATE deletions SET shredded_at = ?
	WHERE shredded_at IS NULL AND key_epoch IS NOT NULL AND key_epoch <= ? RETURNING tenant_id, id, conversation_id, key_epoch`)

func (o *ops) DeletionMarkShredded(ctx context.Context, throughEpoch uint32, at time.Time) ([]driver.ShreddedReceipt, error) {
	rows, err := o.run.query(ctx, qDeletionMarkShredded, micros(at), int64(throughEpoch))
	if err != nil {
		return nil, o.db.translate(err)
	}
	defer rows.Close()
	out := []driver.ShreddedReceipt{}
	for rows.Next() {
		var r driver.ShreddedReceipt
		var epoch int64
		if err := rows.Scan(idScan{&r.TenantID}, idScan{&r.ID}, idScan{&r.ConversationID}, &epoch); err != nil {
			return nil, o.db.translate(err)
		}
		r.KeyEpoch = uint32(epoch)
		out = append(out, r)
	}
	return out, o.db.translate(rows.Err())
}
