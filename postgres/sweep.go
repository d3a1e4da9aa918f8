package postgres

import (
	"context"
	"errors"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
)

// Blob removal tuning.
const (
	// uploadTimeout is how long an upload may take before the sweeper
	// treats its blob as abandoned (a crash mid-upload) and removes it.
	uploadTimeout = time.Hour
	// retryDelay is how long a blob whose removal failed waits before the
	// sweeper tries it again.
	retryDelay = time.Minute
	// removalTimeout bounds a removal done right after a commit, which
	// does not stop when the caller's context ends.
	removalTimeout = time.Minute
	// abandonTimeout bounds the clean-up of an upload that failed, which
	// runs when the upload's own request ends, whatever ended it.
	abandonTimeout = 10 * time.Second
	// removalQueue is how many removal jobs wait for the background
	// worker; beyond that they are left to the sweeper.
	removalQueue = 1024
)

// queueBlobRemovals records in tx that keys' blobs are to be removed after
// delay (0: now). It runs in the transaction that makes (or may make) the
// blobs unreferenced, so the queue entry commits with it. Due times are the
// database's clock, which every node shares.
func queueBlobRemovals(ctx context.Context, tx pgx.Tx, keys []string, delay time.Duration) error {
	if len(keys) == 0 {
		return nil
	}
	_, err := tx.Exec(ctx, `
		INSERT INTO blob_removals (blob_key, due_at)
		SELECT k, now() + $2 * interval '1 microsecond' FROM unnest($1::text[]) AS k
		ON CONFLICT (blob_key) DO UPDATE SET due_at = LEAST(blob_removals.due_at, excluded.due_at)`,
		keys, delay.Microseconds())
	return err
}

// queueUploadIntent records in tx that key's blob is to be removed an
// upload timeout from now unless the upload's record commits first (which
// deletes this row), naming this node as the upload's owner.
func (db *DB) queueUploadIntent(ctx context.Context, tx pgx.Tx, key string) error {
	_, err := tx.Exec(ctx, `
		INSERT INTO blob_removals (blob_key, due_at, owner)
		VALUES ($1, now() + $2 * interval '1 microsecond', $3)`,
		key, uploadTimeout.Microseconds(), db.nodeID)
	return err
}

// reclaimUploads makes the upload intents of nodes that are gone due now,
// returning how many, for the sweep that follows to remove their bytes. A
// node is gone when no connection holds its advisory lock (see session);
// the intents of live nodes, uploads under way, are never touched.
func (db *DB) reclaimUploads(ctx context.Context) (int64, error) {
	// pg_locks shows a one-argument advisory lock's bigint key split in
	// two oids: the high half in classid, the low half in objid.
	tag, err := db.writes.Exec(ctx, `
		UPDATE blob_removals SET due_at = now(), owner = NULL
		WHERE owner IS NOT NULL AND owner <> $1 AND due_at > now()
		AND NOT EXISTS (
			SELECT 1 FROM pg_locks l
			WHERE l.locktype = 'advisory' AND l.objsubid = 1 AND l.granted
			AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database())
			AND ((l.classid::bigint << 32) | l.objid::bigint) = blob_removals.owner)`, db.nodeID)
	if err != nil {
		return 0, db.translate(ctx, err)
	}
	return tag.RowsAffected(), nil
}

// claimKey marks a context as running inside the transaction that holds
// the claim on blob removals, for the built-in BlobStore to join.
type claimKey struct{}

type claim struct {
	pool *pgxpool.Pool
	tx   pgx.Tx
}

// withClaim returns ctx carrying tx of pool.
func withClaim(ctx context.Context, pool *pgxpool.Pool, tx pgx.Tx) context.Context {
	return context.WithValue(ctx, claimKey{}, claim{pool, tx})
}

// claimTx returns the claim transaction ctx carries if it belongs to pool
// (a BlobStore over another pool, perhaps another database, must not use
// it), or nil.
func claimTx(ctx context.Context, pool *pgxpool.Pool) pgx.Tx {
	if c, ok := ctx.Value(claimKey{}).(claim); ok && c.pool == pool {
		return c.tx
	}
	return nil
}

// claimDue claims up to limit due removals, skipping rows another
// transaction (another node's sweep or removal) holds.
func claimDue(ctx context.Context, tx pgx.Tx, limit int) ([]string, error) {
	rows, err := tx.Query(ctx, `
		SELECT blob_key FROM blob_removals WHERE due_at <= now()
		ORDER BY due_at LIMIT $1 FOR UPDATE SKIP LOCKED`, limit)
	if err != nil {
		return nil, err
	}
	return pgx.CollectRows(rows, pgx.RowTo[string])
}

// claimKeys claims the given removals, skipping rows another transaction
// holds (that one will remove them).
func claimKeys(ctx context.Context, tx pgx.Tx, keys []string) ([]string, error) {
	rows, err := tx.Query(ctx, `SELECT blob_key FROM blob_removals WHERE blob_key = ANY ($1) FOR UPDATE SKIP LOCKED`, keys)
	if err != nil {
		return nil, err
	}
	return pgx.CollectRows(rows, pgx.RowTo[string])
}

// removeClaimed removes the blobs of claimed removals and deletes their
// queue rows, in tx, which holds the claim. Each blob is removed in a
// savepoint, so one failure does not undo the others. A failed removal is
// logged and left queued: due again after retryDelay when sweeping, due at
// once otherwise (so the next sweep repairs it).
func (db *DB) removeClaimed(ctx context.Context, tx pgx.Tx, keys []string, sweeping bool) (int, error) {
	var done, failed []string
	for _, k := range keys {
		sp, err := tx.Begin(ctx)
		if err != nil {
			return 0, err
		}
		if err := db.blobs.Delete(withClaim(ctx, db.pool, sp), k); err != nil {
			db.logger.WarnContext(ctx, "postgres: blob removal failed; left for the sweeper", "blob_key", k, "error", err)
			if err := sp.Rollback(ctx); err != nil {
				return 0, err
			}
			failed = append(failed, k)
			continue
		}
		if err := sp.Commit(ctx); err != nil {
			return 0, err
		}
		done = append(done, k)
	}
	if len(done) > 0 {
		if _, err := tx.Exec(ctx, `DELETE FROM blob_removals WHERE blob_key = ANY ($1)`, done); err != nil {
			return 0, err
		}
	}
	if sweeping && len(failed) > 0 {
		_, err := tx.Exec(ctx, `UPDATE blob_removals SET due_at = now() + $2 * interval '1 microsecond' WHERE blob_key = ANY ($1)`,
			failed, retryDelay.Microseconds())
		if err != nil {
			return 0, err
		}
	}
	return len(done), nil
}

// removeLater hands blobs whose removal a committed transaction queued
// (due now) to the background worker, so that the caller is answered as
// soon as its commit is done. If the worker's queue is full, the sweeper
// removes them.
func (db *DB) removeLater(ctx context.Context, keys []string) {
	if !db.removals.Enqueue(keys) {
		db.logger.InfoContext(ctx, "postgres: background blob removal busy; left for the sweeper", "keys", len(keys))
	}
}

// WaitBlobRemovals returns once the blob removals that commits handed to
// the background before the call are done (or have failed and been left
// to the sweeper), or with ctx's error. Tests use it before they look at
// the blob store.
func (db *DB) WaitBlobRemovals(ctx context.Context) error {
	return db.removals.Wait(ctx)
}

// removeBlobs removes blobs whose removal a committed transaction queued
// (due now), then their queue rows. It runs on the background worker,
// with a context that ends when the store closes, each job bounded by
// removalTimeout. Failures are logged and left queued for the sweeper.
// Rows another node is already removing are skipped.
func (db *DB) removeBlobs(ctx context.Context, keys []string) {
	ctx, cancel := context.WithTimeout(ctx, removalTimeout)
	defer cancel()
	err := db.tx(ctx, func(tx pgx.Tx) error {
		claimed, err := claimKeys(ctx, tx, keys)
		if err != nil {
			return err
		}
		_, err = db.removeClaimed(ctx, tx, claimed, false)
		return err
	})
	if err != nil && !errors.Is(err, context.Canceled) {
		db.logger.WarnContext(ctx, "postgres: removing blobs after commit failed; left for the sweeper", "keys", len(keys), "error", err)
	}
}

// SweepBlobs removes the blob of every due removal and its queue row,
// returning how many blobs it removed. It finishes removals a crash (or a
// failing blob store) interrupted after a delete's commit, and uploads
// abandoned midway.
//
// Each batch is claimed with SELECT … FOR UPDATE SKIP LOCKED and its
// blobs removed before the claiming transaction commits, so two nodes
// sweeping at once never remove the same blob twice, and the batch of a
// node that dies mid-sweep is released with its connection and swept
// again by the next. (SQLite has one writer and needs no claim.) A blob
// that cannot be removed is logged and tried again after retryDelay.
func (db *DB) SweepBlobs(ctx context.Context) (int, error) {
	db.abandoned.retry(ctx, db)
	total := 0
	for {
		claimed, removed := 0, 0
		err := db.tx(ctx, func(tx pgx.Tx) error {
			keys, err := claimDue(ctx, tx, db.sweepBatch)
			if err != nil {
				return err
			}
			claimed = len(keys)
			removed, err = db.removeClaimed(ctx, tx, keys, true)
			return err
		})
		if err != nil {
			return total, err
		}
		total += removed
		if claimed < db.sweepBatch {
			return total, nil
		}
	}
}

// RunSweeper calls SweepBlobs and SweepAccessTokens every interval until
// ctx ends, logging failures. A server runs it for the life of the store,
// on every node.
func (db *DB) RunSweeper(ctx context.Context, interval time.Duration) {
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			if n, err := db.SweepBlobs(ctx); err != nil && ctx.Err() == nil {
				db.logger.ErrorContext(ctx, "postgres: blob sweep failed", "error", err)
			} else if n > 0 {
				db.logger.InfoContext(ctx, "postgres: swept blobs", "removed", n)
			}
			db.sweepAccessTokensLogged(ctx)
		}
	}
}

// SweepOrphans removes every blob that no attachment references and no
// queued removal covers, returning how many it removed: a second line of
// defence against bugs and hand-edited databases, since the queue makes
// such blobs impossible. It is safe while uploads run: an upload's intent
// commits before its blob is written.
//
// Unlike the SQLite engine, Open does not run it: with many nodes, every
// start would list the whole blob store. Operators run it when they wish.
func (db *DB) SweepOrphans(ctx context.Context) (int, error) {
	var keys []string
	if err := db.blobs.Keys(ctx, func(k string) error { keys = append(keys, k); return nil }); err != nil {
		return 0, err
	}
	removed := 0
	for len(keys) > 0 {
		batch := keys[:min(len(keys), db.sweepBatch)]
		keys = keys[len(batch):]
		rows, err := db.reads.Query(ctx, `
			SELECT blob_key FROM attachments WHERE blob_key = ANY ($1)
			UNION SELECT blob_key FROM blob_removals WHERE blob_key = ANY ($1)`, batch)
		if err != nil {
			return removed, db.translate(ctx, err)
		}
		found, err := pgx.CollectRows(rows, pgx.RowTo[string])
		if err != nil {
			return removed, db.translate(ctx, err)
		}
		known := make(map[string]bool, len(found))
		for _, k := range found {
			known[k] = true
		}
		for _, k := range batch {
			if known[k] {
				continue
			}
			if err := db.blobs.Delete(ctx, k); err != nil {
				db.logger.WarnContext(ctx, "postgres: removing an orphaned blob failed", "blob_key", k, "error", err)
				continue
			}
			db.logger.WarnContext(ctx, "postgres: removed an orphaned blob", "blob_key", k)
			removed++
		}
	}
	return removed, nil
}
