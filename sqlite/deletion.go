package sqlite

import (
	"context"
	"database/sql"
	"time"

	"github.com/convstore/convstore"
)

// DeleteConversation permanently deletes a conversation. One write
// transaction counts what goes, queues the attachments' blob keys for
// removal, deletes the conversation row (the schema cascades to messages,
// artifacts and attachment records), and writes the receipt and the audit
// entry. The call returns once that commit is durable; the blobs are
// removed after it in the background, and one that cannot be is logged and
// left queued for SweepBlobs rather than failing a delete that is done.
func (db *DB) DeleteConversation(ctx context.Context, tenantID, id convstore.ID, p convstore.DeleteParams) (*convstore.Deletion, error) {
	var d *convstore.Deletion
	var keys []string
	err := db.write(ctx, func(ctx context.Context, tx *sql.Tx, now time.Time) error {
		d = &convstore.Deletion{
			TenantID:       tenantID,
			ConversationID: id,
			ActorKeyID:     p.ActorKeyID,
			Door:           p.Door,
			RequestID:      p.RequestID,
			CreatedAt:      now,
		}
		d.ClientRequestID = p.ClientRequestID
		err := tx.QueryRowContext(ctx, `SELECT seq,
			(SELECT count(*) FROM messages WHERE tenant_id = ?1 AND conversation_id = ?2),
			(SELECT count(*) FROM artifacts WHERE tenant_id = ?1 AND conversation_id = ?2),
			(SELECT count(*) FROM attachments WHERE tenant_id = ?1 AND conversation_id = ?2),
			(SELECT coalesce(sum(size), 0) FROM attachments WHERE tenant_id = ?1 AND conversation_id = ?2)
			FROM conversations WHERE tenant_id = ?1 AND id = ?2`, idArg(tenantID), idArg(id)).
			Scan(&d.ConversationSeq, &d.Messages, &d.Artifacts, &d.Attachments, &d.AttachmentBytes)
		if err != nil {
			return notFound(err, "conversation")
		}
		if d.Attachments > 0 {
			if keys, err = attachmentKeys(ctx, tx, tenantID, id); err != nil {
				return err
			}
			if err := queueRemovals(ctx, tx, now, now, keys); err != nil {
				return err
			}
		}
		res, err := tx.ExecContext(ctx, `DELETE FROM conversations WHERE tenant_id = ? AND id = ?`, idArg(tenantID), idArg(id))
		if err := affectedOne(res, err, "conversation"); err != nil {
			return err
		}
		d.ID = convstore.NewID()
		if _, err := tx.ExecContext(ctx, `INSERT INTO deletions
			(id, tenant_id, conversation_id, conversation_seq, actor_key_id, door, request_id, client_request_id,
			 messages, artifacts, attachments, attachment_bytes, created_at)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
			idArg(d.ID), idArg(tenantID), idArg(id), d.ConversationSeq, nullID(d.ActorKeyID), d.Door, d.RequestID, d.ClientRequestID,
			d.Messages, d.Artifacts, d.Attachments, d.AttachmentBytes, micros(now)); err != nil {
			return translate(err)
		}
		return insertAudit(ctx, tx, now, tenantID, convstore.AuditConversationDelete, id, d.ID, p)
	})
	if err != nil {
		return nil, err
	}
	db.removeLater(keys)
	return d, nil
}

func attachmentKeys(ctx context.Context, tx *sql.Tx, tenantID, conversationID convstore.ID) ([]string, error) {
	rows, err := tx.QueryContext(ctx, `SELECT blob_key FROM attachments WHERE tenant_id = ? AND conversation_id = ?`,
		idArg(tenantID), idArg(conversationID))
	if err != nil {
		return nil, translate(err)
	}
	defer rows.Close()
	var keys []string
	for rows.Next() {
		var k string
		if err := rows.Scan(&k); err != nil {
			return nil, err
		}
		keys = append(keys, k)
	}
	return keys, translate(rows.Err())
}

// insertAudit records a destructive or administrative action in the
// caller's transaction: ids only, never content. conversationID is zero
// for actions on keys and tenants.
func insertAudit(ctx context.Context, tx *sql.Tx, now time.Time, tenantID convstore.ID, action string, conversationID, targetID convstore.ID, p convstore.DeleteParams) error {
	_, err := tx.ExecContext(ctx, `INSERT INTO audit_log
		(id, tenant_id, action, actor_key_id, door, request_id, client_request_id, conversation_id, target_id, created_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		idArg(convstore.NewID()), idArg(tenantID), action, nullID(p.ActorKeyID), p.Door, p.RequestID, p.ClientRequestID,
		nullID(conversationID), nullID(targetID), micros(now))
	return translate(err)
}

const deletionColumns = `id, tenant_id, conversation_id, conversation_seq, actor_key_id, door, request_id, client_request_id,
	messages, artifacts, attachments, attachment_bytes, created_at`

func scanDeletion(row interface{ Scan(...any) error }) (*convstore.Deletion, error) {
	d := &convstore.Deletion{}
	err := row.Scan(idScan{&d.ID}, idScan{&d.TenantID}, idScan{&d.ConversationID}, &d.ConversationSeq,
		idScan{&d.ActorKeyID}, &d.Door, &d.RequestID, &d.ClientRequestID, &d.Messages, &d.Artifacts, &d.Attachments,
		&d.AttachmentBytes, timeScan{&d.CreatedAt})
	if err != nil {
		return nil, err
	}
	return d, nil
}

// FindDeletionByID returns a receipt. ENOTFOUND if missing.
func (db *DB) FindDeletionByID(ctx context.Context, tenantID, id convstore.ID) (*convstore.Deletion, error) {
	d, err := scanDeletion(db.r.QueryRowContext(ctx, `SELECT `+deletionColumns+` FROM deletions
		WHERE tenant_id = ? AND id = ?`, idArg(tenantID), idArg(id)))
	if err != nil {
		return nil, notFound(err, "deletion")
	}
	return d, nil
}

// FindDeletions returns a page of receipts, newest first by default.
func (db *DB) FindDeletions(ctx context.Context, tenantID convstore.ID, f convstore.DeletionFilter) ([]*convstore.Deletion, bool, error) {
	if err := f.Normalize(convstore.OrderDesc); err != nil {
		return nil, false, err
	}
	q := `SELECT ` + deletionColumns + ` FROM deletions WHERE tenant_id = ?`
	args := []any{idArg(tenantID)}
	if !f.ConversationID.IsZero() {
		q += ` AND conversation_id = ?`
		args = append(args, idArg(f.ConversationID))
	}
	cond, pargs, tail := pageSQL(f.PageFilter)
	return queryPage(ctx, db.r, q+cond+tail, append(args, pargs...), f.Limit, scanDeletion)
}

const auditColumns = `id, tenant_id, action, actor_key_id, door, request_id, client_request_id, conversation_id, target_id, created_at`

func scanAudit(row interface{ Scan(...any) error }) (*convstore.AuditEntry, error) {
	e := &convstore.AuditEntry{}
	err := row.Scan(idScan{&e.ID}, idScan{&e.TenantID}, &e.Action, idScan{&e.ActorKeyID}, &e.Door, &e.RequestID, &e.ClientRequestID,
		idScan{&e.ConversationID}, idScan{&e.TargetID}, timeScan{&e.CreatedAt})
	if err != nil {
		return nil, err
	}
	return e, nil
}

// FindAuditEntries returns a page of audit entries, newest first by default.
func (db *DB) FindAuditEntries(ctx context.Context, tenantID convstore.ID, f convstore.AuditFilter) ([]*convstore.AuditEntry, bool, error) {
	if err := f.Normalize(convstore.OrderDesc); err != nil {
		return nil, false, err
	}
	cond, pargs, tail := pageSQL(f.PageFilter)
	return queryPage(ctx, db.r, `SELECT `+auditColumns+` FROM audit_log WHERE tenant_id = ?`+cond+tail,
		append([]any{idArg(tenantID)}, pargs...), f.Limit, scanAudit)
}
