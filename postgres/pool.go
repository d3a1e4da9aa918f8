package postgres

import (
	"context"
	"errors"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgtype"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/convstore/convstore"
	"github.com/convstore/convstore/driver"
)

// conns is how the engine takes connections from its pool: it waits at
// most acquireTimeout for one (a pool whose connections all wait on a lock
// must answer ETIMEOUT, not queue every request behind it), and it can
// hand out a connection known to be alive, for the one retry of work whose
// connection was lost.
type conns struct {
	pool           *pgxpool.Pool
	acquireTimeout time.Duration // 0: wait as long as the caller's context
}

// acquire takes a connection from the pool.
func (c *conns) acquire(ctx context.Context) (*pgxpool.Conn, error) {
	if c.acquireTimeout <= 0 {
		return c.pool.Acquire(ctx)
	}
	actx, cancel := context.WithTimeout(ctx, c.acquireTimeout)
	defer cancel()
	conn, err := c.pool.Acquire(actx)
	if err != nil && ctx.Err() == nil && actx.Err() != nil {
		if st := c.pool.Stat(); st.AcquiredConns() >= st.MaxConns() {
			return nil, errAcquireTimeout()
		}
		// Not busy but still no connection: connecting hangs, which is an
		// unreachable database.
		return nil, driver.ErrUnavailable()
	}
	return conn, err
}

// errAcquireTimeout is the error of a pool with no free connection.
func errAcquireTimeout() error {
	return convstore.Errorf(convstore.ETIMEOUT, "no database connection became free in time, try again")
}

// fresh takes a connection that has just answered a ping, discarding the
// pool's dead ones (after a database restart, or a pooler or proxy that
// closed them, every idle connection may be dead).
func (c *conns) fresh(ctx context.Context) (*pgxpool.Conn, error) {
	var err error
	for range c.pool.Config().MaxConns + 1 {
		var conn *pgxpool.Conn
		if conn, err = c.acquire(ctx); err != nil {
			return nil, err
		}
		if err = conn.Ping(ctx); err == nil {
			return conn, nil
		}
		// pgx closed the connection on the failed ping, so the pool
		// destroys it on release.
		conn.Release()
		if ctx.Err() != nil || !connLost(err) {
			return nil, err
		}
	}
	return nil, err
}

// idempotent returns a querier for statements run outside a transaction
// that may run twice (reads, and writes that change nothing the second
// time): a statement whose connection turns out lost before it returned a
// row runs once more on a fresh connection.
func (c *conns) idempotent() querier { return statements{c: c} }

// querier is what both the pool's statements and a transaction offer.
type querier interface {
	Exec(ctx context.Context, sql string, args ...any) (pgconn.CommandTag, error)
	Query(ctx context.Context, sql string, args ...any) (pgx.Rows, error)
	QueryRow(ctx context.Context, sql string, args ...any) pgx.Row
}

// statements runs single statements on connections from c.
type statements struct{ c *conns }

// again reports whether a statement that failed with err runs once more.
func (s statements) again(ctx context.Context, err error) bool {
	return ctx.Err() == nil && (connLost(err) || pgconn.SafeToRetry(err))
}

// Exec runs a statement that returns no rows.
func (s statements) Exec(ctx context.Context, sql string, args ...any) (pgconn.CommandTag, error) {
	tag, err := s.exec(ctx, false, sql, args)
	if err != nil && s.again(ctx, err) {
		tag, err = s.exec(ctx, true, sql, args)
	}
	return tag, err
}

func (s statements) exec(ctx context.Context, fresh bool, sql string, args []any) (pgconn.CommandTag, error) {
	conn, err := s.conn(ctx, fresh)
	if err != nil {
		return pgconn.CommandTag{}, err
	}
	defer conn.Release()
	return conn.Exec(ctx, sql, args...)
}

func (s statements) conn(ctx context.Context, fresh bool) (*pgxpool.Conn, error) {
	return s.c.take(ctx, fresh)
}

// take is fresh if fresh is set, else acquire.
func (c *conns) take(ctx context.Context, fresh bool) (*pgxpool.Conn, error) {
	if fresh {
		return c.fresh(ctx)
	}
	return c.acquire(ctx)
}

// Query runs a statement and returns its rows, which hold a connection
// until they are closed or read to the end.
func (s statements) Query(ctx context.Context, sql string, args ...any) (pgx.Rows, error) {
	r := &retryRows{s: s, ctx: ctx, sql: sql, args: args}
	if err := r.start(false); err != nil {
		if !s.again(ctx, err) {
			return nil, err
		}
		r.retried = true
		if err := r.start(true); err != nil {
			return nil, err
		}
	}
	return r, nil
}

// QueryRow runs a statement for one row, when the row is scanned.
func (s statements) QueryRow(ctx context.Context, sql string, args ...any) pgx.Row {
	return retryRow{s: s, ctx: ctx, sql: sql, args: args}
}

// retryRows are the rows of a statement that, if its connection is lost
// before the first row arrives, runs once more on a fresh connection.
type retryRows struct {
	pgx.Rows
	s       statements
	ctx     context.Context
	sql     string
	args    []any
	conn    *pgxpool.Conn
	started bool // a row was returned: too late to run again
	retried bool
	err     error // a failure to run again
}

func (r *retryRows) start(fresh bool) error {
	conn, err := r.s.conn(r.ctx, fresh)
	if err != nil {
		return err
	}
	rows, err := conn.Query(r.ctx, r.sql, r.args...)
	if err != nil {
		conn.Release()
		return err
	}
	r.Rows, r.conn = rows, conn
	return nil
}

// Next advances to the next row, running the statement again if the
// connection was lost before the first.
func (r *retryRows) Next() bool {
	if r.err != nil {
		return false
	}
	if r.Rows.Next() {
		r.started = true
		return true
	}
	if err := r.Rows.Err(); err != nil && !r.started && !r.retried && r.s.again(r.ctx, err) {
		r.retried = true
		r.release()
		if r.err = r.start(true); r.err != nil {
			return false
		}
		return r.Next()
	}
	r.Close()
	return false
}

// Err returns the error that ended the rows.
func (r *retryRows) Err() error {
	if r.err != nil {
		return r.err
	}
	return r.Rows.Err()
}

// Close closes the rows and returns their connection to the pool.
func (r *retryRows) Close() { r.release() }

func (r *retryRows) release() {
	r.Rows.Close()
	if r.conn != nil {
		r.conn.Release()
		r.conn = nil
	}
}

// retryRow is QueryRow's row: the statement runs when it is scanned.
type retryRow struct {
	s    statements
	ctx  context.Context
	sql  string
	args []any
}

// Scan runs the statement and scans its first row, as pgx's Row does:
// pgx.ErrNoRows if there is none.
func (r retryRow) Scan(dest ...any) error {
	for _, d := range dest {
		if _, ok := d.(*pgtype.DriverBytes); ok {
			return errors.New("postgres: pgtype.DriverBytes cannot be scanned from QueryRow")
		}
	}
	rows, err := r.s.Query(r.ctx, r.sql, r.args...)
	if err != nil {
		return err
	}
	defer rows.Close()
	if !rows.Next() {
		if err := rows.Err(); err != nil {
			return err
		}
		return pgx.ErrNoRows
	}
	if err := rows.Scan(dest...); err != nil {
		return err
	}
	rows.Close()
	return rows.Err()
}
