package sqlite

import (
	"context"
	"crypto/subtle"
	"database/sql"
	"slices"
	"time"

	"github.com/convstore/convstore"
)

// lastUsedGranularity limits last_used_at updates to one per key per
// interval, so authenticating does not cost a write on every request.
const lastUsedGranularity = time.Minute

func errInvalidKey() error {
	return convstore.Errorf(convstore.EUNAUTHORIZED, "invalid API key")
}

const keyColumns = `id, tenant_id, name, prefix, scopes, created_at, last_used_at`

func scanKey(row interface{ Scan(...any) error }, hash *[]byte) (*convstore.APIKey, error) {
	k := &convstore.APIKey{}
	var scopes string
	dst := []any{idScan{&k.ID}, idScan{&k.TenantID}, &k.Name, &k.Prefix, &scopes,
		timeScan{&k.CreatedAt}, nullTimeScan{&k.LastUsedAt}}
	if hash != nil {
		dst = append(dst, hash)
	}
	if err := row.Scan(dst...); err != nil {
		return nil, err
	}
	k.Scopes = parseScopes(scopes)
	return k, nil
}

// Authenticate returns the key whose secret is secret. Candidates are found
// by the non-secret prefix; the hashes are then compared in constant time.
func (db *DB) Authenticate(ctx context.Context, secret string) (*convstore.APIKey, error) {
	if len(secret) < convstore.MinKeyLength || len(secret) > convstore.MaxKeyLength {
		return nil, errInvalidKey()
	}
	want := convstore.HashKeySecret(secret)
	var found *convstore.APIKey
	err := db.read(ctx, func(tx *sql.Tx) error {
		rows, err := tx.QueryContext(ctx, `SELECT `+keyColumns+`, hash FROM api_keys WHERE prefix = ?`,
			convstore.KeyPrefix(secret))
		if err != nil {
			return translate(err)
		}
		defer rows.Close()
		for rows.Next() {
			var hash []byte
			k, err := scanKey(rows, &hash)
			if err != nil {
				return err
			}
			if subtle.ConstantTimeCompare(hash, want) == 1 {
				found = k
			}
		}
		return translate(rows.Err())
	})
	if err != nil {
		return nil, err
	}
	if found == nil {
		return nil, errInvalidKey()
	}
	if err := db.recordKeyUse(ctx, found); err != nil {
		return nil, err
	}
	return found, nil
}

// recordKeyUse sets the key's last use to now, at most once per
// lastUsedGranularity.
func (db *DB) recordKeyUse(ctx context.Context, k *convstore.APIKey) error {
	t := now()
	if k.LastUsedAt != nil && t.Sub(*k.LastUsedAt) < lastUsedGranularity {
		return nil
	}
	err := db.write(ctx, func(ctx context.Context, tx *sql.Tx, now time.Time) error {
		// A key deleted meanwhile matches no row; the caller's request
		// is then served with a key revoked a moment ago, like any
		// request already in flight.
		_, err := tx.ExecContext(ctx, `UPDATE api_keys SET last_used_at = ?
			WHERE tenant_id = ? AND id = ? AND (last_used_at IS NULL OR last_used_at < ?)`,
			micros(now), idArg(k.TenantID), idArg(k.ID), micros(now.Add(-lastUsedGranularity)))
		t = now
		return translate(err)
	})
	if err != nil {
		return err
	}
	k.LastUsedAt = &t
	return nil
}

// CreateKey creates a key for the tenant and audits it in the same
// transaction.
func (db *DB) CreateKey(ctx context.Context, tenantID convstore.ID, c *convstore.KeyCreate, p convstore.DeleteParams) (*convstore.NewKey, error) {
	if c == nil {
		return nil, convstore.Invalidf("scopes", "key is missing")
	}
	if err := c.Validate(); err != nil {
		return nil, err
	}
	var k *convstore.NewKey
	err := db.write(ctx, func(ctx context.Context, tx *sql.Tx, now time.Time) error {
		var one int
		err := tx.QueryRowContext(ctx, `SELECT 1 FROM tenants WHERE id = ?`, idArg(tenantID)).Scan(&one)
		if err != nil {
			return notFound(err, "tenant")
		}
		k, err = insertKey(ctx, tx, now, tenantID, c.Name, c.Scopes, convstore.NewKeySecret())
		if err != nil {
			return err
		}
		return insertAudit(ctx, tx, now, tenantID, convstore.AuditKeyCreate, convstore.ID{}, k.ID, p)
	})
	if err != nil {
		return nil, err
	}
	return k, nil
}

func insertKey(ctx context.Context, tx *sql.Tx, now time.Time, tenantID convstore.ID, name string, scopes []convstore.Scope, secret string) (*convstore.NewKey, error) {
	k := &convstore.NewKey{
		APIKey: convstore.APIKey{
			ID:        convstore.NewID(),
			TenantID:  tenantID,
			Name:      name,
			Prefix:    convstore.KeyPrefix(secret),
			Scopes:    convstore.SortScopes(scopes),
			CreatedAt: now,
		},
		Secret: secret,
	}
	// ON CONFLICT DO NOTHING and a count, the PostgreSQL engine's shape:
	// a caller-chosen secret that some key already has is ECONFLICT.
	res, err := tx.ExecContext(ctx, `INSERT INTO api_keys (id, tenant_id, name, prefix, hash, scopes, created_at)
		VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING`,
		idArg(k.ID), idArg(tenantID), k.Name, k.Prefix, convstore.HashKeySecret(secret), scopesArg(k.Scopes), micros(now))
	if err := insertedOne(res, err, "this key already exists"); err != nil {
		return nil, err
	}
	return k, nil
}

// FindKeys returns the tenant's keys, oldest first.
func (db *DB) FindKeys(ctx context.Context, tenantID convstore.ID) ([]*convstore.APIKey, error) {
	var out []*convstore.APIKey
	err := db.read(ctx, func(tx *sql.Tx) error {
		var err error
		out, err = tenantKeys(ctx, tx, tenantID)
		return err
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

func tenantKeys(ctx context.Context, tx *sql.Tx, tenantID convstore.ID) ([]*convstore.APIKey, error) {
	rows, err := tx.QueryContext(ctx, `SELECT `+keyColumns+` FROM api_keys WHERE tenant_id = ? ORDER BY id`, idArg(tenantID))
	if err != nil {
		return nil, translate(err)
	}
	defer rows.Close()
	out := []*convstore.APIKey{}
	for rows.Next() {
		k, err := scanKey(rows, nil)
		if err != nil {
			return nil, err
		}
		out = append(out, k)
	}
	return out, translate(rows.Err())
}

// DeleteKey revokes a key by deleting its row (its access tokens go with
// it, by the cascade), refusing the tenant's last admin key, and audits it
// in the same transaction.
func (db *DB) DeleteKey(ctx context.Context, tenantID, keyID convstore.ID, p convstore.DeleteParams) error {
	return db.write(ctx, func(ctx context.Context, tx *sql.Tx, now time.Time) error {
		keys, err := tenantKeys(ctx, tx, tenantID)
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
		if _, err = tx.ExecContext(ctx, `DELETE FROM api_keys WHERE tenant_id = ? AND id = ?`, idArg(tenantID), idArg(keyID)); err != nil {
			return translate(err)
		}
		return insertAudit(ctx, tx, now, tenantID, convstore.AuditKeyRevoke, convstore.ID{}, keyID, p)
	})
}
