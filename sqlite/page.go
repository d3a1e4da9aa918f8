package sqlite

import (
	"context"
	"strings"

	"github.com/convstore/convstore/driver"
)

// paged is a list statement in its four fixed forms (ascending or
// descending, with or without a cursor), each registered for preparing.
// The base is a SELECT … WHERE … to which the cursor condition and the
// ORDER BY … LIMIT … OFFSET clause are added; the limit and offset are
// arguments, so a statement serves every page size.
type paged [4]string

func pagedStmt(base string) paged {
	var p paged
	for i := range p {
		p[i] = pageSQL(base, i&1 == 1, i&2 == 2)
	}
	for _, q := range p {
		stmt(q)
	}
	return p
}

func pageSQL(base string, desc, after bool) string {
	var sb strings.Builder
	sb.WriteString(base)
	switch {
	case after && desc:
		sb.WriteString(" AND id < ?")
	case after:
		sb.WriteString(" AND id > ?")
	}
	if desc {
		sb.WriteString(" ORDER BY id DESC LIMIT ? OFFSET ?")
	} else {
		sb.WriteString(" ORDER BY id ASC LIMIT ? OFFSET ?")
	}
	return sb.String()
}

// pageOf adds the page clauses to a dynamic statement (not prepared).
func pageOf(base string, p driver.Page, args []any) (string, []any) {
	q := pageSQL(base, p.Desc, !p.After.IsZero())
	if !p.After.IsZero() {
		args = append(args, idArg(p.After))
	}
	return q, append(args, p.Limit, p.Offset)
}

// sql returns the form for page p and the arguments of its page clauses,
// to follow the base's.
func (q paged) sql(p driver.Page, args []any) (string, []any) {
	i := 0
	if p.Desc {
		i |= 1
	}
	if !p.After.IsZero() {
		i |= 2
		args = append(args, idArg(p.After))
	}
	return q[i], append(args, p.Limit, p.Offset)
}

// scanner is a row being scanned.
type scanner interface{ Scan(...any) error }

// list runs a query and scans every row; an empty result is an empty
// slice, not nil.
func list[T any](ctx context.Context, o *ops, q string, args []any, scan func(scanner) (T, error)) ([]T, error) {
	rows, err := o.run.query(ctx, q, args...)
	if err != nil {
		return nil, o.db.translate(err)
	}
	defer rows.Close()
	out := []T{}
	for rows.Next() {
		v, err := scan(rows)
		if err != nil {
			return nil, o.db.translate(err)
		}
		out = append(out, v)
	}
	return out, o.db.translate(rows.Err())
}

// one runs a query of one row and scans it; no row is ENOTFOUND of kind.
func one[T any](ctx context.Context, o *ops, q string, args []any, kind string, scan func(scanner) (T, error)) (T, error) {
	v, err := scan(o.run.queryRow(ctx, q, args...))
	if err != nil {
		var zero T
		return zero, o.db.notFound(err, kind)
	}
	return v, nil
}

// exists returns ENOTFOUND of kind unless q returns a row.
func (o *ops) exists(ctx context.Context, q string, kind string, args ...any) error {
	var one int
	return o.db.notFound(o.run.queryRow(ctx, q, args...).Scan(&one), kind)
}

func placeholders(n int) string {
	return strings.TrimSuffix(strings.Repeat("?,", n), ",")
}

func strArgs(ss []string) []any {
	out := make([]any, len(ss))
	for i, s := range ss {
		out[i] = s
	}
	return out
}

func scanStrings(rows interface {
	Next() bool
	Scan(...any) error
	Err() error
	Close() error
}) ([]string, error) {
	defer rows.Close()
	out := []string{}
	for rows.Next() {
		var s string
		if err := rows.Scan(&s); err != nil {
			return nil, err
		}
		out = append(out, s)
	}
	return out, rows.Err()
}
