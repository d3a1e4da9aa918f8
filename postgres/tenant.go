package postgres

import (
	"context"

	"github.com/jackc/pgx/v5"

	"github.com/convstore/convstore"
	"github.com/convstore/convstore/driver"
)

// scanTenant scans id, name, created_at.
func scanTenant(row pgx.Row) (*convstore.Tenant, error) {
	t := &convstore.Tenant{}
	err := row.Scan(scanID(&t.ID), &t.Name, &t.CreatedAt)
	t.CreatedAt = t.CreatedAt.UTC()
	return t, err
}

func (o *ops) TenantGet(ctx context.Context, id convstore.ID) (*convstore.Tenant, error) {
	return one(ctx, o, "tenant", scanTenant, `SELECT id, name, created_at FROM tenants WHERE id = $1`, idArg(id))
}

// TenantList is the one query without a tenant: it is for operators.
func (o *ops) TenantList(ctx context.Context) ([]*convstore.Tenant, error) {
	return list(ctx, o, newQuery(`SELECT id, name, created_at FROM tenants ORDER BY id`), scanTenant)
}

// TenantInsert uses ON CONFLICT DO NOTHING: a taken name must not reach
// the server's log in a unique violation's DETAIL line (see insertedOne).
func (o *ops) TenantInsert(ctx context.Context, t *convstore.Tenant) error {
	n, err := o.exec(ctx, `INSERT INTO tenants (id, name, created_at) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING`,
		idArg(t.ID), t.Name, t.CreatedAt)
	return insertedOne(n, err, driver.ErrTenantNameTaken)
}

// TenantLock takes FOR NO KEY UPDATE on the tenant's row, which conflicts
// with itself (two key deletes of one tenant, on any nodes, take turns)
// but not with the FOR KEY SHARE that inserts referring to the tenant
// take.
func (o *ops) TenantLock(ctx context.Context, id convstore.ID) error {
	return o.exists(ctx, "tenant", `SELECT 1 FROM tenants WHERE id = $1 FOR NO KEY UPDATE`, idArg(id))
}

// exists returns ENOTFOUND of kind unless sql returns a row.
func (o *ops) exists(ctx context.Context, kind, sql string, args ...any) error {
	var one int
	return o.notFound(ctx, o.q.QueryRow(ctx, sql, args...).Scan(&one), kind)
}

// insertedOne turns an INSERT … ON CONFLICT DO NOTHING that inserted no
// row into the conflict. The driver checks uniqueness this way on every
// path a request can take, never by letting a unique violation happen:
// PostgreSQL writes a violation's DETAIL line, with the conflicting value
// (an external id, a tenant name, a key's hash), to its server log. It
// also keeps the transaction usable.
func insertedOne(n int64, err error, conflict func() error) error {
	if err != nil {
		return err
	}
	if n == 0 {
		return conflict()
	}
	return nil
}
