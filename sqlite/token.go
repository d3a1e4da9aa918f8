package sqlite

import (
	"context"
	"database/sql"
	"time"

	"github.com/convstore/convstore"
)

// tokenSweepBatch bounds the expired tokens one sweep transaction deletes.
const tokenSweepBatch = 1000

func errInvalidToken() error {
	return convstore.Errorf(convstore.EUNAUTHORIZED, "invalid access token")
}

// CreateAccessToken issues a token for the tenant's key: only its SHA-256
// is stored. Beyond convstore.MaxAccessTokensPerKey live tokens, the key's
// oldest are dropped in the same transaction.
func (db *DB) CreateAccessToken(ctx context.Context, tenantID, keyID convstore.ID, ttl time.Duration) (*convstore.AccessToken, string, error) {
	ttl, err := convstore.AccessTokenTTL(ttl)
	if err != nil {
		return nil, "", err
	}
	secret := convstore.NewAccessTokenSecret()
	var tok *convstore.AccessToken
	err = db.write(ctx, func(ctx context.Context, tx *sql.Tx, now time.Time) error {
		var one int
		err := tx.QueryRowContext(ctx, `SELECT 1 FROM api_keys WHERE tenant_id = ? AND id = ?`,
			idArg(tenantID), idArg(keyID)).Scan(&one)
		if err != nil {
			return notFound(err, "key")
		}
		tok = &convstore.AccessToken{TenantID: tenantID, KeyID: keyID, CreatedAt: now, ExpiresAt: now.Add(ttl)}
		res, err := tx.ExecContext(ctx, `INSERT INTO access_tokens (hash, tenant_id, key_id, created_at, expires_at)
			VALUES (?, ?, ?, ?, ?) ON CONFLICT DO NOTHING`,
			convstore.HashKeySecret(secret), idArg(tenantID), idArg(keyID), micros(now), micros(tok.ExpiresAt))
		if err := insertedOne(res, err, "this access token already exists"); err != nil {
			return err
		}
		_, err = tx.ExecContext(ctx, `DELETE FROM access_tokens WHERE hash IN (
			SELECT hash FROM access_tokens WHERE key_id = ?
			ORDER BY created_at DESC LIMIT -1 OFFSET ?)`, idArg(keyID), convstore.MaxAccessTokensPerKey)
		return translate(err)
	})
	if err != nil {
		return nil, "", err
	}
	return tok, secret, nil
}

// AuthenticateAccessToken returns the key of an unexpired token. The token
// is found by its hash, through the primary key: the hash of a 200-bit
// random secret gives a timing observer nothing to guess with. The key is
// read in the same query, so a token of a revoked key finds nothing even
// before the cascade has run.
func (db *DB) AuthenticateAccessToken(ctx context.Context, secret string) (*convstore.APIKey, error) {
	if !convstore.IsAccessTokenSecret(secret) {
		return nil, errInvalidToken()
	}
	k, err := scanKey(db.r.QueryRowContext(ctx, `SELECT `+keyColumns+` FROM api_keys
		WHERE (tenant_id, id) = (SELECT tenant_id, key_id FROM access_tokens WHERE hash = ? AND expires_at > ?)`,
		convstore.HashKeySecret(secret), micros(now())), nil)
	if err == sql.ErrNoRows {
		return nil, errInvalidToken()
	} else if err != nil {
		return nil, translate(err)
	}
	if err := db.recordKeyUse(ctx, k); err != nil {
		return nil, err
	}
	return k, nil
}

// SweepAccessTokens deletes every expired access token, returning how
// many. RunSweeper calls it; expired tokens are refused whether or not
// they have been swept.
func (db *DB) SweepAccessTokens(ctx context.Context) (int, error) {
	total := 0
	for {
		var n int64
		err := db.write(ctx, func(ctx context.Context, tx *sql.Tx, now time.Time) error {
			res, err := tx.ExecContext(ctx, `DELETE FROM access_tokens WHERE hash IN (
				SELECT hash FROM access_tokens WHERE expires_at <= ? LIMIT ?)`, micros(now), tokenSweepBatch)
			if err != nil {
				return translate(err)
			}
			n, err = res.RowsAffected()
			return translate(err)
		})
		total += int(n)
		if err != nil || n < tokenSweepBatch {
			return total, err
		}
	}
}

// sweepAccessTokensLogged is RunSweeper's call of SweepAccessTokens.
func (db *DB) sweepAccessTokensLogged(ctx context.Context) {
	if n, err := db.SweepAccessTokens(ctx); err != nil && ctx.Err() == nil {
		db.logger.Error("sqlite: access token sweep failed", "error", err)
	} else if n > 0 {
		db.logger.Debug("sqlite: swept expired access tokens", "removed", n)
	}
}
