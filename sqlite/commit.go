package sqlite

import (
	"context"
	"database/sql"
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

// committer runs every write transaction of the store on the single writer
// connection. Writes that arrive while a commit is under way wait and then
// share the next transaction (group commit): each runs inside a SAVEPOINT
// of its own, so one that fails is rolled back alone, and one COMMIT (one
// fsync of the WAL under synchronous=FULL) makes them all durable. Each
// caller is answered after that commit, never before.
type committer struct {
	w         *sql.DB
	maxBatch  int
	waited    func(since time.Time) // reports how long a write waited to run
	translate func(error) error     // the driver's error translation

	reqs chan *writeReq

	mu     sync.RWMutex // held for reading while a request is being sent
	closed bool
	stop   chan struct{} // closed by close: the loop answers what is left and exits
	exited chan struct{}
}

func newCommitter(w *sql.DB, maxBatch int, waited func(time.Time), translate func(error) error) *committer {
	c := &committer{
		w:         w,
		translate: translate,
		waited:    waited,
		maxBatch:  max(1, maxBatch),
		reqs:      make(chan *writeReq, max(1, maxBatch)),
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
	case c.reqs <- r:
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
	for {
		select {
		case r := <-c.reqs:
			batch = append(batch[:0], r)
		drain:
			for len(batch) < c.maxBatch {
				select {
				case r := <-c.reqs:
					batch = append(batch, r)
				default:
					break drain
				}
			}
			c.commit(batch)
		case <-c.stop:
			for {
				select {
				case r := <-c.reqs:
					r.done <- errClosed()
				default:
					return
				}
			}
		}
	}
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
