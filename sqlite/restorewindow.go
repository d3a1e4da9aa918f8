package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"time"

	"github.com/convstore/convstore"
	"github.com/convstore/convstore/driver"
)

var (
	// qConvHide is qConvMarkDeleted keeping the external id: the
	// conversation may come back with it.
	qConvHide = stmt(`UPDATE conversations SET deleted = 1
		WHERE tenant_id = ? AND id = ? AND deleted = 0 RETURNING seq, message_count`)
	// A job due after now and not leased is still within its window: no
	// purger has started on it (a claim needs due_at <= now).
	qRestoreJob = stmt(`DELETE FROM purge_jobs WHERE tenant_id = ? AND conversation_id = ? AND due_at > ?
		AND lease_owner IS NULL RETURNING deletion_id`)
	qConvUnhide       = stmt(`UPDATE conversations SET deleted = 0 WHERE tenant_id = ? AND id = ? AND deleted = 1`)
	qTombstoneDelete  = stmt(`DELETE FROM tombstones WHERE tenant_id = ? AND conversation_id = ?`)
	qDeletionRestored = stmt(`UPDATE deletions SET restored_at = ? WHERE tenant_id = ? AND id = ?`)
	qConvFreeExternal = stmt(`UPDATE conversations SET external_id = NULL, external_idx = NULL, ` + keptClear + ` WHERE tenant_id = ? AND id = ? AND deleted = 1`)
	qDeletionKeyEpoch = stmt(`UPDATE deletions SET key_epoch = ? WHERE tenant_id = ? AND id = ?`)
	qPurgeJobWindowed = stmt(`SELECT 1 FROM purge_jobs WHERE tenant_id = ? AND conversation_id = ? AND due_at IS NOT NULL`)
	qPurgeJobDue      = stmt(`UPDATE purge_jobs SET due_at = NULL WHERE conversation_id = ?`)
	qRestoreWindowGet = stmt(`SELECT days FROM restore_windows WHERE tenant_id = ?`)
	qRestoreWindowSet = stmt(`INSERT INTO restore_windows (tenant_id, days) VALUES (?1, ?2) ON CONFLICT (tenant_id) DO UPDATE SET days = ?2`)
)

func (o *ops) ConversationHide(ctx context.Context, tenantID, id convstore.ID) (*driver.ConversationDeleted, error) {
	d := &driver.ConversationDeleted{}
	err := o.run.queryRow(ctx, qConvHide, idArg(tenantID), idArg(id)).Scan(&d.Seq, &d.Messages)
	if err != nil {
		return nil, o.db.notFound(err, "conversation")
	}
	err = o.run.queryRow(ctx, qConvDeletedCounts, idArg(tenantID), idArg(id)).Scan(&d.Artifacts, &d.Attachments, &d.AttachmentBytes)
	if err != nil {
		return nil, o.db.translate(err)
	}
	return d, nil
}

func (o *ops) ConversationRestore(ctx context.Context, tenantID, id convstore.ID, now time.Time) (convstore.ID, error) {
	var deletionID convstore.ID
	err := o.run.queryRow(ctx, qRestoreJob, idArg(tenantID), idArg(id), micros(now)).Scan(idScan{&deletionID})
	if err != nil {
		return convstore.ID{}, o.db.notFound(err, "conversation")
	}
	res, err := o.run.exec(ctx, qConvUnhide, idArg(tenantID), idArg(id))
	if err := o.db.affectedOne(res, err, "conversation"); err != nil {
		return convstore.ID{}, err
	}
	if _, err := o.run.exec(ctx, qTombstoneDelete, idArg(tenantID), idArg(id)); err != nil {
		return convstore.ID{}, o.db.translate(err)
	}
	_, err = o.run.exec(ctx, qDeletionRestored, micros(now), idArg(tenantID), idArg(deletionID))
	return deletionID, o.db.translate(err)
}

func (o *ops) PurgeJobExpire(ctx context.Context, j *driver.PurgeJob) error {
	epoch, err := o.conversationKeyDelete(ctx, j.TenantID, j.ConversationID)
	if err != nil {
		return err
	}
	if _, err := o.run.exec(ctx, qMetaIndexDelete, idArg(j.TenantID), idArg(j.ConversationID)); err != nil {
		return o.db.translate(err)
	}
	if _, err := o.run.exec(ctx, qConvFreeExternal, idArg(j.TenantID), idArg(j.ConversationID)); err != nil {
		return o.db.translate(err)
	}
	// A second run finds no key (epoch 0) and keeps the first's epoch.
	if epoch != 0 {
		if _, err := o.run.exec(ctx, qDeletionKeyEpoch, int64(epoch), idArg(j.TenantID), idArg(j.DeletionID)); err != nil {
			return o.db.translate(err)
		}
	}
	_, err = o.run.exec(ctx, qPurgeJobDue, idArg(j.ConversationID))
	return o.db.translate(err)
}

func (o *ops) RestoreWindowGet(ctx context.Context, tenantID convstore.ID) (int, error) {
	var days int
	err := o.run.queryRow(ctx, qRestoreWindowGet, idArg(tenantID)).Scan(&days)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, nil // never set: off
	}
	return days, o.db.translate(err)
}

func (o *ops) RestoreWindowSet(ctx context.Context, tenantID convstore.ID, days int) error {
	_, err := o.run.exec(ctx, qRestoreWindowSet, idArg(tenantID), days)
	return o.db.translate(err)
}

// PurgeJobLockWindowed needs no lock: the write transaction is the only
// writer until it ends.
func (o *ops) PurgeJobLockWindowed(ctx context.Context, tenantID, conversationID convstore.ID) error {
	return o.exists(ctx, qPurgeJobWindowed, "conversation", idArg(tenantID), idArg(conversationID))
}
