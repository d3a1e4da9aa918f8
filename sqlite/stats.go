package sqlite

import (
	"sync/atomic"
	"time"
)

// ObserveWriterWait makes fn receive, for every write, how long it waited
// before the single writer took it up (queued behind the commit under way):
// the queueing that the one-writer design trades for never seeing
// SQLITE_BUSY. fn must be fast; nil stops the reports.
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
