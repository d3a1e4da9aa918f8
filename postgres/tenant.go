package postgres

import (
	"context"

	"github.com/jackc/pgx/v5"

	"github.com/convstore/convstore"
)

// bootstrapKeyName names the admin key CreateTenant issues.
const bootstrapKeyName = "admin"

// CreateTenant creates a tenant and its first admin key.
func (db *DB) CreateTenant(ctx context.Context, name string) (*convstore.Tenant, *convstore.NewKey, error) {
	return db.createTenant(ctx, name, convstore.NewKeySecret())
}

// CreateTenantWithKey is CreateTenant with a caller-chosen admin secret.
func (db *DB) CreateTenantWithKey(ctx context.Context, name, secret string) (*convstore.Tenant, *convstore.NewKey, error) {
	if err := convstore.ValidateKeySecret(secret); err != nil {
		return nil, nil, err
	}
	return db.createTenant(ctx, name, secret)
}

func (db *DB) createTenant(ctx context.Context, name, secret string) (*convstore.Tenant, *convstore.NewKey, error) {
	if err := convstore.ValidateTenantName(name); err != nil {
		return nil, nil, err
	}
	var tenant *convstore.Tenant
	var key *convstore.NewKey
	err := db.tx(ctx, func(tx pgx.Tx) error {
		tenant = &convstore.Tenant{ID: db.newID(), Name: name, CreatedAt: now()}
		_, err := tx.Exec(ctx, `INSERT INTO tenants (id, name, created_at) VALUES ($1, $2, $3)`,
			tenant.ID[:], tenant.Name, tenant.CreatedAt)
		if err != nil {
			return err
		}
		key, err = db.insertKey(ctx, tx, tenant.ID, bootstrapKeyName, []convstore.Scope{convstore.ScopeAdmin}, secret, tenant.CreatedAt)
		return err
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
