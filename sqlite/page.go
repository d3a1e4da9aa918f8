package sqlite

import (
	"context"
	"database/sql"
	"strconv"

	"github.com/convstore/convstore"
)

// pageSQL returns the cursor condition (starting with " AND"), its
// arguments, and the ORDER BY ... LIMIT clause of a normalized page filter.
// After is compared, not looked up, so the item need not exist. One row more
// than the limit is fetched to tell whether more follow.
func pageSQL(p convstore.PageFilter) (cond string, args []any, tail string) {
	if p.Order == convstore.OrderDesc {
		if !p.After.IsZero() {
			cond, args = " AND id < ?", []any{idArg(p.After)}
		}
		return cond, args, " ORDER BY id DESC LIMIT " + strconv.Itoa(p.Limit+1)
	}
	if !p.After.IsZero() {
		cond, args = " AND id > ?", []any{idArg(p.After)}
	}
	return cond, args, " ORDER BY id ASC LIMIT " + strconv.Itoa(p.Limit+1)
}

// trimPage cuts the extra row fetched by pageSQL and reports whether it was
// there.
func trimPage[T any](items []T, limit int) ([]T, bool) {
	if len(items) > limit {
		return items[:limit], true
	}
	return items, false
}

// queryPage runs a list query built with pageSQL, on the reader pool or in
// a read transaction, and trims it to limit.
func queryPage[T any](ctx context.Context, q interface {
	QueryContext(context.Context, string, ...any) (*sql.Rows, error)
}, query string, args []any, limit int, scan func(interface{ Scan(...any) error }) (T, error)) ([]T, bool, error) {
	rows, err := q.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, false, translate(err)
	}
	defer rows.Close()
	out := []T{} // an empty page is an empty list, not nil
	for rows.Next() {
		v, err := scan(rows)
		if err != nil {
			return nil, false, err
		}
		out = append(out, v)
	}
	if err := rows.Err(); err != nil {
		return nil, false, translate(err)
	}
	out, more := trimPage(out, limit)
	return out, more, nil
}
