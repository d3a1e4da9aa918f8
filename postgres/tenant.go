package postgres

import (
	"context"

	"github.com/jackc/pgx/v5"

	"github.com/convstore/convstore"
)

// bootstrapKeyName names the admin key CreateTenant issues.
const bootstrapKeyName = "admin"

// CreateTenant creates a tenant and its first admin key, and audits both.
func (db *DB) CreateTenant(ctx context.Context, name string, p convstore.DeleteParams) (*convstore.Tenant, *convstore.NewKey, error) {
	return db.createTenant(ctx, name, convstore.NewKeySecret(), p)
}

// CreateTenantWithKey is CreateTenant with a caller-chosen admin secret,
// which must be strong enough.
func (db *DB) CreateTenantWithKey(ctx context.Context, name, secret string, p convstore.DeleteParams) (*convstore.Tenant, *convstore.NewKey, error) {
	if err := convstore.ValidateCustomKeySecret(secret); err != nil {
		return nil, nil, err
	}
	return db.createTenant(ctx, name, secret, p)
}

func (db *DB) createTenant(ctx context.Context, name, secret string, p convstore.DeleteParams) (*convstore.Tenant, *convstore.NewKey, error) {
	if err := convstore.ValidateTenantName(name); err != nil {
		return nil, nil, err
	}
	if err := checkDeleteParams(p); err != nil {
		return nil, nil, err
	}
	var tenant *convstore.Tenant
	var key *convstore.NewKey
	err := db.tx(ctx, func(tx pgx.Tx) error {
		tenant = &convstore.Tenant{ID: db.newID(), Name: name, CreatedAt: now()}
		// ON CONFLICT DO NOTHING: a taken name must not reach the
		// server's log in a unique violation's DETAIL line.
		tag, err := tx.Exec(ctx, `INSERT INTO tenants (id, name, created_at) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING`,
			tenant.ID[:], tenant.Name, tenant.CreatedAt)
		if err := insertedOne(tag, err, conflictMessage("tenants_name_key")); err != nil {
			return err
		}
		key, err = db.insertKey(ctx, tx, tenant.ID, bootstrapKeyName, []convstore.Scope{convstore.ScopeAdmin}, secret, tenant.CreatedAt)
		if err != nil {
			return err
		}
		if err := db.insertAudit(ctx, tx, tenant.ID, convstore.AuditTenantCreate, convstore.ID{}, tenant.ID, p, tenant.CreatedAt); err != nil {
			return err
		}
		return db.insertAudit(ctx, tx, tenant.ID, convstore.AuditKeyCreate, convstore.ID{}, key.ID, p, tenant.CreatedAt)
	})
	if err != nil {
		return nil, nil, err
	}
	return tenant, key, nil
}

// FindTenants returns all tenants, oldest first.
func (db *DB) FindTenants(ctx context.Context) ([]*convstore.Tenant, error) {
	// The one query without a tenant: it is for operators, never a door.
	rows, err := db.reads.Query(ctx, `SELECT id, name, created_at FROM tenants ORDER BY id`)
	if err != nil {
		return nil, db.translate(ctx, err)
	}
	tenants, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (*convstore.Tenant, error) {
		t := &convstore.Tenant{}
		if err := row.Scan(scanID(&t.ID), &t.Name, &t.CreatedAt); err != nil {
			return nil, err
		}
		t.CreatedAt = t.CreatedAt.UTC()
		return t, nil
	})
	if err != nil {
		return nil, db.translate(ctx, err)
	}
	return tenants, nil
}
