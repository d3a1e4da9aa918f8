package service

import (
	"context"
	"crypto/subtle"
	"slices"
	"time"

	"github.com/maypok86/otter/v2"

	"github.com/convstore/convstore"
	"github.com/convstore/convstore/driver"
)

func errInvalidKey() error { return convstore.Errorf(convstore.EUNAUTHORIZED, "invalid API key") }
func errInvalidToken() error {
	return convstore.Errorf(convstore.EUNAUTHORIZED, "invalid access token")
}

// Authenticate returns the key whose secret is secret. A malformed secret
// is refused unread. Candidates are found by the secret's non-secret
// prefix, and every candidate's stored hash is compared in constant time
// (all of them, so the time taken does not tell which matched). A success
// is cached for AuthCacheTTL; the use is recorded in the background.
func (s *Service) Authenticate(ctx context.Context, secret string) (*convstore.APIKey, error) {
	if convstore.ValidateKeySecret(secret) != nil {
		return nil, errInvalidKey()
	}
	now := s.now()
	hash := convstore.HashKeySecret(secret)
	if k, ok := s.auth.get(keySecret, hash, now); ok {
		s.uses.record(k, now)
		return k, nil
	}
	rows, err := s.drv.Reads().KeyListByPrefix(ctx, convstore.KeyPrefix(secret))
	if err != nil {
		return nil, err
	}
	var found *convstore.APIKey
	for _, r := range rows {
		if subtle.ConstantTimeCompare(r.Hash, hash) == 1 {
			found = &r.APIKey
		}
	}
	if found == nil {
		return nil, errInvalidKey()
	}
	s.auth.put(keySecret, hash, found, now, time.Time{})
	s.uses.record(found, now)
	return found, nil
}

// AuthenticateAccessToken returns the key of an unexpired token. The token
// is found by its hash: the hash of a 200-bit random secret gives a timing
// observer nothing to guess with. A success is cached for AuthCacheTTL,
// never past the token's expiry, under the audience it was checked for:
// a token of another audience is as unknown as a wrong secret.
func (s *Service) AuthenticateAccessToken(ctx context.Context, secret, audience string) (*convstore.APIKey, error) {
	if !convstore.IsAccessTokenSecret(secret) || convstore.ValidateAudience(audience) != nil {
		return nil, errInvalidToken()
	}
	now := s.now()
	hash := convstore.HashKeySecret(secret)
	kind := tokenKind(audience)
	if k, ok := s.auth.get(kind, hash, now); ok {
		s.uses.record(k, now)
		return k, nil
	}
	k, expires, err := s.drv.Reads().AccessTokenKey(ctx, hash, audience, now)
	if convstore.ErrorCode(err) == convstore.ENOTFOUND {
		return nil, errInvalidToken()
	} else if err != nil {
		return nil, err
	}
	s.auth.put(kind, hash, k, now, expires)
	s.uses.record(k, now)
	return k, nil
}

// RevokeAccessToken deletes the token's row and this node's cache entry.
func (s *Service) RevokeAccessToken(ctx context.Context, secret string) error {
	if !convstore.IsAccessTokenSecret(secret) {
		return nil
	}
	hash := convstore.HashKeySecret(secret)
	err := s.drv.Write(ctx, driver.WriteParams{}, func(ctx context.Context, tx driver.Tx) error {
		_, err := tx.AccessTokenDelete(ctx, hash)
		return err
	})
	for _, a := range []string{convstore.AudienceSymbl, convstore.AudienceConsole} {
		s.auth.forget(tokenKind(a), hash)
	}
	return err
}

// authCache remembers authenticated keys by the kind and SHA-256 of the
// secret (a key's or an access token's: neither stands in for the other),
// each entry until its expiry by the service's clock. The otter cache bounds the entries in number and drops
// expired ones in time; the expiry that counts is checked on every read.
type authCache struct {
	ttl   time.Duration // 0: no cache
	cache *otter.Cache[string, authEntry]
}

// Kinds of secret, the first byte of a cache key: a key's, or an access
// token's of one audience.
const (
	keySecret    = 'k'
	symblToken   = 't'
	consoleToken = 'c'
)

// tokenKind is the cache kind of an access token of audience.
func tokenKind(audience string) byte {
	if audience == convstore.AudienceConsole {
		return consoleToken
	}
	return symblToken
}

type authEntry struct {
	key     convstore.APIKey
	expires time.Time
}

func newAuthCache(ttl time.Duration) *authCache {
	if ttl == 0 {
		ttl = DefaultAuthCacheTTL
	}
	if ttl < 0 {
		return &authCache{}
	}
	return &authCache{ttl: ttl, cache: otter.Must(&otter.Options[string, authEntry]{
		MaximumSize:      DefaultAuthCacheSize,
		ExpiryCalculator: otter.ExpiryWriting[string, authEntry](ttl),
	})}
}

// get returns a copy of the key cached for hash, if it is still valid at
// now.
func (c *authCache) get(kind byte, hash []byte, now time.Time) (*convstore.APIKey, bool) {
	if c.cache == nil {
		return nil, false
	}
	e, ok := c.cache.GetIfPresent(cacheKey(kind, hash))
	if !ok || !now.Before(e.expires) {
		return nil, false
	}
	return copyKey(&e.key), true
}

// put caches k for hash until ttl from now, or until limit if that is
// earlier and not zero (an access token's expiry).
func (c *authCache) put(kind byte, hash []byte, k *convstore.APIKey, now, limit time.Time) {
	if c.cache == nil {
		return
	}
	expires := now.Add(c.ttl)
	if !limit.IsZero() && limit.Before(expires) {
		expires = limit
	}
	c.cache.Set(cacheKey(kind, hash), authEntry{key: *copyKey(k), expires: expires})
}

func cacheKey(kind byte, hash []byte) string {
	return string(append([]byte{kind}, hash...))
}

// forget drops the entry of one secret.
func (c *authCache) forget(kind byte, hash []byte) {
	if c.cache != nil {
		c.cache.Invalidate(cacheKey(kind, hash))
	}
}

// forgetKey drops every entry of a key (its own and its tokens'). Revokes
// are rare, so a scan of the bounded cache is fine.
func (c *authCache) forgetKey(keyID convstore.ID) {
	if c.cache == nil {
		return
	}
	for h, e := range c.cache.All() {
		if e.key.ID == keyID {
			c.cache.Invalidate(h)
		}
	}
}

// copyKey returns a copy of k that shares nothing with it.
func copyKey(k *convstore.APIKey) *convstore.APIKey {
	c := *k
	c.Scopes = slices.Clone(k.Scopes)
	if k.LastUsedAt != nil {
		t := *k.LastUsedAt
		c.LastUsedAt = &t
	}
	return &c
}
