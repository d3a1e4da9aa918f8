package sqlite

import (
	"context"
	"database/sql"
	"strconv"
	"strings"
	"time"
)

// Sweep tuning.
const (
	sweepBatch   = 100         // removals per write transaction
	retryDelay   = time.Minute // before a failed blob removal is tried again
	removalQueue = 1024        // removal jobs waiting for the background worker
)

// queueRemovals records that keys' blobs are to be removed at due. It runs
// inside the caller's transaction, so the queue entry commits together with
// whatever made (or may make) the blob unreferenced.
func queueRemovals(ctx context.Context, tx *sql.Tx, now, due time.Time, keys []string) error {
	for _, k := range keys {
		_, err := tx.ExecContext(ctx, `INSERT INTO blob_removals (blob_key, due_at, created_at) VALUES (?, ?, ?)
			ON CONFLICT (blob_key) DO UPDATE SET due_at = min(due_at, excluded.due_at)`, k, micros(due), micros(now))
		if err != nil {
			return translate(err)
		}
	}
	return nil
}

// removeLater hands blobs whose removal a committed transaction queued
// (due now) to the background worker, so that the caller is answered
// without waiting for them. If the worker's queue is full, the sweeper
// removes them.
func (db *DB) removeLater(keys []string) {
	if !db.removals.Enqueue(keys) {
		db.logger.Info("sqlite: background blob removal busy; left for the sweeper", "keys", len(keys))
	}
}

// WaitBlobRemovals returns once the blob removals that commits handed to
// the background before the call are done (or have failed and been left to
// the sweeper), or with ctx's error. Tests use it before they look at the
// blob store.
func (db *DB) WaitBlobRemovals(ctx context.Context) error {
	return db.removals.Wait(ctx)
}

// removeBlobs removes blobs whose removal was queued (due now) by a
// committed transaction, then their queue entries. It runs on the
// background worker, with a context that ends when the store closes.
// Failures are logged and left queued for SweepBlobs: the delete that
// queued them has committed and was answered.
func (db *DB) removeBlobs(ctx context.Context, keys []string) {
	done := keys[:0:0]
	for _, k := range keys {
		if err := db.blobs.Delete(ctx, k); err != nil {
			if ctx.Err() == nil {
				db.logger.Warn("sqlite: blob removal failed; left for the sweeper", "blob_key", k, "error", err)
			}
			continue
		}
		done = append(done, k)
	}
	db.forgetRemovals(ctx, done)
}

// forgetRemovals deletes the queue entries of blobs already removed. If that
// fails, the sweeper later removes the (already missing) blobs again, which
// is harmless.
func (db *DB) forgetRemovals(ctx context.Context, keys []string) {
	if len(keys) == 0 {
		return
	}
	err := db.write(ctx, func(ctx context.Context, tx *sql.Tx, now time.Time) error {
		_, err := tx.ExecContext(ctx, `DELETE FROM blob_removals WHERE blob_key IN (`+placeholders(len(keys))+`)`, strArgs(keys)...)
		return translate(err)
	})
	if err != nil && ctx.Err() == nil {
		db.logger.Warn("sqlite: clearing blob removals failed; left for the sweeper", "keys", len(keys), "error", err)
	}
}

// SweepBlobs removes the blob of every queued removal that is due and drops
// its queue entry, returning how many it removed. It repairs a crash between
// a delete's commit and its blob removal, and uploads abandoned mid-way.
//
// Each batch holds the write transaction while it removes files: an upload
// whose intent has just come due may be committing its record, and holding
// the writer makes the two exclusive (the upload then finds its intent gone
// and fails instead of pointing at removed bytes). A blob that cannot be
// removed is logged and retried after retryDelay.
func (db *DB) SweepBlobs(ctx context.Context) (int, error) {
	total := 0
	for {
		n := 0
		err := db.write(ctx, func(ctx context.Context, tx *sql.Tx, now time.Time) error {
			rows, err := tx.QueryContext(ctx, `SELECT blob_key FROM blob_removals WHERE due_at <= ?
				ORDER BY due_at LIMIT `+strconv.Itoa(sweepBatch), micros(now))
			if err != nil {
				return translate(err)
			}
			keys, err := scanStrings(rows)
			if err != nil {
				return err
			}
			n = len(keys)
			for _, k := range keys {
				if err := db.blobs.Delete(ctx, k); err != nil {
					db.logger.Warn("sqlite: sweeping a blob failed; will retry", "blob_key", k, "error", err)
					_, err = tx.ExecContext(ctx, `UPDATE blob_removals SET due_at = ? WHERE blob_key = ?`, micros(now.Add(retryDelay)), k)
				} else {
					total++
					_, err = tx.ExecContext(ctx, `DELETE FROM blob_removals WHERE blob_key = ?`, k)
				}
				if err != nil {
					return translate(err)
				}
			}
			return nil
		})
		if err != nil {
			return total, err
		}
		if n < sweepBatch {
			return total, nil
		}
	}
}

// RunSweeper calls SweepBlobs and SweepAccessTokens every interval until
// ctx ends, logging failures. The server runs it for the life of the store.
func (db *DB) RunSweeper(ctx context.Context, interval time.Duration) {
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			if n, err := db.SweepBlobs(ctx); err != nil && ctx.Err() == nil {
				db.logger.Error("sqlite: blob sweep failed", "error", err)
			} else if n > 0 {
				db.logger.Info("sqlite: swept blobs", "removed", n)
			}
			db.sweepAccessTokensLogged(ctx)
		}
	}
}

// SweepOrphans removes every blob that no attachment references and no
// queued removal covers (an intent of an upload in progress, or a removal
// SweepBlobs will do), returning how many it removed. The queue makes such
// blobs impossible; this is a second line of defence against bugs and
// hand-edited databases. A blob that cannot be removed is logged and
// skipped; only listing the store or querying the database fails it.
//
// It is safe while uploads run: an upload's intent commits before its blob
// is written, so a key listed here is checked against a snapshot that
// already holds its intent or its record.
func (db *DB) SweepOrphans(ctx context.Context) (int, error) {
	var keys []string
	if err := db.blobs.Keys(ctx, func(k string) error { keys = append(keys, k); return nil }); err != nil {
		return 0, err
	}
	removed := 0
	for len(keys) > 0 {
		batch := keys[:min(len(keys), sweepBatch)]
		keys = keys[len(batch):]
		known := map[string]bool{}
		err := db.read(ctx, func(tx *sql.Tx) error {
			in := placeholders(len(batch))
			rows, err := tx.QueryContext(ctx, `SELECT blob_key FROM attachments WHERE blob_key IN (`+in+`)
				UNION SELECT blob_key FROM blob_removals WHERE blob_key IN (`+in+`)`,
				append(strArgs(batch), strArgs(batch)...)...)
			if err != nil {
				return translate(err)
			}
			found, err := scanStrings(rows)
			for _, k := range found {
				known[k] = true
			}
			return err
		})
		if err != nil {
			return removed, err
		}
		for _, k := range batch {
			if known[k] {
				continue
			}
			if err := db.blobs.Delete(ctx, k); err != nil {
				db.logger.Warn("sqlite: removing an orphaned blob failed", "blob_key", k, "error", err)
				continue
			}
			db.logger.Warn("sqlite: removed an orphaned blob", "blob_key", k)
			removed++
		}
	}
	return removed, nil
}

func scanStrings(rows *sql.Rows) ([]string, error) {
	defer rows.Close()
	var out []string
	for rows.Next() {
		var s string
		if err := rows.Scan(&s); err != nil {
			return nil, err
		}
		out = append(out, s)
	}
	return out, translate(rows.Err())
}

func placeholders(n int) string {
	return strings.TrimSuffix(strings.Repeat("?,", n), ",")
}

func strArgs(ss []string) []any {
	out := make([]any, len(ss))
	for i, s := range ss {
		out[i] = s
	}
	return out
}
