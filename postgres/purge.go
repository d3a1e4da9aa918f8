package postgres

import (
	"context"
	"errors"
	"slices"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/convstore/convstore"
	"github.com/convstore/convstore/driver"
)

// live is the condition that keeps a child row out of every read once its
// conversation (tenant and id given as SQL expressions) is marked deleted.
// Given parameters it is uncorrelated, evaluated once per statement; given
// columns, a primary-key lookup per row.
func live(tenant, conversation string) string {
	return ` AND EXISTS (SELECT 1 FROM conversations AS lc WHERE lc.tenant_id = ` + tenant + ` AND lc.id = ` + conversation +
		` AND NOT lc.deleted)`
}

const purgeJobColumns = `conversation_id, tenant_id, deletion_id, created_at, lease_owner, lease_until, due_at`

func scanPurgeJob(row pgx.Row) (*driver.PurgeJob, error) {
	j := &driver.PurgeJob{}
	var until, due *time.Time
	if err := row.Scan(scanID(&j.ConversationID), scanID(&j.TenantID), scanID(&j.DeletionID), &j.CreatedAt,
		scanID(&j.LeaseOwner), &until, &due); err != nil {
		return nil, err
	}
	if due != nil {
		j.DueAt = due.UTC()
	}
	j.CreatedAt = j.CreatedAt.UTC()
	if until != nil {
		j.LeaseUntil = until.UTC()
	}
	return j, nil
}

func (o *ops) PurgeJobInsert(ctx context.Context, j *driver.PurgeJob) error {
	_, err := o.exec(ctx, `INSERT INTO purge_jobs (conversation_id, tenant_id, deletion_id, created_at, due_at) VALUES ($1, $2, $3, $4, $5)`,
		idBytes(j.ConversationID), idBytes(j.TenantID), idBytes(j.DeletionID), j.CreatedAt, dueArg(j.DueAt))
	return err
}

// PurgeJobClaim takes the free jobs with FOR UPDATE SKIP LOCKED, so two
// nodes claiming at once never take one job, and leases them: the lease,
// not the row lock, is what keeps the job this purger's across the many
// short transactions of its batches; once it ends (the node died) any
// node claims the job again and resumes where the rows left off.
func (o *ops) PurgeJobClaim(ctx context.Context, p *driver.PurgeJobClaimParams) ([]*driver.PurgeJob, error) {
	jobs, err := list(ctx, o, newQuery(`
		UPDATE purge_jobs SET lease_owner = $1, lease_until = $2 WHERE conversation_id IN (
			SELECT conversation_id FROM purge_jobs WHERE (lease_until IS NULL OR lease_until <= $3) AND (due_at IS NULL OR due_at <= $3)
			ORDER BY created_at LIMIT $4 FOR UPDATE SKIP LOCKED)
		RETURNING `+purgeJobColumns, idBytes(p.Owner), p.Until, p.Now, p.Limit), scanPurgeJob)
	slices.SortFunc(jobs, func(a, b *driver.PurgeJob) int { return a.CreatedAt.Compare(b.CreatedAt) })
	return jobs, err
}

func (o *ops) PurgeJobRenew(ctx context.Context, conversationID, owner convstore.ID, until time.Time) error {
	return o.execOne(ctx, "purge job", `UPDATE purge_jobs SET lease_until = $1 WHERE conversation_id = $2 AND lease_owner = $3`,
		until, idBytes(conversationID), idBytes(owner))
}

// PurgeBatch deletes by primary key, through the conversation's
// primary-key range from After. The conversation's row goes last, once
// nothing refers to it, so its cascade has nothing left to do.
func (o *ops) PurgeBatch(ctx context.Context, p *driver.PurgeBatchParams) (*driver.PurgeBatchResult, error) {
	var deleted bool
	err := o.q.QueryRow(ctx, `SELECT deleted FROM conversations WHERE tenant_id = $1 AND id = $2`,
		idBytes(p.TenantID), idBytes(p.ConversationID)).Scan(&deleted)
	if err != nil {
		if err := o.notFound(ctx, err, "conversation"); convstore.ErrorCode(err) == convstore.ENOTFOUND {
			return &driver.PurgeBatchResult{Done: true}, nil
		} else {
			return nil, err
		}
	}
	if !deleted {
		return nil, convstore.NotFound("conversation")
	}
	r := &driver.PurgeBatchResult{Last: p.After}
	n, err := o.purgeRows(ctx, p, p.Limit, r)
	if err != nil {
		return nil, err
	}
	if r.Last == p.After {
		r.Last = convstore.ID{}
	}
	if n == p.Limit {
		return r, nil
	}
	if _, err := o.exec(ctx, `DELETE FROM conversations WHERE tenant_id = $1 AND id = $2 AND deleted`,
		idBytes(p.TenantID), idBytes(p.ConversationID)); err != nil {
		return nil, err
	}
	r.Done = true
	return r, nil
}

// purgeRows removes up to limit child rows of the conversation
// (attachments, artifacts, then messages from r.Last on), adds them to r
// and returns how many it removed.
func (o *ops) purgeRows(ctx context.Context, p *driver.PurgeBatchParams, limit int, r *driver.PurgeBatchResult) (int, error) {
	t, c := idBytes(p.TenantID), idBytes(p.ConversationID)
	keys, err := o.column(ctx, `DELETE FROM attachments WHERE tenant_id = $1 AND conversation_id = $2 AND id IN
		(SELECT id FROM attachments WHERE tenant_id = $1 AND conversation_id = $2 LIMIT $3) RETURNING blob_key`, t, c, limit)
	if err != nil {
		return 0, err
	}
	r.BlobKeys = append(r.BlobKeys, keys...)
	done := len(keys)
	if done < limit {
		n, err := o.exec(ctx, `DELETE FROM artifacts WHERE tenant_id = $1 AND conversation_id = $2 AND id IN
			(SELECT id FROM artifacts WHERE tenant_id = $1 AND conversation_id = $2 LIMIT $3)`, t, c, limit-done)
		if err != nil {
			return 0, err
		}
		done += int(n)
	}
	if done < limit {
		// Messages go in id order from the last batch's end: the index
		// entries of the rows earlier batches deleted stay until vacuum,
		// and a scan from the range's start would walk them every time.
		var last []byte
		err := o.q.QueryRow(ctx, `SELECT id FROM
			(SELECT id FROM messages WHERE tenant_id = $1 AND conversation_id = $2 AND id > $3 ORDER BY id LIMIT $4) AS b
			ORDER BY id DESC LIMIT 1`, t, c, idBytes(r.Last), limit-done).Scan(&last)
		switch {
		case errors.Is(err, pgx.ErrNoRows):
		case err != nil:
			return 0, o.fail(ctx, err)
		default:
			n, err := o.exec(ctx, `DELETE FROM messages WHERE tenant_id = $1 AND conversation_id = $2 AND id > $3 AND id <= $4`,
				t, c, idBytes(r.Last), last)
			if err != nil {
				return 0, err
			}
			copy(r.Last[:], last)
			done += int(n)
		}
	}
	r.Rows += done
	return done, nil
}

func (o *ops) PurgeJobFinish(ctx context.Context, j *driver.PurgeJob, at time.Time) error {
	if _, err := o.exec(ctx, `DELETE FROM purge_jobs WHERE conversation_id = $1`, idBytes(j.ConversationID)); err != nil {
		return err
	}
	_, err := o.exec(ctx, `UPDATE deletions SET purged_at = $1 WHERE tenant_id = $2 AND id = $3 AND purged_at IS NULL`,
		at, idBytes(j.TenantID), idBytes(j.DeletionID))
	return err
}

func (o *ops) PurgeJobCount(ctx context.Context) (int64, error) {
	var n int64
	if err := o.q.QueryRow(ctx, `SELECT count(*) FROM purge_jobs`).Scan(&n); err != nil {
		return 0, o.fail(ctx, err)
	}
	return n, nil
}

// dueArg stores a job's due time, NULL when zero (due at once).
func dueArg(t time.Time) *time.Time {
	if t.IsZero() {
		return nil
	}
	return &t
}
