package sqlite

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
)

// Every fixed statement of the driver is registered here when the package
// initialises (stmt), and prepared once per pool at Open: statements on
// the writer are prepared before any transaction holds its only
// connection, and database/sql then reuses each per connection (for the
// writer: one), so a hot path never parses SQL again. modernc.org/sqlite
// keeps the compiled statement of a prepared single statement; a query
// run without preparing is parsed on every call, which was a quarter of
// the CPU under delete load. Dynamic statements (filters, IN lists) run
// unprepared.
var registry []string

// stmt registers a fixed statement and returns it.
func stmt(q string) string {
	registry = append(registry, q)
	return q
}

// readOnly reports whether q only reads, so it is prepared on the reader
// pool too (whose connections are query_only).
func readOnly(q string) bool {
	q = strings.TrimSpace(q)
	return strings.HasPrefix(q, "SELECT") || strings.HasPrefix(q, "WITH")
}

// prepareAll prepares the registered statements (only the read-only ones
// if readers) on pool.
func prepareAll(ctx context.Context, pool *sql.DB, readers bool) (map[string]*sql.Stmt, error) {
	out := make(map[string]*sql.Stmt, len(registry))
	for _, q := range registry {
		if _, ok := out[q]; ok || readers && !readOnly(q) {
			continue
		}
		st, err := pool.PrepareContext(ctx, q)
		if err != nil {
			closeAll(out)
			return nil, fmt.Errorf("sqlite: preparing %q: %w", q, err)
		}
		out[q] = st
	}
	return out, nil
}

func closeAll(stmts map[string]*sql.Stmt) {
	for _, st := range stmts {
		st.Close()
	}
}

// runner runs statements in a transaction, or each on its own on a pool,
// using the pool's prepared statements where there is one.
type runner struct {
	tx    *sql.Tx // nil: on pool, each statement on its own
	pool  *sql.DB
	stmts map[string]*sql.Stmt // prepared on pool
}

// prepared returns q's prepared statement for this runner, or nil.
func (r runner) prepared(ctx context.Context, q string) *sql.Stmt {
	st := r.stmts[q]
	if st == nil || r.tx == nil {
		return st
	}
	// The transaction's connection has the statement prepared (the
	// writer's since Open; a reader's since its first use): StmtContext
	// reuses it rather than preparing again.
	return r.tx.StmtContext(ctx, st)
}

func (r runner) exec(ctx context.Context, q string, args ...any) (sql.Result, error) {
	if st := r.prepared(ctx, q); st != nil {
		return st.ExecContext(ctx, args...)
	}
	if r.tx != nil {
		return r.tx.ExecContext(ctx, q, args...)
	}
	return r.pool.ExecContext(ctx, q, args...)
}

func (r runner) query(ctx context.Context, q string, args ...any) (*sql.Rows, error) {
	if st := r.prepared(ctx, q); st != nil {
		return st.QueryContext(ctx, args...)
	}
	if r.tx != nil {
		return r.tx.QueryContext(ctx, q, args...)
	}
	return r.pool.QueryContext(ctx, q, args...)
}

func (r runner) queryRow(ctx context.Context, q string, args ...any) *sql.Row {
	if st := r.prepared(ctx, q); st != nil {
		return st.QueryRowContext(ctx, args...)
	}
	if r.tx != nil {
		return r.tx.QueryRowContext(ctx, q, args...)
	}
	return r.pool.QueryRowContext(ctx, q, args...)
}
