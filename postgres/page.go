package postgres

import (
	"context"
	"strconv"
	"strings"

	"github.com/jackc/pgx/v5"

	"github.com/convstore/convstore"
)

// query builds one SQL statement with numbered arguments.
type query struct {
	sql  strings.Builder
	args []any
}

// newQuery starts a query with the given SQL.
func newQuery(sql string) *query {
	q := &query{}
	q.sql.WriteString(sql)
	return q
}

// arg adds an argument and returns its placeholder.
func (q *query) arg(v any) string {
	q.args = append(q.args, v)
	return "$" + strconv.Itoa(len(q.args))
}

// where appends " AND " + cond, in which every "?" is replaced by the
// placeholder of the next argument.
func (q *query) where(cond string, args ...any) {
	q.sql.WriteString(" AND ")
	for _, a := range args {
		before, after, _ := strings.Cut(cond, "?")
		q.sql.WriteString(before)
		q.sql.WriteString(q.arg(a))
		cond = after
	}
	q.sql.WriteString(cond)
}

// page appends the cursor condition, the order by id and a limit one past
// the page, so that the extra row tells whether more follow. IDs are
// bytea, which compares byte by byte: the big-endian, time order of IDs.
// The cursor is compared, never looked up, so it need not exist.
//
// The SQLite engine draws IDs inside its single writer's transaction, so
// rows commit in ID order. PostgreSQL commits concurrent transactions (of
// many nodes, whose IDs come from different clocks) in any order, so a row
// with a smaller ID than the cursor may become visible after a page was
// read, and later pages skip it. That concerns only rows created while the
// caller pages: rows that existed when paging began are each seen exactly
// once, which is what the cursor contract promises.
func (q *query) page(p convstore.PageFilter) {
	op, dir := ">", "ASC"
	if p.Order == convstore.OrderDesc {
		op, dir = "<", "DESC"
	}
	if !p.After.IsZero() {
		q.where("id "+op+" ?", p.After[:])
	}
	q.sql.WriteString(" ORDER BY id " + dir + " LIMIT " + q.arg(p.Limit+1))
}

// listPage runs a page query and scans its rows, returning at most limit
// items and whether more follow.
func listPage[T any](ctx context.Context, db querier, q *query, limit int, scan func(pgx.Row) (T, error)) ([]T, bool, error) {
	rows, err := db.Query(ctx, q.sql.String(), q.args...)
	if err != nil {
		return nil, false, err
	}
	defer rows.Close()
	out := make([]T, 0, limit)
	more := false
	for rows.Next() {
		if len(out) == limit {
			more = true
			break
		}
		item, err := scan(rows)
		if err != nil {
			return nil, false, err
		}
		out = append(out, item)
	}
	if err := rows.Err(); err != nil {
		return nil, false, err
	}
	return out, more, nil
}
