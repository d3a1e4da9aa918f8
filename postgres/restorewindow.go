package postgres

import (
	"context"
	"errors"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/convstore/convstore"
	"github.com/convstore/convstore/driver"
)

// ConversationHide is ConversationDelete keeping the data key, the
// metadata index rows and the external id: the same FOR UPDATE lock
// first, so the counts are exactly what a later purge removes.
func (o *ops) ConversationHide(ctx context.Context, tenantID, id convstore.ID) (*driver.ConversationDeleted, error) {
	err := o.exists(ctx, "conversation", `SELECT 1 FROM conversations WHERE tenant_id = $1 AND id = $2 AND NOT deleted FOR UPDATE`,
		idArg(tenantID), idArg(id))
	if err != nil {
		return nil, err
	}
	d := &driver.ConversationDeleted{}
	err = o.q.QueryRow(ctx, `
		WITH gone AS (UPDATE conversations SET deleted = true
			WHERE tenant_id = $1 AND id = $2 RETURNING seq, message_count)
		SELECT gone.seq, gone.message_count,
		       (SELECT count(*) FROM artifacts WHERE tenant_id = $1 AND conversation_id = $2),
		       (SELECT count(*) FROM attachments WHERE tenant_id = $1 AND conversation_id = $2),
		       (SELECT coalesce(sum(size), 0) FROM attachments WHERE tenant_id = $1 AND conversation_id = $2)
		FROM gone`,
		idArg(tenantID), idArg(id)).Scan(&d.Seq, &d.Messages, &d.Artifacts, &d.Attachments, &d.AttachmentBytes)
	if err != nil {
		return nil, o.notFound(ctx, err, "conversation")
	}
	return d, nil
}

// ConversationRestore deletes the job first: a purger claims a job only
// once it is due (FOR UPDATE SKIP LOCKED), so a job due later and not
// leased is one no purger has started; the DELETE's row lock keeps a
// concurrent claim off it until this commits, after which it is gone.
func (o *ops) ConversationRestore(ctx context.Context, tenantID, id convstore.ID, now time.Time) (convstore.ID, error) {
	var deletionID convstore.ID
	err := o.q.QueryRow(ctx, `DELETE FROM purge_jobs WHERE tenant_id = $1 AND conversation_id = $2 AND due_at > $3
		AND lease_owner IS NULL RETURNING deletion_id`, idBytes(tenantID), idBytes(id), now).Scan(scanID(&deletionID))
	if err != nil {
		return convstore.ID{}, o.notFound(ctx, err, "conversation")
	}
	if err := o.execOne(ctx, "conversation", `UPDATE conversations SET deleted = false WHERE tenant_id = $1 AND id = $2 AND deleted`,
		idArg(tenantID), idArg(id)); err != nil {
		return convstore.ID{}, err
	}
	if _, err := o.exec(ctx, `DELETE FROM tombstones WHERE tenant_id = $1 AND conversation_id = $2`, idArg(tenantID), idArg(id)); err != nil {
		return convstore.ID{}, err
	}
	_, err = o.exec(ctx, `UPDATE deletions SET restored_at = $1 WHERE tenant_id = $2 AND id = $3`, now, idArg(tenantID), idArg(deletionID))
	return deletionID, err
}

func (o *ops) PurgeJobExpire(ctx context.Context, j *driver.PurgeJob) error {
	epoch, err := o.conversationKeyDelete(ctx, j.TenantID, j.ConversationID)
	if err != nil {
		return err
	}
	if _, err := o.exec(ctx, `DELETE FROM conversation_meta_index WHERE tenant_id = $1 AND conversation_id = $2`,
		idArg(j.TenantID), idArg(j.ConversationID)); err != nil {
		return err
	}
	if _, err := o.exec(ctx, `UPDATE conversations SET external_id = NULL, external_idx = NULL, `+keptClear+` WHERE tenant_id = $1 AND id = $2 AND deleted`,
		idArg(j.TenantID), idArg(j.ConversationID)); err != nil {
		return err
	}
	// A second run finds no key (epoch 0) and keeps the first's epoch.
	if epoch != 0 {
		if _, err := o.exec(ctx, `UPDATE deletions SET key_epoch = $1 WHERE tenant_id = $2 AND id = $3`,
			nullEpoch(epoch), idArg(j.TenantID), idArg(j.DeletionID)); err != nil {
			return err
		}
	}
	_, err = o.exec(ctx, `UPDATE purge_jobs SET due_at = NULL WHERE conversation_id = $1`, idBytes(j.ConversationID))
	return err
}

func (o *ops) RestoreWindowGet(ctx context.Context, tenantID convstore.ID) (int, error) {
	var days int
	err := o.q.QueryRow(ctx, `SELECT days FROM restore_windows WHERE tenant_id = $1`, idArg(tenantID)).Scan(&days)
	if errors.Is(err, pgx.ErrNoRows) {
		return 0, nil // never set: off
	}
	if err != nil {
		return 0, o.fail(ctx, err)
	}
	return days, nil
}

func (o *ops) RestoreWindowSet(ctx context.Context, tenantID convstore.ID, days int) error {
	_, err := o.exec(ctx, `INSERT INTO restore_windows (tenant_id, days) VALUES ($1, $2)
		ON CONFLICT (tenant_id) DO UPDATE SET days = EXCLUDED.days`, idArg(tenantID), days)
	return err
}

// PurgeJobLockWindowed locks the job's row: PurgeJobExpire's transaction
// renews that row's lease before it checks for holds, so a hold placed
// meanwhile is either seen by it or finds the key destroyed (due_at
// cleared, the row no longer matches) once it has waited.
func (o *ops) PurgeJobLockWindowed(ctx context.Context, tenantID, conversationID convstore.ID) error {
	return o.exists(ctx, "conversation", `SELECT 1 FROM purge_jobs WHERE tenant_id = $1 AND conversation_id = $2
		AND due_at IS NOT NULL FOR UPDATE`, idArg(tenantID), idArg(conversationID))
}
