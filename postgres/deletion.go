package postgres

import (
	"context"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/convstore/convstore"
)

const deletionColumns = `tenant_id, id, conversation_id, conversation_seq, actor_key_id, door, request_id, client_request_id,
	messages, artifacts, attachments, attachment_bytes, created_at`

// scanDeletion scans a row of deletionColumns.
func scanDeletion(row pgx.Row) (*convstore.Deletion, error) {
	d := &convstore.Deletion{}
	err := row.Scan(scanID(&d.TenantID), scanID(&d.ID), scanID(&d.ConversationID), &d.ConversationSeq, scanID(&d.ActorKeyID),
		&d.Door, &d.RequestID, &d.ClientRequestID, &d.Messages, &d.Artifacts, &d.Attachments, &d.AttachmentBytes, &d.CreatedAt)
	if err != nil {
		return nil, err
	}
	d.CreatedAt = d.CreatedAt.UTC()
	return d, nil
}

const auditColumns = `tenant_id, id, action, actor_key_id, door, request_id, client_request_id, conversation_id, target_id, created_at`

// scanAudit scans a row of auditColumns.
func scanAudit(row pgx.Row) (*convstore.AuditEntry, error) {
	e := &convstore.AuditEntry{}
	err := row.Scan(scanID(&e.TenantID), scanID(&e.ID), &e.Action, scanID(&e.ActorKeyID), &e.Door, &e.RequestID, &e.ClientRequestID,
		scanID(&e.ConversationID), scanID(&e.TargetID), &e.CreatedAt)
	if err != nil {
		return nil, err
	}
	e.CreatedAt = e.CreatedAt.UTC()
	return e, nil
}

// DeleteConversation permanently deletes a conversation with everything
// in it, writing a receipt and an audit entry in the same transaction.
//
// It first locks the conversation row with SELECT … FOR UPDATE. Of several
// concurrent deletes, in this process or another, exactly one gets the
// lock on an existing row; the others wait, then find the row gone and
// return ENOTFOUND. Writes to the conversation's children take a
// conflicting lock on the same row first (see CreateMessages and
// lockConversation), so once the lock is held nothing can be added or
// removed and the receipt's counts, taken after it in the same
// transaction, are exactly what the cascade deletes. The attachments'
// blob keys are queued in blob_removals in the same transaction; the call
// returns once the commit is done, and their bytes are removed in the
// background. If that removal fails or the process dies first, the
// sweeper finishes it.
func (db *DB) DeleteConversation(ctx context.Context, tenantID, id convstore.ID, p convstore.DeleteParams) (*convstore.Deletion, error) {
	if err := checkDeleteParams(p); err != nil {
		return nil, err
	}
	var d *convstore.Deletion
	var keys []string
	err := db.txOn(ctx, tenantID, id, func(tx pgx.Tx) error {
		d = &convstore.Deletion{
			ID: db.newID(), TenantID: tenantID, ConversationID: id, ActorKeyID: p.ActorKeyID,
			Door: p.Door, RequestID: p.RequestID, ClientRequestID: p.ClientRequestID, CreatedAt: now(),
		}
		err := tx.QueryRow(ctx, `SELECT seq FROM conversations WHERE tenant_id = $1 AND id = $2 FOR UPDATE`,
			idArg(tenantID), idArg(id)).Scan(&d.ConversationSeq)
		if err != nil {
			return notFound(err, "conversation")
		}
		err = tx.QueryRow(ctx, `
			SELECT (SELECT count(*) FROM messages WHERE tenant_id = $1 AND conversation_id = $2),
			       (SELECT count(*) FROM artifacts WHERE tenant_id = $1 AND conversation_id = $2),
			       (SELECT count(*) FROM attachments WHERE tenant_id = $1 AND conversation_id = $2),
			       (SELECT coalesce(sum(size), 0) FROM attachments WHERE tenant_id = $1 AND conversation_id = $2),
			       (SELECT coalesce(array_agg(blob_key), '{}') FROM attachments WHERE tenant_id = $1 AND conversation_id = $2)`,
			idArg(tenantID), idArg(id)).Scan(&d.Messages, &d.Artifacts, &d.Attachments, &d.AttachmentBytes, &keys)
		if err != nil {
			return err
		}
		if err := queueBlobRemovals(ctx, tx, keys, 0); err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `DELETE FROM conversations WHERE tenant_id = $1 AND id = $2`, idArg(tenantID), idArg(id)); err != nil {
			return err
		}
		_, err = tx.Exec(ctx, `
			INSERT INTO deletions (tenant_id, id, conversation_id, conversation_seq, actor_key_id, door, request_id,
				client_request_id, messages, artifacts, attachments, attachment_bytes, created_at)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)`,
			idArg(tenantID), d.ID[:], idArg(id), d.ConversationSeq, idArg(p.ActorKeyID), p.Door, p.RequestID,
			p.ClientRequestID, d.Messages, d.Artifacts, d.Attachments, d.AttachmentBytes, d.CreatedAt)
		if err != nil {
			return err
		}
		return db.insertAudit(ctx, tx, tenantID, convstore.AuditConversationDelete, id, d.ID, p, d.CreatedAt)
	})
	if err != nil {
		return nil, err
	}
	db.removeLater(ctx, keys)
	return d, nil
}

// insertAudit writes one audit entry in tx: ids only, never content.
// conversationID is zero for actions on keys and tenants.
func (db *DB) insertAudit(ctx context.Context, tx pgx.Tx, tenantID convstore.ID, action string, conversationID, targetID convstore.ID, p convstore.DeleteParams, t time.Time) error {
	if err := checkDeleteParams(p); err != nil {
		return err
	}
	id := db.newID()
	_, err := tx.Exec(ctx, `
		INSERT INTO audit_log (tenant_id, id, action, actor_key_id, door, request_id, client_request_id,
			conversation_id, target_id, created_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)`,
		idArg(tenantID), id[:], action, idArg(p.ActorKeyID), p.Door, p.RequestID, p.ClientRequestID,
		idArg(conversationID), idArg(targetID), t)
	return err
}

// checkDeleteParams applies the engine's NUL check to the request's
// door and request ids.
func checkDeleteParams(p convstore.DeleteParams) error {
	if err := checkText("door", p.Door); err != nil {
		return err
	}
	if err := checkText("request_id", p.RequestID); err != nil {
		return err
	}
	return checkText("client_request_id", p.ClientRequestID)
}

// FindDeletionByID returns a receipt. ENOTFOUND if missing.
func (db *DB) FindDeletionByID(ctx context.Context, tenantID, id convstore.ID) (*convstore.Deletion, error) {
	d, err := scanDeletion(db.reads.QueryRow(ctx,
		`SELECT `+deletionColumns+` FROM deletions WHERE tenant_id = $1 AND id = $2`, idArg(tenantID), idArg(id)))
	if err != nil {
		return nil, db.translate(ctx, notFound(err, "deletion"))
	}
	return d, nil
}

// FindDeletions returns a page of receipts, newest first by default.
func (db *DB) FindDeletions(ctx context.Context, tenantID convstore.ID, f convstore.DeletionFilter) ([]*convstore.Deletion, bool, error) {
	if err := f.Normalize(convstore.OrderDesc); err != nil {
		return nil, false, err
	}
	q := newQuery(`SELECT ` + deletionColumns + ` FROM deletions WHERE tenant_id = $1`)
	q.args = append(q.args, idArg(tenantID))
	if !f.ConversationID.IsZero() {
		q.where("conversation_id = ?", f.ConversationID[:])
	}
	q.page(f.PageFilter)
	list, more, err := listPage(ctx, db.reads, q, f.Limit, scanDeletion)
	if err != nil {
		return nil, false, db.translate(ctx, err)
	}
	return list, more, nil
}

// FindAuditEntries returns a page of audit entries, newest first by
// default.
func (db *DB) FindAuditEntries(ctx context.Context, tenantID convstore.ID, f convstore.AuditFilter) ([]*convstore.AuditEntry, bool, error) {
	if err := f.Normalize(convstore.OrderDesc); err != nil {
		return nil, false, err
	}
	q := newQuery(`SELECT ` + auditColumns + ` FROM audit_log WHERE tenant_id = $1`)
	q.args = append(q.args, idArg(tenantID))
	q.page(f.PageFilter)
	list, more, err := listPage(ctx, db.reads, q, f.Limit, scanAudit)
	if err != nil {
		return nil, false, db.translate(ctx, err)
	}
	return list, more, nil
}
