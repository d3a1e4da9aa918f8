package sqlite

import (
	"context"
	"time"

	"github.com/convstore/convstore/driver"
)

var (
	qRemovalQueue = stmt(`INSERT INTO blob_removals (blob_key, due_at, created_at) VALUES (?, ?, ?)
		ON CONFLICT (blob_key) DO UPDATE SET due_at = min(due_at, excluded.due_at)`)
	qRemovalForgetOne  = stmt(`DELETE FROM blob_removals WHERE blob_key = ?`)
	qRemovalDue        = stmt(`SELECT blob_key FROM blob_removals WHERE due_at <= ? ORDER BY due_at LIMIT ?`)
	qRemovalReschedule = stmt(`UPDATE blob_removals SET due_at = ? WHERE blob_key = ?`)
	qRemovalStats      = stmt(`SELECT count(*), coalesce(sum(due_at <= ?), 0) FROM blob_removals`)
)

// BlobRemovalQueue ignores p.Upload: the uploads of a SQLite database
// belong to the process that writes it, and the intents of one that died
// come due after their timeout (its partial files are removed when the
// blob store opens).
func (o *ops) BlobRemovalQueue(ctx context.Context, p *driver.BlobRemovalQueueParams) error {
	for _, k := range p.Keys {
		if _, err := o.run.exec(ctx, qRemovalQueue, k, micros(p.DueAt), micros(p.Now)); err != nil {
			return o.db.translate(err)
		}
	}
	return nil
}

func (o *ops) BlobRemovalForget(ctx context.Context, keys []string) (int, error) {
	if len(keys) == 0 {
		return 0, nil
	}
	q := qRemovalForgetOne
	if len(keys) > 1 {
		q = `DELETE FROM blob_removals WHERE blob_key IN (` + placeholders(len(keys)) + `)`
	}
	res, err := o.run.exec(ctx, q, strArgs(keys)...)
	n, err := o.db.rowsAffected(res, err)
	return int(n), err
}

// BlobRemovalClaimDue needs no lock to claim: the write transaction holds
// the only writer until it ends.
func (o *ops) BlobRemovalClaimDue(ctx context.Context, now time.Time, limit int) ([]string, error) {
	rows, err := o.run.query(ctx, qRemovalDue, micros(now), limit)
	if err != nil {
		return nil, o.db.translate(err)
	}
	keys, err := scanStrings(rows)
	return keys, o.db.translate(err)
}

// BlobRemovalClaim returns the keys still queued; see BlobRemovalClaimDue.
func (o *ops) BlobRemovalClaim(ctx context.Context, keys []string) ([]string, error) {
	if len(keys) == 0 {
		return []string{}, nil
	}
	rows, err := o.run.query(ctx, `SELECT blob_key FROM blob_removals WHERE blob_key IN (`+placeholders(len(keys))+`)`, strArgs(keys)...)
	if err != nil {
		return nil, o.db.translate(err)
	}
	found, err := scanStrings(rows)
	return found, o.db.translate(err)
}

func (o *ops) BlobRemovalReschedule(ctx context.Context, keys []string, due time.Time) error {
	for _, k := range keys {
		if _, err := o.run.exec(ctx, qRemovalReschedule, micros(due), k); err != nil {
			return o.db.translate(err)
		}
	}
	return nil
}

// BlobRemovalReclaimUploads has nothing to reclaim: see BlobRemovalQueue.
func (o *ops) BlobRemovalReclaimUploads(ctx context.Context, now time.Time) (int, error) {
	return 0, nil
}

func (o *ops) BlobKeysKnown(ctx context.Context, keys []string) ([]string, error) {
	if len(keys) == 0 {
		return []string{}, nil
	}
	in := placeholders(len(keys))
	rows, err := o.run.query(ctx, `SELECT blob_key FROM attachments WHERE blob_key IN (`+in+`)
		UNION SELECT blob_key FROM blob_removals WHERE blob_key IN (`+in+`)`,
		append(strArgs(keys), strArgs(keys)...)...)
	if err != nil {
		return nil, o.db.translate(err)
	}
	found, err := scanStrings(rows)
	return found, o.db.translate(err)
}

func (o *ops) BlobRemovalStats(ctx context.Context, now time.Time) (due, total int64, err error) {
	err = o.run.queryRow(ctx, qRemovalStats, micros(now)).Scan(&total, &due)
	return due, total, o.db.translate(err)
}
