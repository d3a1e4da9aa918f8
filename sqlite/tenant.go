package sqlite

import (
	"context"
	"database/sql"
	"time"

	"github.com/convstore/convstore"
)

// CreateTenant creates a tenant and its first admin key, and audits both.
func (db *DB) CreateTenant(ctx context.Context, name string, p convstore.DeleteParams) (*convstore.Tenant, *convstore.NewKey, error) {
	return db.createTenant(ctx, name, convstore.NewKeySecret(), p)
}

// CreateTenantWithKey is CreateTenant with a caller-chosen admin key
// secret, which must be strong enough.
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
	var t *convstore.Tenant
	var k *convstore.NewKey
	err := db.write(ctx, func(ctx context.Context, tx *sql.Tx, now time.Time) error {
		t = &convstore.Tenant{ID: convstore.NewID(), Name: name, CreatedAt: now}
		res, err := tx.ExecContext(ctx, `INSERT INTO tenants (id, name, created_at) VALUES (?, ?, ?) ON CONFLICT DO NOTHING`,
			idArg(t.ID), t.Name, micros(now))
		if err := insertedOne(res, err, "a tenant with this name already exists"); err != nil {
			return err
		}
		if k, err = insertKey(ctx, tx, now, t.ID, "admin", []convstore.Scope{convstore.ScopeAdmin}, secret); err != nil {
			return err
		}
		if err := insertAudit(ctx, tx, now, t.ID, convstore.AuditTenantCreate, convstore.ID{}, t.ID, p); err != nil {
			return err
		}
		return insertAudit(ctx, tx, now, t.ID, convstore.AuditKeyCreate, convstore.ID{}, k.ID, p)
	})
	if err != nil {
		return nil, nil, err
	}
	return t, k, nil
}

// FindTenants returns all tenants, oldest first.
func (db *DB) FindTenants(ctx context.Context) ([]*convstore.Tenant, error) {
	out := []*convstore.Tenant{}
	err := db.read(ctx, func(tx *sql.Tx) error {
		rows, err := tx.QueryContext(ctx, `SELECT id, name, created_at FROM tenants ORDER BY id`)
		if err != nil {
			return translate(err)
		}
		defer rows.Close()
		for rows.Next() {
			t := &convstore.Tenant{}
			if err := rows.Scan(idScan{&t.ID}, &t.Name, timeScan{&t.CreatedAt}); err != nil {
				return err
			}
			out = append(out, t)
		}
		return translate(rows.Err())
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}
