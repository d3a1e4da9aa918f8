package service

import (
	"context"
	"slices"

	"github.com/convstore/convstore"
	"github.com/convstore/convstore/driver"
)

// FindCORSOrigins returns the tenant's allowed web origins, sorted.
func (s *Service) FindCORSOrigins(ctx context.Context, tenantID convstore.ID) ([]string, error) {
	if _, err := s.drv.Reads().TenantGet(ctx, tenantID); err != nil {
		return nil, err
	}
	return s.drv.Reads().CORSOriginsGet(ctx, tenantID)
}

// SetCORSOrigins replaces the tenant's allowed web origins and audits the
// change; setting the ones it has writes nothing.
func (s *Service) SetCORSOrigins(ctx context.Context, tenantID convstore.ID, origins []string, p convstore.DeleteParams) ([]string, error) {
	if err := p.Validate(); err != nil {
		return nil, err
	}
	origins, err := convstore.NormalizeOrigins(origins)
	if err != nil {
		return nil, err
	}
	slices.Sort(origins)
	err = s.drv.Write(ctx, driver.WriteParams{}, func(ctx context.Context, tx driver.Tx) error {
		if _, err := tx.TenantGet(ctx, tenantID); err != nil {
			return err
		}
		if old, err := tx.CORSOriginsGet(ctx, tenantID); err != nil || slices.Equal(old, origins) {
			return err
		}
		if err := tx.CORSOriginsSet(ctx, tenantID, origins); err != nil {
			return err
		}
		return s.audit(ctx, tx, s.now(), tenantID, convstore.AuditCORSUpdate, convstore.ID{}, tenantID, p)
	})
	if err != nil {
		return nil, err
	}
	return origins, nil
}

// CORSOriginAllowed reports whether some tenant allows origin.
func (s *Service) CORSOriginAllowed(ctx context.Context, origin string) (bool, error) {
	n, err := convstore.NormalizeOrigin(origin)
	if err != nil {
		return false, nil
	}
	return s.drv.Reads().CORSOriginAllowed(ctx, n)
}
