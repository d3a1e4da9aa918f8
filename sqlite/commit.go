package sqlite

import (
	"context"
	"database/sql"
	sqldriver "database/sql/driver"
	"fmt"
	"runtime/debug"
	"sync"
	"sync/atomic"
	"time"

	"github.com/convstore/convstore/driver"
)

// maxBatch bounds the write transactions that share one commit: enough to
// absorb every request a busy server has waiting, few enough that the last
// of them is not kept long.
const maxBatch = 64

// writeFunc is the body of a write transaction. ctx is the caller's
// context without its cancellation: a statement interrupted by a cancelled
// caller would make SQLite roll back the whole transaction, which other
// callers' writes share (see committer). fn must assign its results rather
// than append to them.
type writeFunc func(ctx context.Context, tx *sql.Tx) error

// States of a writeReq.
const (
	reqQueued    int32 = iota
	reqRunning         // the committer took it: its caller waits for the outcome
	reqAbandoned       // its caller gave up first: it never runs
)

// writeReq is one caller's write transaction, waiting for the committer.
type writeReq struct {
	ctx   context.Context
	fn    writeFunc
	since time.Time // when the caller asked, for the writer-wait metric
	state atomic.Int32
	done  chan error // receives the outcome once
}

// backgroundWait is the longest a background write waits while foreground
// writes keep coming: past it, it runs before them, so a server that is
// never idle still purges, a batch at a time.
const backgroundWait = 100 * time.Millisecond

// committer runs every write transaction of the store on the single writer
// connection. Writes that arrive while a commit is under way wait and then
// share the next transaction (group commit): each runs inside a SAVEPOINT
// of its own, so one that fails is rolled back alone, and one COMMIT (one
// fsync of the WAL under synchronous=FULL) makes them all durable. Each
// caller is answered after that commit, never before.
//
// Background writes (the purge's batches, driver.WriteParams.Background)
// queue apart and give way: one runs only when no foreground write is
// queued (or it has waited backgroundWait), alone in its transaction, so
// an append never shares a commit with a purge batch or waits for more
// than the part of one that was under way when it arrived (PurgeBatch ends
// a batch early when a foreground write waits, or a read runs: DB.busy).
// Its commit does not fsync (see runBackground).
type committer struct {
	w         *sql.DB
	sync      string        // the writer's synchronous setting
	bgWait    time.Duration // backgroundWait
	maxBatch  int
	waited    func(since time.Time) // reports how long a write waited to run
	translate func(error) error     // the driver's error translation

	reqs chan *writeReq // foreground writes
	bg   chan *writeReq // background writes

	mu     sync.RWMutex // held for reading while a request is being sent
	closed bool
	stop   chan struct{} // closed by close: the loop answers what is left and exits
	exited chan struct{}
}

func newCommitter(w *sql.DB, sync string, maxBatch int, waited func(time.Time), translate func(error) error) *committer {
	c := &committer{
		w:         w,
		sync:      sync,
		bgWait:    backgroundWait,
		translate: translate,
		waited:    waited,
		maxBatch:  max(1, maxBatch),
		reqs:      make(chan *writeReq, max(1, maxBatch)),
		bg:        make(chan *writeReq, 1),
		stop:      make(chan struct{}),
		exited:    make(chan struct{}),
	}
	go c.loop()
	return c
}

// errClosed answers writes to a closed store.
func errClosed() error { return driver.ErrUnavailable() }

// write runs fn in a write transaction and returns once it has committed
// (nil) or failed. If ctx ends before fn has started, fn never runs and
// ctx's error is returned; once fn has started, write waits for the commit.
func (c *committer) write(ctx context.Context, fn writeFunc) error {
	return c.send(ctx, c.reqs, fn)
}

// writeBackground runs fn as write does, but as a background write (see
// committer): after the foreground writes queued, alone in its
// transaction, committed without an fsync.
func (c *committer) writeBackground(ctx context.Context, fn writeFunc) error {
	return c.send(ctx, c.bg, fn)
}

// waiting reports whether a foreground write is queued, for a background
// write to end early.
func (c *committer) waiting() bool { return len(c.reqs) > 0 }

func (c *committer) send(ctx context.Context, queue chan *writeReq, fn writeFunc) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	r := &writeReq{ctx: ctx, fn: fn, since: time.Now(), done: make(chan error, 1)}
	c.mu.RLock()
	if c.closed {
		c.mu.RUnlock()
		return errClosed()
	}
	select {
	case queue <- r:
		c.mu.RUnlock()
	case <-ctx.Done():
		c.mu.RUnlock()
		return ctx.Err()
	}
	select {
	case err := <-r.done:
		return err
	case <-ctx.Done():
		if r.state.CompareAndSwap(reqQueued, reqAbandoned) {
			return ctx.Err()
		}
		return <-r.done
	}
}

// close stops the loop after the batch in progress; writes still queued
// fail with EUNAVAILABLE.
func (c *committer) close() {
	c.mu.Lock()
	if c.closed {
		c.mu.Unlock()
		<-c.exited
		return
	}
	c.closed = true
	c.mu.Unlock()
	close(c.stop)
	<-c.exited
}

func (c *committer) loop() {
	defer close(c.exited)
	batch := make([]*writeReq, 0, c.maxBatch)
	var held *writeReq // a background write, waiting for the foreground ones
	for {
		if held == nil {
			select {
			case held = <-c.bg:
			default:
			}
		}
		if held != nil && time.Since(held.since) >= c.bgWait {
			c.runBackground(held)
			held = nil
			continue
		}
		select {
		case r := <-c.reqs:
			c.commit(c.drain(batch, r))
			continue
		default:
		}
		if held != nil {
			c.runBackground(held)
			held = nil
			continue
		}
		select {
		case r := <-c.reqs:
			c.commit(c.drain(batch, r))
		case r := <-c.bg:
			// Not yet: a foreground write may have come with it.
			held = r
		case <-c.stop:
			if held != nil {
				held.done <- errClosed()
			}
			for {
				select {
				case r := <-c.reqs:
					r.done <- errClosed()
				case r := <-c.bg:
					r.done <- errClosed()
				default:
					return
				}
			}
		}
	}
}

// drain returns batch holding r and the foreground writes queued after it.
func (c *committer) drain(batch []*writeReq, r *writeReq) []*writeReq {
	batch = append(batch[:0], r)
	for len(batch) < c.maxBatch {
		select {
		case r := <-c.reqs:
			batch = append(batch, r)
		default:
			return batch
		}
	}
	return batch
}

// runBackground runs a background write alone, committed under
// synchronous=NORMAL: in WAL mode that commit appends its frames without
// an fsync. Safe here because a background write is one that is redone if
// lost (a purge batch commits with its job's progress, so a batch lost to a
// power failure is purged again), and durable soon anyway: DB.Write fsyncs
// the WAL right after, from the caller's goroutine while the writer goes
// on; failing that, the next foreground commit's fsync covers its frames
// with its own, and a checkpoint fsyncs the WAL before it copies it. The
// connection returns to FULL after; if it cannot, it is dropped, and the
// pool opens a new one with the DSN's FULL.
func (c *committer) runBackground(r *writeReq) {
	// Not in the writer-wait metric: a background write waits by design.
	if !r.state.CompareAndSwap(reqQueued, reqRunning) {
		return
	}
	ctx := context.Background()
	conn, err := c.w.Conn(ctx)
	if err != nil {
		r.done <- c.translate(err)
		return
	}
	defer conn.Close()
	if c.sync == "FULL" {
		if _, err := conn.ExecContext(ctx, `PRAGMA synchronous = NORMAL`); err != nil {
			r.done <- c.translate(err)
			return
		}
		defer func() {
			if _, err := conn.ExecContext(ctx, `PRAGMA synchronous = FULL`); err != nil {
				conn.Raw(func(any) error { return sqldriver.ErrBadConn })
			}
		}()
	}
	tx, err := conn.BeginTx(ctx, nil)
	if err != nil {
		r.done <- c.translate(err)
		return
	}
	if err := call(r, tx); err != nil {
		tx.Rollback()
		r.done <- err
		return
	}
	r.done <- c.translate(tx.Commit())
}

// commit runs a batch of requests in one transaction. Requests whose
// callers gave up are skipped.
func (c *committer) commit(batch []*writeReq) {
	live := batch[:0]
	for _, r := range batch {
		if r.state.CompareAndSwap(reqQueued, reqRunning) {
			c.waited(r.since)
			live = append(live, r)
		}
	}
	for len(live) > 0 {
		live = c.run(live)
	}
}

// run runs reqs in one transaction and answers them. It returns the
// requests that did not run because the transaction was lost under them
// (SQLite rolled it back after a failure), for another transaction.
func (c *committer) run(reqs []*writeReq) (rest []*writeReq) {
	// The writer's own context: the transaction is shared, so no single
	// caller's cancellation may end it.
	ctx := context.Background()
	tx, err := c.w.BeginTx(ctx, nil)
	if err != nil {
		answer(reqs, c.translate(err))
		return nil
	}
	if len(reqs) == 1 {
		// Alone: no savepoint needed, the transaction is the request's.
		r := reqs[0]
		if err := call(r, tx); err != nil {
			tx.Rollback()
			r.done <- err
			return nil
		}
		r.done <- c.translate(tx.Commit())
		return nil
	}
	results := make([]error, len(reqs))
	for i, r := range reqs {
		if _, err := tx.ExecContext(ctx, `SAVEPOINT w`); err != nil {
			return c.abort(tx, reqs, results, i, c.translate(err))
		}
		if results[i] = call(r, tx); results[i] != nil {
			if _, err := tx.ExecContext(ctx, `ROLLBACK TO w`); err != nil {
				// SQLite ended the transaction (an I/O error, a full
				// disk): what ran before is lost with it.
				return c.abort(tx, reqs, results, i+1, fmt.Errorf("sqlite: write transaction lost after %w", results[i]))
			}
		}
		if _, err := tx.ExecContext(ctx, `RELEASE w`); err != nil {
			return c.abort(tx, reqs, results, i+1, c.translate(err))
		}
	}
	err = c.translate(tx.Commit())
	for i, r := range reqs {
		if results[i] == nil {
			results[i] = err
		}
		r.done <- results[i]
	}
	return nil
}

// abort rolls back a batch whose transaction failed: the requests before
// next ran in it and fail (with their own error, or else err); those from
// next on are returned to run again in a fresh transaction.
func (c *committer) abort(tx *sql.Tx, reqs []*writeReq, results []error, next int, err error) []*writeReq {
	tx.Rollback()
	if next == 0 {
		// Nothing ran: the transaction itself is failing.
		answer(reqs, err)
		return nil
	}
	for i, r := range reqs[:next] {
		if results[i] == nil {
			results[i] = err
		}
		r.done <- results[i]
	}
	return reqs[next:]
}

// call runs r's function in tx. A panic becomes an error, since it would
// otherwise end the committer and with it every write of the store.
func call(r *writeReq, tx *sql.Tx) (err error) {
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("sqlite: panic in a write transaction: %v\n%s", p, debug.Stack())
		}
	}()
	return r.fn(context.WithoutCancel(r.ctx), tx)
}

func answer(reqs []*writeReq, err error) {
	for _, r := range reqs {
		r.done <- err
	}
}
