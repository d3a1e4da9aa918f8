package postgres

import (
	"context"
	"errors"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/convstore/convstore"
)

// tokenSweepBatch bounds the expired tokens one sweep statement deletes.
const tokenSweepBatch = 1000

// errInvalidToken is the one answer to every failed AuthenticateAccessToken.
func errInvalidToken() error {
	return convstore.Errorf(convstore.EUNAUTHORIZED, "invalid access token")
}

// CreateAccessToken issues a token for the tenant's key: only its SHA-256
// is stored, in the database every node shares, so any node accepts it.
// The key row is locked (FOR KEY SHARE) so that a concurrent DeleteKey
// either runs first (the key is then missing: ENOTFOUND) or waits and
// takes the token with the key. Beyond convstore.MaxAccessTokensPerKey
// live tokens, the key's oldest are dropped in the same transaction.
func (db *DB) CreateAccessToken(ctx context.Context, tenantID, keyID convstore.ID, ttl time.Duration) (*convstore.AccessToken, string, error) {
	ttl, err := convstore.AccessTokenTTL(ttl)
	if err != nil {
		return nil, "", err
	}
	var tok *convstore.AccessToken
	var secret string
	err = db.tx(ctx, func(tx pgx.Tx) error {
		var one int
		err := tx.QueryRow(ctx, `SELECT 1 FROM api_keys WHERE tenant_id = $1 AND id = $2 FOR KEY SHARE`,
			idArg(tenantID), idArg(keyID)).Scan(&one)
		if err != nil {
			return notFound(err, "key")
		}
		secret = convstore.NewAccessTokenSecret()
		t := now()
		tok = &convstore.AccessToken{TenantID: tenantID, KeyID: keyID, CreatedAt: t, ExpiresAt: t.Add(ttl)}
		tag, err := tx.Exec(ctx, `
			INSERT INTO access_tokens (hash, tenant_id, key_id, created_at, expires_at)
			VALUES ($1, $2, $3, $4, $5) ON CONFLICT DO NOTHING`,
			convstore.HashKeySecret(secret), idArg(tenantID), idArg(keyID), t, tok.ExpiresAt)
		if err := insertedOne(tag, err, "this access token already exists"); err != nil {
			return err
		}
		_, err = tx.Exec(ctx, `
			DELETE FROM access_tokens WHERE hash IN (
				SELECT hash FROM access_tokens WHERE tenant_id = $1 AND key_id = $2
				ORDER BY created_at DESC OFFSET $3)`,
			idArg(tenantID), idArg(keyID), convstore.MaxAccessTokensPerKey)
		return err
	})
	if err != nil {
		return nil, "", err
	}
	return tok, secret, nil
}

// AuthenticateAccessToken returns the key of an unexpired token. The token
// is found by its hash, through the primary key: the hash of a 200-bit
// random secret gives a timing observer nothing to guess with. The key is
// read in the same statement, so a token of a revoked key finds nothing.
func (db *DB) AuthenticateAccessToken(ctx context.Context, secret string) (*convstore.APIKey, error) {
	if !convstore.IsAccessTokenSecret(secret) {
		return nil, errInvalidToken()
	}
	k, err := scanKey(db.pool.QueryRow(ctx, `SELECT `+keyColumns+` FROM api_keys
		WHERE (tenant_id, id) = (SELECT tenant_id, key_id FROM access_tokens WHERE hash = $1 AND expires_at > $2)`,
		convstore.HashKeySecret(secret), now()))
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, errInvalidToken()
	} else if err != nil {
		return nil, db.translate(ctx, err)
	}
	db.recordKeyUse(ctx, k)
	return k, nil
}

// SweepAccessTokens deletes every expired access token, returning how
// many. RunSweeper calls it on every node; two nodes sweeping at once skip
// each other's rows. Expired tokens are refused whether or not they have
// been swept.
func (db *DB) SweepAccessTokens(ctx context.Context) (int, error) {
	total := 0
	for {
		tag, err := db.pool.Exec(ctx, `
			DELETE FROM access_tokens WHERE hash IN (
				SELECT hash FROM access_tokens WHERE expires_at <= $1
				LIMIT $2 FOR UPDATE SKIP LOCKED)`, now(), tokenSweepBatch)
		if err != nil {
			return total, db.translate(ctx, err)
		}
		n := int(tag.RowsAffected())
		total += n
		if n < tokenSweepBatch {
			return total, nil
		}
	}
}

// sweepAccessTokensLogged is RunSweeper's call of SweepAccessTokens.
func (db *DB) sweepAccessTokensLogged(ctx context.Context) {
	if n, err := db.SweepAccessTokens(ctx); err != nil && ctx.Err() == nil {
		db.logger.ErrorContext(ctx, "postgres: access token sweep failed", "error", err)
	} else if n > 0 {
		db.logger.DebugContext(ctx, "postgres: swept expired access tokens", "removed", n)
	}
}
