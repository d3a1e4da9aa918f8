package service

import (
	"context"
	"time"

	"github.com/convstore/convstore"
	"github.com/convstore/convstore/driver"
)

// CreateAccessToken issues a token for the tenant's key: only its SHA-256
// is stored, in the database every node shares, so any node accepts it.
// The key is locked against deletion meanwhile, so a concurrent DeleteKey
// either runs first (ENOTFOUND) or takes the token with the key. Beyond
// the per-key cap of live tokens, the key's oldest are dropped in the
// same transaction.
func (s *Service) CreateAccessToken(ctx context.Context, tenantID, keyID convstore.ID, audience string, ttl time.Duration) (*convstore.AccessToken, string, error) {
	ttl, err := convstore.ValidateAccessToken(audience, ttl)
	if err != nil {
		return nil, "", err
	}
	var tok *convstore.AccessToken
	var secret string
	err = s.drv.Write(ctx, driver.WriteParams{}, func(ctx context.Context, tx driver.Tx) error {
		if err := tx.KeyLock(ctx, tenantID, keyID); err != nil {
			return err
		}
		now := s.now()
		secret = convstore.NewAccessTokenSecret()
		tok = &convstore.AccessToken{TenantID: tenantID, KeyID: keyID, Audience: audience, CreatedAt: now, ExpiresAt: now.Add(ttl)}
		if err := tx.AccessTokenInsert(ctx, &driver.AccessTokenRow{AccessToken: *tok, Hash: convstore.HashKeySecret(secret)}); err != nil {
			return err
		}
		_, err := tx.AccessTokenTrim(ctx, tenantID, keyID, s.maxTokens)
		return err
	})
	if err != nil {
		return nil, "", err
	}
	return tok, secret, nil
}
