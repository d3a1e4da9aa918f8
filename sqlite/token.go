package sqlite

import (
	"context"
	"time"

	"github.com/convstore/convstore"
	"github.com/convstore/convstore/driver"
)

var (
	// The key is read in the same statement, so a token of a revoked key
	// finds nothing even before the cascade has run.
	qTokenKey = stmt(`SELECT k.id, k.tenant_id, k.name, k.prefix, k.scopes, k.created_at, k.last_used_at, k.processor, t.expires_at
		FROM access_tokens t JOIN api_keys k ON k.tenant_id = t.tenant_id AND k.id = t.key_id
		WHERE t.hash = ? AND t.expires_at > ? AND t.audience = ?`)
	qTokenInsert = stmt(`INSERT INTO access_tokens (hash, tenant_id, key_id, created_at, expires_at, audience)
		VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING`)
	qTokenTrim = stmt(`DELETE FROM access_tokens WHERE hash IN (
		SELECT hash FROM access_tokens WHERE tenant_id = ? AND key_id = ?
		ORDER BY created_at DESC LIMIT -1 OFFSET ?)`)
	qTokenDelete  = stmt(`DELETE FROM access_tokens WHERE hash = ?`)
	qTokenExpired = stmt(`DELETE FROM access_tokens WHERE hash IN (
		SELECT hash FROM access_tokens WHERE expires_at <= ? LIMIT ?)`)
)

func (o *ops) AccessTokenKey(ctx context.Context, hash []byte, audience string, now time.Time) (*convstore.APIKey, time.Time, error) {
	var expires time.Time
	k, err := one(ctx, o, qTokenKey, []any{hash, micros(now), audience}, "access token", func(row scanner) (*convstore.APIKey, error) {
		return scanKey(row, timeScan{&expires})
	})
	return k, expires, err
}

func (o *ops) AccessTokenInsert(ctx context.Context, t *driver.AccessTokenRow) error {
	res, err := o.run.exec(ctx, qTokenInsert, t.Hash, idArg(t.TenantID), idArg(t.KeyID), micros(t.CreatedAt), micros(t.ExpiresAt), t.Audience)
	return o.db.insertedOne(res, err, driver.ErrTokenTaken, "key")
}

func (o *ops) AccessTokenTrim(ctx context.Context, tenantID, keyID convstore.ID, keep int) (int, error) {
	res, err := o.run.exec(ctx, qTokenTrim, idArg(tenantID), idArg(keyID), keep)
	n, err := o.db.rowsAffected(res, err)
	return int(n), err
}

// AccessTokenDeleteExpired needs no SKIP LOCKED: one writer.
func (o *ops) AccessTokenDeleteExpired(ctx context.Context, now time.Time, limit int) (int, error) {
	res, err := o.run.exec(ctx, qTokenExpired, micros(now), limit)
	n, err := o.db.rowsAffected(res, err)
	return int(n), err
}

func (o *ops) AccessTokenDelete(ctx context.Context, hash []byte) (bool, error) {
	res, err := o.run.exec(ctx, qTokenDelete, hash)
	n, err := o.db.rowsAffected(res, err)
	return n == 1, err
}
