package drivertest

import (
	"context"
	"testing"

	"github.com/convstore/convstore"
	"github.com/convstore/convstore/driver"
)

var tenantTests = []test{
	{"InsertGetList", testTenants},
	{"NameTaken", testTenantNameTaken},
}

func testTenants(t *testing.T, f *fixture) {
	a, b := f.tenant(t), f.tenant(t)
	list, err := f.drv.Reads().TenantList(f.ctx)
	must(t, err)
	if !sameIDs(ids(list, func(t *convstore.Tenant) convstore.ID { return t.ID }), []convstore.ID{a.ID, b.ID}) {
		t.Errorf("TenantList = %v, want a, b oldest first", list)
	}
	_, err = f.drv.Reads().TenantGet(f.ctx, convstore.NewID())
	wantCode(t, "TenantGet of a missing tenant", err, convstore.ENOTFOUND, "tenant")
	err = f.try(func(ctx context.Context, tx driver.Tx) error { return tx.TenantLock(ctx, convstore.NewID()) })
	wantCode(t, "TenantLock of a missing tenant", err, convstore.ENOTFOUND, "tenant")
	f.write(t, func(ctx context.Context, tx driver.Tx) error { return tx.TenantLock(ctx, a.ID) })
}

func testTenantNameTaken(t *testing.T, f *fixture) {
	a := f.tenant(t)
	err := f.try(func(ctx context.Context, tx driver.Tx) error {
		return tx.TenantInsert(ctx, &convstore.Tenant{ID: convstore.NewID(), Name: a.Name, CreatedAt: now()})
	})
	wantErr(t, "a second tenant of one name", err, driver.ErrTenantNameTaken())
}
