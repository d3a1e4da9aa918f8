package postgres

import (
	"context"
	"time"

	"github.com/convstore/convstore/driver"
)

// BlobRemovalQueue records removals in one statement (the keys as one
// array). An upload's intent records this node as its owner (see
// session), so that BlobRemovalReclaimUploads on another node can tell
// the intents of a node that died mid-upload from those of live ones.
func (o *ops) BlobRemovalQueue(ctx context.Context, p *driver.BlobRemovalQueueParams) error {
	if len(p.Keys) == 0 {
		return nil
	}
	var owner *int64
	if p.Upload {
		owner = &o.db.nodeID
	}
	_, err := o.exec(ctx, `
		INSERT INTO blob_removals (blob_key, due_at, created_at, owner)
		SELECT k, $2, $3, $4 FROM unnest($1::text[]) AS k
		ON CONFLICT (blob_key) DO UPDATE SET due_at = LEAST(blob_removals.due_at, excluded.due_at)`,
		p.Keys, p.DueAt, p.Now, owner)
	return err
}

func (o *ops) BlobRemovalForget(ctx context.Context, keys []string) (int, error) {
	if len(keys) == 0 {
		return 0, nil
	}
	n, err := o.exec(ctx, `DELETE FROM blob_removals WHERE blob_key = ANY ($1::text[])`, keys)
	return int(n), err
}

// BlobRemovalClaimDue claims with FOR UPDATE SKIP LOCKED: two nodes
// sweeping at once never claim one entry, and the claim of a node that
// dies mid-sweep goes with its connection, for the next sweep to take.
func (o *ops) BlobRemovalClaimDue(ctx context.Context, now time.Time, limit int) ([]string, error) {
	return o.column(ctx, `
		SELECT blob_key FROM blob_removals WHERE due_at <= $1
		ORDER BY due_at LIMIT $2 FOR UPDATE SKIP LOCKED`, now, limit)
}

// BlobRemovalClaim skips the entries another transaction holds: that one
// (a sweep, or another node's removal) removes them.
func (o *ops) BlobRemovalClaim(ctx context.Context, keys []string) ([]string, error) {
	if len(keys) == 0 {
		return []string{}, nil
	}
	return o.column(ctx, `SELECT blob_key FROM blob_removals WHERE blob_key = ANY ($1::text[]) FOR UPDATE SKIP LOCKED`, keys)
}

func (o *ops) BlobRemovalReschedule(ctx context.Context, keys []string, due time.Time) error {
	if len(keys) == 0 {
		return nil
	}
	_, err := o.exec(ctx, `UPDATE blob_removals SET due_at = $2 WHERE blob_key = ANY ($1::text[])`, keys, due)
	return err
}

// BlobRemovalReclaimUploads makes due the upload intents of nodes that are
// gone: a node is gone when no session holds its advisory lock (see
// session; PostgreSQL releases it with the connection, however the node
// died). This node's intents, and those of live nodes, uploads under way,
// are never touched. The intents are not claimed here: the sweep that
// follows claims them with SKIP LOCKED like any due removal.
func (o *ops) BlobRemovalReclaimUploads(ctx context.Context, now time.Time) (int, error) {
	// pg_locks shows a one-argument advisory lock's bigint key split in
	// two oids: the high half in classid, the low half in objid.
	n, err := o.exec(ctx, `
		UPDATE blob_removals SET due_at = $2, owner = NULL
		WHERE owner IS NOT NULL AND owner <> $1 AND due_at > $2
		AND NOT EXISTS (
			SELECT 1 FROM pg_locks l
			WHERE l.locktype = 'advisory' AND l.objsubid = 1 AND l.granted
			AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database())
			AND ((l.classid::bigint << 32) | l.objid::bigint) = blob_removals.owner)`, o.db.nodeID, now)
	return int(n), err
}

func (o *ops) BlobKeysKnown(ctx context.Context, keys []string) ([]string, error) {
	if len(keys) == 0 {
		return []string{}, nil
	}
	return o.column(ctx, `
		SELECT blob_key FROM attachments WHERE blob_key = ANY ($1::text[])
		UNION SELECT blob_key FROM blob_removals WHERE blob_key = ANY ($1::text[])`, keys)
}

func (o *ops) BlobRemovalStats(ctx context.Context, now time.Time) (due, total int64, err error) {
	err = o.q.QueryRow(ctx, `SELECT count(*) FILTER (WHERE due_at <= $1), count(*) FROM blob_removals`, now).Scan(&due, &total)
	return due, total, o.fail(ctx, err)
}
