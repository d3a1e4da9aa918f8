package sqlite

import (
	"context"

	"github.com/convstore/convstore"
	"github.com/convstore/convstore/driver"
)

var (
	qTenantGet    = stmt(`SELECT id, name, created_at FROM tenants WHERE id = ?`)
	qTenantExists = stmt(`SELECT 1 FROM tenants WHERE id = ?`)
	qTenantList   = stmt(`SELECT id, name, created_at FROM tenants ORDER BY id`)
	qTenantInsert = stmt(`INSERT INTO tenants (id, name, created_at) VALUES (?, ?, ?) ON CONFLICT DO NOTHING`)
)

func scanTenant(row scanner) (*convstore.Tenant, error) {
	t := &convstore.Tenant{}
	if err := row.Scan(idScan{&t.ID}, &t.Name, timeScan{&t.CreatedAt}); err != nil {
		return nil, err
	}
	return t, nil
}

func (o *ops) TenantGet(ctx context.Context, id convstore.ID) (*convstore.Tenant, error) {
	return one(ctx, o, qTenantGet, []any{idArg(id)}, "tenant", scanTenant)
}

func (o *ops) TenantList(ctx context.Context) ([]*convstore.Tenant, error) {
	return list(ctx, o, qTenantList, nil, scanTenant)
}

func (o *ops) TenantInsert(ctx context.Context, t *convstore.Tenant) error {
	res, err := o.run.exec(ctx, qTenantInsert, idArg(t.ID), t.Name, micros(t.CreatedAt))
	return o.db.insertedOne(res, err, driver.ErrTenantNameTaken, "")
}

// TenantLock only checks that the tenant exists: with one writer, the
// writes that check a rule across its keys never interleave.
func (o *ops) TenantLock(ctx context.Context, id convstore.ID) error {
	return o.exists(ctx, qTenantExists, "tenant", idArg(id))
}
