package service

import (
	"context"

	"github.com/convstore/convstore"
	"github.com/convstore/convstore/driver"
)

// bootstrapKeyName names the admin key a new tenant gets.
const bootstrapKeyName = "admin"

// CreateTenant creates a tenant and its first admin key, and audits both
// in the same transaction.
func (s *Service) CreateTenant(ctx context.Context, name string, p convstore.DeleteParams) (*convstore.Tenant, *convstore.NewKey, error) {
	return s.createTenant(ctx, name, convstore.NewKeySecret(), p)
}

// CreateTenantWithKey is CreateTenant with a caller-chosen admin key
// secret, which must be strong enough.
func (s *Service) CreateTenantWithKey(ctx context.Context, name, secret string, p convstore.DeleteParams) (*convstore.Tenant, *convstore.NewKey, error) {
	if err := convstore.ValidateCustomKeySecret(secret); err != nil {
		return nil, nil, err
	}
	return s.createTenant(ctx, name, secret, p)
}

func (s *Service) createTenant(ctx context.Context, name, secret string, p convstore.DeleteParams) (*convstore.Tenant, *convstore.NewKey, error) {
	if err := convstore.ValidateTenantName(name); err != nil {
		return nil, nil, err
	}
	if err := p.Validate(); err != nil {
		return nil, nil, err
	}
	var t *convstore.Tenant
	var k *convstore.NewKey
	err := s.drv.Write(ctx, driver.WriteParams{}, func(ctx context.Context, tx driver.Tx) error {
		now := s.now()
		t = &convstore.Tenant{ID: s.newID(), Name: name, CreatedAt: now}
		if err := tx.TenantInsert(ctx, t); err != nil {
			return err
		}
		var err error
		if k, err = s.insertKey(ctx, tx, now, t.ID, bootstrapKeyName, []convstore.Scope{convstore.ScopeAdmin}, "", secret); err != nil {
			return err
		}
		if err := s.audit(ctx, tx, now, t.ID, convstore.AuditTenantCreate, convstore.ID{}, t.ID, p); err != nil {
			return err
		}
		return s.audit(ctx, tx, now, t.ID, convstore.AuditKeyCreate, convstore.ID{}, k.ID, p)
	})
	if err != nil {
		return nil, nil, err
	}
	return t, k, nil
}

// FindTenants returns all tenants, oldest first. It is for operators,
// never a door.
func (s *Service) FindTenants(ctx context.Context) ([]*convstore.Tenant, error) {
	return s.drv.Reads().TenantList(ctx)
}
