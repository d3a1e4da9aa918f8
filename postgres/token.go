package postgres

import (
	"context"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/convstore/convstore"
	"github.com/convstore/convstore/driver"
)

// AccessTokenKey finds the token by its hash, through the primary key,
// and reads the key in the same statement, so a token of a revoked key
// finds nothing.
func (o *ops) AccessTokenKey(ctx context.Context, hash []byte, audience string, now time.Time) (*convstore.APIKey, time.Time, error) {
	var expires time.Time
	k, err := one(ctx, o, "access token", func(row pgx.Row) (*convstore.APIKey, error) { return scanKey(row, &expires) }, `
		SELECT k.tenant_id, k.id, k.name, k.prefix, k.scopes, k.created_at, k.last_used_at, k.processor, t.expires_at
		FROM access_tokens t JOIN api_keys k ON k.tenant_id = t.tenant_id AND k.id = t.key_id
		WHERE t.hash = $1 AND t.expires_at > $2 AND t.audience = $3`, hash, now, audience)
	return k, expires.UTC(), err
}

// AccessTokenInsert inserts only for an existing key (INSERT … SELECT)
// with ON CONFLICT DO NOTHING, for the reasons KeyInsert gives.
func (o *ops) AccessTokenInsert(ctx context.Context, t *driver.AccessTokenRow) error {
	n, err := o.exec(ctx, `
		INSERT INTO access_tokens (hash, tenant_id, key_id, created_at, expires_at, audience)
		SELECT $1, tenant_id, id, $4, $5, $6 FROM api_keys WHERE tenant_id = $2 AND id = $3
		ON CONFLICT DO NOTHING`,
		t.Hash, idArg(t.TenantID), idArg(t.KeyID), t.CreatedAt, t.ExpiresAt, t.Audience)
	if err != nil || n == 1 {
		return err
	}
	if err := o.exists(ctx, "key", `SELECT 1 FROM api_keys WHERE tenant_id = $1 AND id = $2`, idArg(t.TenantID), idArg(t.KeyID)); err != nil {
		return err
	}
	return driver.ErrTokenTaken()
}

func (o *ops) AccessTokenTrim(ctx context.Context, tenantID, keyID convstore.ID, keep int) (int, error) {
	n, err := o.exec(ctx, `
		DELETE FROM access_tokens WHERE hash IN (
			SELECT hash FROM access_tokens WHERE tenant_id = $1 AND key_id = $2
			ORDER BY created_at DESC OFFSET $3)`,
		idArg(tenantID), idArg(keyID), keep)
	return int(n), err
}

// AccessTokenDeleteExpired claims the rows it deletes with FOR UPDATE SKIP
// LOCKED: nodes sweeping at once each take other rows instead of waiting
// on one another.
func (o *ops) AccessTokenDeleteExpired(ctx context.Context, now time.Time, limit int) (int, error) {
	n, err := o.exec(ctx, `
		DELETE FROM access_tokens WHERE hash IN (
			SELECT hash FROM access_tokens WHERE expires_at <= $1
			LIMIT $2 FOR UPDATE SKIP LOCKED)`, now, limit)
	return int(n), err
}

func (o *ops) AccessTokenDelete(ctx context.Context, hash []byte) (bool, error) {
	n, err := o.exec(ctx, `DELETE FROM access_tokens WHERE hash = $1`, hash)
	return n == 1, err
}
