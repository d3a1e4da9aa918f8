package postgres

import (
	"context"
	"errors"
	"math/rand/v2"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/convstore/convstore"
	"github.com/convstore/convstore/driver"
)

// Write runs fn in a READ COMMITTED transaction (PostgreSQL's default;
// concurrency is settled by the row locks the operations take, see
// ConversationLock) and returns once COMMIT has returned.
//
// A write to one conversation (p names it) first waits for the
// conversation's turn on this node (see gates), so that writes queued on
// one conversation's row lock hold one pooled connection, not the pool.
//
// fn runs again, as the interface allows, when the transaction failed in a
// way that leaves no trace: a serialization failure or deadlock (up to
// Options.SerializationRetries times, with a short growing back-off, then
// EUNAVAILABLE), an error before anything reached the server, and once, on
// a fresh connection, when the connection was lost before COMMIT was sent
// (the server then rolls the transaction back, so nothing of it
// committed). A connection lost during COMMIT is not retried: whether it
// committed is unknown, and the call fails with EUNAVAILABLE.
func (db *DB) Write(ctx context.Context, p driver.WriteParams, fn func(ctx context.Context, tx driver.Tx) error) error {
	if !db.enterWrite() {
		return driver.ErrUnavailable()
	}
	defer db.writing.RUnlock()
	if !p.ConversationID.IsZero() {
		leave, err := db.gates.enter(ctx, p.TenantID, p.ConversationID)
		if err != nil {
			return err
		}
		defer leave()
	}
	since := db.foreground.Load()
	if !p.Background {
		db.beginForeground()
		defer db.active.Add(-1)
	}
	return db.transact(ctx, pgx.TxOptions{}, db.retries, func(ctx context.Context, o *ops) error {
		if p.Background {
			o.background, o.since = true, since
			// A background write is redone if lost (driver.WriteParams),
			// so its commit need not wait for the WAL's flush: the purge's
			// batches then neither wait on the disk nor add their flushes
			// to the ones foreground commits wait for. A crash loses at
			// most the last few such commits (wal_writer_delay), never a
			// later foreground one, whose flush covers them.
			if _, err := o.exec(ctx, `SET LOCAL synchronous_commit = off`); err != nil {
				return err
			}
			if err := fn(ctx, o); err != nil {
				return err
			}
			// Beside the foreground it flushes its own WAL after all:
			// otherwise the requests' next commits would flush it, each
			// waiting on the disk for the background's bytes.
			if o.foregroundRan() {
				_, err := o.exec(ctx, `SET LOCAL synchronous_commit = on`)
				return err
			}
			return nil
		}
		return fn(ctx, o)
	})
}

// enterWrite registers a write under way, unless the driver is closed.
func (db *DB) enterWrite() bool {
	db.writing.RLock()
	if db.closed.Load() {
		db.writing.RUnlock()
		return false
	}
	return true
}

// readOnly is the transaction of Read: REPEATABLE READ, so that every
// statement of fn sees the snapshot of its first, and READ ONLY.
var readOnly = pgx.TxOptions{IsoLevel: pgx.RepeatableRead, AccessMode: pgx.ReadOnly}

// Read runs fn in a read-only REPEATABLE READ transaction: one snapshot.
// If the connection is lost before COMMIT, fn runs once more on a fresh
// connection (it only reads, so running it again changes nothing).
func (db *DB) Read(ctx context.Context, fn func(ctx context.Context, r driver.Reader) error) error {
	if db.closed.Load() {
		return driver.ErrUnavailable()
	}
	db.beginForeground()
	defer db.active.Add(-1)
	return db.transact(ctx, readOnly, 0, func(ctx context.Context, o *ops) error { return fn(ctx, o) })
}

// beginForeground counts a foreground transaction in (see DB.foreground);
// the caller counts it out of active when it ends.
func (db *DB) beginForeground() {
	db.foreground.Add(1)
	db.active.Add(1)
}

// Busy reports whether foreground transactions began on this node since
// this background write did, or run now (foregroundRan).
func (o *ops) Busy() bool { return o.foregroundRan() }

// foregroundRan reports whether foreground transactions began on this
// node since this background write did, or run now.
func (o *ops) foregroundRan() bool {
	return o.background && (o.db.foreground.Load() != o.since || o.db.active.Load() > 0)
}

// transact runs fn in a transaction with opts until it commits, fails in a
// way running it again cannot help, or has been retried as Write says
// (retries: how many times for a serialization failure or deadlock).
func (db *DB) transact(ctx context.Context, opts pgx.TxOptions, retries int, fn func(context.Context, *ops) error) error {
	fresh := false
	for attempt := 0; ; attempt++ {
		st := &txState{}
		committing, fnErr, err := db.runTx(ctx, fresh, opts, st, fn)
		if fnErr == nil && err == nil {
			return nil
		}
		// The cause is the driver's own failure, or the first statement
		// that failed inside fn (fn then returned it translated, or
		// something of its own).
		cause := err
		if cause == nil {
			cause = st.cause
		}
		switch {
		case cause == nil || ctx.Err() != nil:
		case !fresh && !committing && connLost(cause):
			db.logger.InfoContext(ctx, "postgres: connection lost before commit; running the transaction again", "error", cause)
			fresh = true
			continue
		case retryable(cause) && attempt < retries:
			// Back off a little, growing with each attempt, so that the
			// transactions that collided do not collide again at once.
			d := time.Duration(attempt+1) * time.Duration(1+rand.IntN(8)) * time.Millisecond
			select {
			case <-ctx.Done():
				return ctx.Err()
			case <-time.After(d):
			}
			continue
		case isCode(cause, codeSerializationFailure) || isCode(cause, codeDeadlockDetected):
			db.logger.WarnContext(ctx, "postgres: transaction failed after retries", "attempts", attempt+1, "error", cause)
			return convstore.Errorf(convstore.EUNAVAILABLE, "database busy, try again")
		}
		if fnErr != nil {
			return fnErr
		}
		return db.translate(ctx, err)
	}
}

// txState is what the operations of one transaction leave for transact.
type txState struct {
	// cause is the first failure of a statement, as pgx reported it:
	// after it PostgreSQL has aborted the transaction, and transact
	// decides by it whether running fn again may help.
	cause error
}

// runTx runs fn in one transaction, on a fresh connection if fresh is
// set. fnErr is fn's error; err is the driver's own (acquiring, BEGIN,
// COMMIT); committing reports that err came from COMMIT, after which it is
// unknown whether the transaction committed.
func (db *DB) runTx(ctx context.Context, fresh bool, opts pgx.TxOptions, st *txState, fn func(context.Context, *ops) error) (committing bool, fnErr, err error) {
	conn, err := db.conns.take(ctx, fresh)
	if err != nil {
		return false, nil, err
	}
	defer conn.Release()
	tx, err := conn.BeginTx(ctx, opts)
	if err != nil {
		return false, nil, err
	}
	defer tx.Rollback(ctx) // after a commit, a no-op
	if err := fn(withTx(ctx, db.pool, tx), &ops{db: db, q: tx, st: st}); err != nil {
		return false, err, nil
	}
	return true, nil, tx.Commit(ctx)
}

// txKey marks a context as running inside one of the driver's
// transactions, for the built-in BlobStore to join (see Write's doc in
// package driver: fn passes the ctx it is given to blob store calls).
type txKey struct{}

type txOf struct {
	pool *pgxpool.Pool
	tx   pgx.Tx
}

// withTx returns ctx carrying tx of pool.
func withTx(ctx context.Context, pool *pgxpool.Pool, tx pgx.Tx) context.Context {
	return context.WithValue(ctx, txKey{}, txOf{pool, tx})
}

// txFrom returns the transaction ctx carries if it belongs to pool (a
// BlobStore over another pool, perhaps another database, must not use
// it), or nil.
func txFrom(ctx context.Context, pool *pgxpool.Pool) pgx.Tx {
	if t, ok := ctx.Value(txKey{}).(txOf); ok && t.pool == pool {
		return t.tx
	}
	return nil
}

// ops implements driver.Tx (and so driver.Reader) over a querier: a
// transaction's, or single statements on the pool (Reads).
type ops struct {
	db *DB
	q  querier
	st *txState // nil outside a transaction
	// background marks a Background write's transaction, and since is
	// DB.foreground when that write began (foregroundRan).
	background bool
	since      uint64
}

var _ driver.Tx = (*ops)(nil)

// fail returns err translated, first recording it as the transaction's
// cause (see txState). Missing rows are not failures.
func (o *ops) fail(ctx context.Context, err error) error {
	if err == nil || errors.Is(err, pgx.ErrNoRows) {
		return err
	}
	if o.st == nil {
		return o.db.translate(ctx, err)
	}
	if o.st.cause == nil {
		o.st.cause = err
	}
	// Not logged here: transact may yet run the transaction again.
	return translateErr(ctx, err)
}

// notFound is fail for a statement whose missing row is ENOTFOUND of kind.
func (o *ops) notFound(ctx context.Context, err error, kind string) error {
	if errors.Is(err, pgx.ErrNoRows) {
		return convstore.NotFound(kind)
	}
	return o.fail(ctx, err)
}
