package postgres

import (
	"context"
	"strconv"
	"strings"

	"github.com/jackc/pgx/v5"

	"github.com/convstore/convstore/driver"
)

// query builds one SQL statement with numbered arguments: the builder of
// the dynamic statements (a conversation filter, a page). Values are
// always arguments, so a statement's text is one of a fixed set of forms,
// each prepared once per connection (see Open).
type query struct {
	sql  strings.Builder
	args []any
}

// newQuery starts a query with sql, whose placeholders are args.
func newQuery(sql string, args ...any) *query {
	q := &query{args: args}
	q.sql.WriteString(sql)
	return q
}

// arg adds an argument and returns its placeholder.
func (q *query) arg(v any) string {
	q.args = append(q.args, v)
	return "$" + strconv.Itoa(len(q.args))
}

// and appends " AND " + cond, in which each "?" in turn is the
// placeholder of one of vs.
func (q *query) and(cond string, vs ...any) {
	q.sql.WriteString(" AND ")
	for _, v := range vs {
		before, after, _ := strings.Cut(cond, "?")
		q.sql.WriteString(before + q.arg(v))
		cond = after
	}
	q.sql.WriteString(cond)
}

// page appends the cursor condition, the order by id, the limit and the
// offset. IDs are bytea, which compares byte by byte: the big-endian,
// time order of IDs. The cursor is compared, never looked up, so it need
// not exist.
//
// PostgreSQL commits concurrent transactions (of many nodes, whose IDs
// come from different clocks) in any order, unlike SQLite's one writer,
// so a row with a smaller ID than the cursor may become visible after a
// page was read, and later pages skip it. That concerns only rows created
// while the caller pages: rows that existed when paging began are each
// seen exactly once, which is what the cursor contract promises.
func (q *query) page(p driver.Page) *query {
	op, dir := ">", "ASC"
	if p.Desc {
		op, dir = "<", "DESC"
	}
	if !p.After.IsZero() {
		q.and("id "+op+" ?", p.After[:])
	}
	q.sql.WriteString(" ORDER BY id " + dir + " LIMIT " + q.arg(p.Limit) + " OFFSET " + q.arg(p.Offset))
	return q
}

// list runs q and scans every row; none is an empty slice, not nil.
func list[T any](ctx context.Context, o *ops, q *query, scan func(pgx.Row) (T, error)) ([]T, error) {
	rows, err := o.q.Query(ctx, q.sql.String(), q.args...)
	if err != nil {
		return nil, o.fail(ctx, err)
	}
	defer rows.Close()
	out := []T{}
	for rows.Next() {
		v, err := scan(rows)
		if err != nil {
			return nil, o.fail(ctx, err)
		}
		out = append(out, v)
	}
	return out, o.fail(ctx, rows.Err())
}

// one runs a query of one row and scans it; no row is ENOTFOUND of kind.
func one[T any](ctx context.Context, o *ops, kind string, scan func(pgx.Row) (T, error), sql string, args ...any) (T, error) {
	v, err := scan(o.q.QueryRow(ctx, sql, args...))
	if err != nil {
		var zero T
		return zero, o.notFound(ctx, err, kind)
	}
	return v, nil
}

// column returns the first column of every row of sql.
func (o *ops) column(ctx context.Context, sql string, args ...any) ([]string, error) {
	rows, err := o.q.Query(ctx, sql, args...)
	if err != nil {
		return nil, o.fail(ctx, err)
	}
	out, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		return nil, o.fail(ctx, err)
	}
	if out == nil {
		out = []string{}
	}
	return out, nil
}

// exec runs a statement and returns how many rows it changed.
func (o *ops) exec(ctx context.Context, sql string, args ...any) (int64, error) {
	tag, err := o.q.Exec(ctx, sql, args...)
	if err != nil {
		return 0, o.fail(ctx, err)
	}
	return tag.RowsAffected(), nil
}

// execOne runs a statement that must change one row: none is ENOTFOUND
// of kind.
func (o *ops) execOne(ctx context.Context, kind string, sql string, args ...any) error {
	n, err := o.exec(ctx, sql, args...)
	if err == nil && n == 0 {
		return notFound(pgx.ErrNoRows, kind)
	}
	return err
}

// count runs a count query.
func (o *ops) count(ctx context.Context, sql string, args ...any) (int, error) {
	var n int
	if err := o.q.QueryRow(ctx, sql, args...).Scan(&n); err != nil {
		return 0, o.fail(ctx, err)
	}
	return n, nil
}
