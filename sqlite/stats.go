package sqlite

import (
	"context"
	"sync/atomic"
	"time"
)

// BlobRemovalQueue returns how many blob removals are queued and how many
// of them are due now (a due count that stays up means removals keep
// failing). It only reads, for metrics.
func (db *DB) BlobRemovalQueue(ctx context.Context) (due, total int64, err error) {
	err = db.r.QueryRowContext(ctx, `SELECT count(*), coalesce(sum(due_at <= ?), 0) FROM blob_removals`,
		micros(now())).Scan(&total, &due)
	return due, total, translate(err)
}

// ObserveWriterWait makes fn receive, for every write, how long it waited
// before the single writer took it up (queued behind the commit under way):
// the queueing that the one-writer design trades for never seeing
// SQLITE_BUSY. fn must
// be fast; nil stops the reports.
func (db *DB) ObserveWriterWait(fn func(time.Duration)) {
	if fn == nil {
		db.writerWait.fn.Store(nil)
		return
	}
	db.writerWait.fn.Store(&fn)
}

// writerWaitHook holds the ObserveWriterWait function.
type writerWaitHook struct {
	fn atomic.Pointer[func(time.Duration)]
}

// since reports the wait of a write that began waiting at start.
func (h *writerWaitHook) since(start time.Time) {
	if fn := h.fn.Load(); fn != nil {
		(*fn)(time.Since(start))
	}
}
