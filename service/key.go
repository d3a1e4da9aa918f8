package service

import (
	"context"
	"slices"
	"time"

	"github.com/convstore/convstore"
	"github.com/convstore/convstore/driver"
)

// CreateKey creates a key for the tenant and audits it in the same
// transaction. ENOTFOUND for a missing tenant.
func (s *Service) CreateKey(ctx context.Context, tenantID convstore.ID, c *convstore.KeyCreate, p convstore.DeleteParams) (*convstore.NewKey, error) {
	if c == nil {
		return nil, convstore.Invalidf("body", "key is missing")
	}
	if err := c.Validate(); err != nil {
		return nil, err
	}
	if err := p.Validate(); err != nil {
		return nil, err
	}
	var k *convstore.NewKey
	err := s.drv.Write(ctx, driver.WriteParams{}, func(ctx context.Context, tx driver.Tx) error {
		// The tenant is checked first rather than left to a foreign key,
		// whose violation PostgreSQL would log with the id.
		if _, err := tx.TenantGet(ctx, tenantID); err != nil {
			return err
		}
		if c.Processor != "" {
			if _, err := tx.ProcessorGet(ctx, tenantID, c.Processor); convstore.ErrorCode(err) == convstore.ENOTFOUND {
				return convstore.Invalidf("processor", "processor %q is not registered: create it first (POST /v1/processors)", c.Processor)
			} else if err != nil {
				return err
			}
		}
		now := s.now()
		var err error
		if k, err = s.insertKey(ctx, tx, now, tenantID, c.Name, c.Scopes, c.Processor, convstore.NewKeySecret()); err != nil {
			return err
		}
		return s.audit(ctx, tx, now, tenantID, convstore.AuditKeyCreate, convstore.ID{}, k.ID, p)
	})
	if err != nil {
		return nil, err
	}
	return k, nil
}

// insertKey stores a key, only the hash of its secret.
func (s *Service) insertKey(ctx context.Context, tx driver.Tx, now time.Time, tenantID convstore.ID, name string, scopes []convstore.Scope, processor, secret string) (*convstore.NewKey, error) {
	k := &convstore.NewKey{
		APIKey: convstore.APIKey{
			ID:        s.newID(),
			TenantID:  tenantID,
			Name:      name,
			Prefix:    convstore.KeyPrefix(secret),
			Scopes:    convstore.SortScopes(scopes),
			Processor: processor,
			CreatedAt: now,
		},
		Secret: secret,
	}
	if err := tx.KeyInsert(ctx, &driver.KeyRow{APIKey: k.APIKey, Hash: convstore.HashKeySecret(secret)}); err != nil {
		return nil, err
	}
	return k, nil
}

// FindKeys returns the tenant's keys, oldest first, each with its last use
// as this node knows it (a use not yet written included).
func (s *Service) FindKeys(ctx context.Context, tenantID convstore.ID) ([]*convstore.APIKey, error) {
	keys, err := s.drv.Reads().KeyList(ctx, tenantID)
	if err != nil {
		return nil, err
	}
	for _, k := range keys {
		if at, ok := s.uses.pending(k.ID); ok && (k.LastUsedAt == nil || at.After(*k.LastUsedAt)) {
			k.LastUsedAt = &at
		}
	}
	return keys, nil
}

// DeleteKey revokes a key at once, with its access tokens (the schema's
// cascade), refusing the tenant's last admin key, and audits it in the
// same transaction. The tenant's row is locked first, so that two deletes
// of a tenant's last two admin keys, from any nodes, take turns and the
// second sees it would lock the tenant out. This node forgets the key's
// cached authentications at once; other nodes within AuthCacheTTL.
func (s *Service) DeleteKey(ctx context.Context, tenantID, keyID convstore.ID, p convstore.DeleteParams) error {
	if err := p.Validate(); err != nil {
		return err
	}
	err := s.drv.Write(ctx, driver.WriteParams{}, func(ctx context.Context, tx driver.Tx) error {
		if err := tx.TenantLock(ctx, tenantID); convstore.ErrorCode(err) == convstore.ENOTFOUND {
			return convstore.NotFound("key")
		} else if err != nil {
			return err
		}
		keys, err := tx.KeyList(ctx, tenantID)
		if err != nil {
			return err
		}
		i := slices.IndexFunc(keys, func(k *convstore.APIKey) bool { return k.ID == keyID })
		if i < 0 {
			return convstore.NotFound("key")
		}
		if slices.Contains(keys[i].Scopes, convstore.ScopeAdmin) {
			admins := 0
			for _, k := range keys {
				if slices.Contains(k.Scopes, convstore.ScopeAdmin) {
					admins++
				}
			}
			if admins == 1 {
				return convstore.Errorf(convstore.ECONFLICT, "cannot delete the tenant's last admin key")
			}
		}
		if err := tx.KeyDelete(ctx, tenantID, keyID); err != nil {
			return err
		}
		return s.audit(ctx, tx, s.now(), tenantID, convstore.AuditKeyRevoke, convstore.ID{}, keyID, p)
	})
	if err != nil {
		return err
	}
	s.auth.forgetKey(keyID)
	s.uses.forget(keyID)
	return nil
}
