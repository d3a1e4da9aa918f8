package sqlite

import (
	"context"
	"os"
	"slices"
	"time"

	"github.com/convstore/convstore"
	"github.com/convstore/convstore/driver"
)

// live is the condition that keeps a child row of table out of every read
// once its conversation is marked deleted: a primary-key lookup of the
// parent per row read, so no read has to know about the purge.
func live(table string) string {
	return ` AND EXISTS (SELECT 1 FROM conversations AS lc WHERE lc.id = ` + table + `.conversation_id AND lc.deleted = 0)`
}

const purgeJobColumns = `conversation_id, tenant_id, deletion_id, created_at, lease_owner, lease_until, due_at`

var (
	qPurgeJobInsert = stmt(`INSERT INTO purge_jobs (conversation_id, tenant_id, deletion_id, created_at, due_at) VALUES (?, ?, ?, ?, ?)`)
	qPurgeJobClaim  = stmt(`UPDATE purge_jobs SET lease_owner = ?1, lease_until = ?2 WHERE conversation_id IN
		(SELECT conversation_id FROM purge_jobs WHERE (lease_until IS NULL OR lease_until <= ?3) AND (due_at IS NULL OR due_at <= ?3) ORDER BY created_at LIMIT ?4)
		RETURNING ` + purgeJobColumns)
	qPurgeJobRenew  = stmt(`UPDATE purge_jobs SET lease_until = ? WHERE conversation_id = ? AND lease_owner = ?`)
	qPurgeJobDelete = stmt(`DELETE FROM purge_jobs WHERE conversation_id = ?`)
	qPurgeJobCount  = stmt(`SELECT count(*) FROM purge_jobs`)
	qDeletionPurged = stmt(`UPDATE deletions SET purged_at = ? WHERE tenant_id = ? AND id = ? AND purged_at IS NULL`)
	qPurgeState     = stmt(`SELECT deleted FROM conversations WHERE tenant_id = ? AND id = ?`)
	// Each batch takes rows by rowid through the conversation's index: a
	// range search that starts where the last batch's deletes ended.
	qPurgeAttachments = stmt(`DELETE FROM attachments WHERE rowid IN
		(SELECT rowid FROM attachments WHERE tenant_id = ? AND conversation_id = ? LIMIT ?) RETURNING blob_key`)
	qPurgeArtifacts = stmt(`DELETE FROM artifacts WHERE rowid IN
		(SELECT rowid FROM artifacts WHERE tenant_id = ? AND conversation_id = ? LIMIT ?)`)
	// Messages go in id order from the last batch's end: the batch's
	// last id first, then one range delete.
	qPurgeMessagesEnd = stmt(`SELECT max(id), count(*) FROM
		(SELECT id FROM messages WHERE tenant_id = ?1 AND conversation_id = ?2 AND id > ?3 ORDER BY id LIMIT ?4)`)
	qPurgeMessages     = stmt(`DELETE FROM messages WHERE tenant_id = ? AND conversation_id = ? AND id > ? AND id <= ?`)
	qPurgeConversation = stmt(`DELETE FROM conversations WHERE tenant_id = ? AND id = ? AND deleted = 1`)
)

func scanPurgeJob(row scanner) (*driver.PurgeJob, error) {
	j := &driver.PurgeJob{}
	var until, due *int64
	if err := row.Scan(idScan{&j.ConversationID}, idScan{&j.TenantID}, idScan{&j.DeletionID}, timeScan{&j.CreatedAt},
		idScan{&j.LeaseOwner}, &until, &due); err != nil {
		return nil, err
	}
	if due != nil {
		j.DueAt = time.UnixMicro(*due).UTC()
	}
	if until != nil {
		j.LeaseUntil = time.UnixMicro(*until).UTC()
	}
	return j, nil
}

func (o *ops) PurgeJobInsert(ctx context.Context, j *driver.PurgeJob) error {
	_, err := o.run.exec(ctx, qPurgeJobInsert, idArg(j.ConversationID), idArg(j.TenantID), idArg(j.DeletionID), micros(j.CreatedAt), dueArg(j.DueAt))
	return o.db.translate(err)
}

// PurgeJobClaim needs no row locks: with one writer, a claim's UPDATE is
// the only one running.
func (o *ops) PurgeJobClaim(ctx context.Context, p *driver.PurgeJobClaimParams) ([]*driver.PurgeJob, error) {
	jobs, err := list(ctx, o, qPurgeJobClaim, []any{idArg(p.Owner), micros(p.Until), micros(p.Now), p.Limit}, scanPurgeJob)
	slices.SortFunc(jobs, func(a, b *driver.PurgeJob) int { return a.CreatedAt.Compare(b.CreatedAt) })
	return jobs, err
}

func (o *ops) PurgeJobRenew(ctx context.Context, conversationID, owner convstore.ID, until time.Time) error {
	res, err := o.run.exec(ctx, qPurgeJobRenew, micros(until), idArg(conversationID), idArg(owner))
	return o.db.affectedOne(res, err, "purge job")
}

func (o *ops) PurgeBatch(ctx context.Context, p *driver.PurgeBatchParams) (*driver.PurgeBatchResult, error) {
	var deleted bool
	err := o.run.queryRow(ctx, qPurgeState, idArg(p.TenantID), idArg(p.ConversationID)).Scan(&deleted)
	if err != nil {
		if err := o.db.notFound(err, "conversation"); convstore.ErrorCode(err) == convstore.ENOTFOUND {
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
	// Nothing is left under the row: it goes, and by the schema's cascade
	// whatever index rows remain (and any message before After, which no
	// write can add to a deleted conversation: a resumed job starts from
	// zero).
	if _, err := o.run.exec(ctx, qPurgeConversation, idArg(p.TenantID), idArg(p.ConversationID)); err != nil {
		return nil, o.db.translate(err)
	}
	r.Done = true
	return r, nil
}

// purgeRows removes up to limit child rows of the conversation, messages
// from r.Last on, adds them to r and returns how many it removed.
func (o *ops) purgeRows(ctx context.Context, p *driver.PurgeBatchParams, limit int, r *driver.PurgeBatchResult) (int, error) {
	rows, err := o.run.query(ctx, qPurgeAttachments, idArg(p.TenantID), idArg(p.ConversationID), limit)
	if err != nil {
		return 0, o.db.translate(err)
	}
	n := 0
	for rows.Next() {
		var k string
		if err := rows.Scan(&k); err != nil {
			rows.Close()
			return 0, o.db.translate(err)
		}
		r.BlobKeys = append(r.BlobKeys, k)
		n++
	}
	if err := rows.Close(); err != nil {
		return 0, o.db.translate(err)
	}
	if err := rows.Err(); err != nil {
		return 0, o.db.translate(err)
	}
	if n < limit {
		res, err := o.run.exec(ctx, qPurgeArtifacts, idArg(p.TenantID), idArg(p.ConversationID), limit-n)
		if err != nil {
			return 0, o.db.translate(err)
		}
		a, err := res.RowsAffected()
		if err != nil {
			return 0, o.db.translate(err)
		}
		n += int(a)
	}
	if n < limit {
		var last []byte
		var m int
		err := o.run.queryRow(ctx, qPurgeMessagesEnd, idArg(p.TenantID), idArg(p.ConversationID), idArg(r.Last), limit-n).Scan(&last, &m)
		if err != nil {
			return 0, o.db.translate(err)
		}
		if m > 0 {
			if _, err := o.run.exec(ctx, qPurgeMessages, idArg(p.TenantID), idArg(p.ConversationID), idArg(r.Last), last); err != nil {
				return 0, o.db.translate(err)
			}
			copy(r.Last[:], last)
			n += m
		}
	}
	r.Rows += n
	return n, nil
}

func (o *ops) PurgeJobFinish(ctx context.Context, j *driver.PurgeJob, at time.Time) error {
	if _, err := o.run.exec(ctx, qPurgeJobDelete, idArg(j.ConversationID)); err != nil {
		return o.db.translate(err)
	}
	_, err := o.run.exec(ctx, qDeletionPurged, micros(at), idArg(j.TenantID), idArg(j.DeletionID))
	return o.db.translate(err)
}

func (o *ops) PurgeJobCount(ctx context.Context) (int64, error) {
	var n int64
	err := o.run.queryRow(ctx, qPurgeJobCount).Scan(&n)
	return n, o.db.translate(err)
}

var (
	_ driver.Checkpointer = (*DB)(nil)
	_ driver.OneWriter    = (*DB)(nil)
)

// OneWriter marks the single-writer engine (driver.OneWriter).
func (db *DB) OneWriter() {}

// Checkpoint runs wal_checkpoint(PASSIVE) on a reader connection, beside
// the writer rather than on it: it copies the WAL's frames back into the
// database (and fsyncs both) while writes go on, and once it has copied
// them all the next write starts the WAL over from its beginning, so the
// file stays the size of what was written between two checkpoints. Frames
// a reader's older snapshot still needs are left for the next one. On the
// writer (TRUNCATE, as until issue 11's tuning) every foreground write
// waited for the copy and its fsyncs.
func (db *DB) Checkpoint(ctx context.Context) (int64, error) {
	var size int64
	if fi, err := os.Stat(db.path + "-wal"); err == nil {
		size = fi.Size()
	}
	var busy, logged, moved int
	err := db.r.QueryRowContext(ctx, `PRAGMA wal_checkpoint(PASSIVE)`).Scan(&busy, &logged, &moved)
	return size, db.translate(err)
}

// dueArg stores a job's due time, NULL when zero (due at once).
func dueArg(t time.Time) any {
	if t.IsZero() {
		return nil
	}
	return t.UnixMicro()
}
