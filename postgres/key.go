package postgres

import (
	"context"
	"crypto/subtle"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/convstore/convstore"
)

// lastUsedResolution is how stale a key's last_used_at may get: a busy key
// is written at most once per interval, not on every request.
const lastUsedResolution = time.Minute

const keyColumns = `tenant_id, id, name, prefix, scopes, created_at, last_used_at`

// errUnauthorized is the one answer to every failed Authenticate.
func errUnauthorized() error {
	return convstore.Errorf(convstore.EUNAUTHORIZED, "invalid API key")
}

// scanKey scans a row of keyColumns.
func scanKey(row pgx.Row, extra ...any) (*convstore.APIKey, error) {
	k := &convstore.APIKey{}
	var scopes []string
	dest := append([]any{scanID(&k.TenantID), scanID(&k.ID), &k.Name, &k.Prefix, &scopes, &k.CreatedAt, &k.LastUsedAt}, extra...)
	if err := row.Scan(dest...); err != nil {
		return nil, err
	}
	for _, s := range scopes {
		k.Scopes = append(k.Scopes, convstore.Scope(s))
	}
	k.CreatedAt = k.CreatedAt.UTC()
	if k.LastUsedAt != nil {
		t := k.LastUsedAt.UTC()
		k.LastUsedAt = &t
	}
	return k, nil
}

// insertKey stores a key (only the hash of its secret) in tx.
func (db *DB) insertKey(ctx context.Context, tx pgx.Tx, tenantID convstore.ID, name string, scopes []convstore.Scope, secret string, t time.Time) (*convstore.NewKey, error) {
	k := &convstore.NewKey{
		APIKey: convstore.APIKey{
			ID: db.newID(), TenantID: tenantID, Name: name, Prefix: convstore.KeyPrefix(secret),
			Scopes: scopes, CreatedAt: t,
		},
		Secret: secret,
	}
	names := make([]string, len(scopes))
	for i, s := range scopes {
		names[i] = string(s)
	}
	// ON CONFLICT DO NOTHING rather than a unique violation, whose DETAIL
	// line would put the hash in the server's log.
	tag, err := tx.Exec(ctx, `
		INSERT INTO api_keys (tenant_id, id, name, prefix, hash, scopes, created_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT DO NOTHING`,
		idArg(tenantID), k.ID[:], name, k.Prefix, convstore.HashKeySecret(secret), names, t)
	if isCode(err, codeForeignKeyViolation, "") {
		return nil, convstore.NotFound("tenant")
	}
	if err := insertedOne(tag, err, conflictMessage("api_keys_hash_key")); err != nil {
		return nil, err
	}
	return k, nil
}

// Authenticate returns the key whose secret is secret.
//
// Keys are found by their non-secret prefix, the one lookup that cannot
// carry a tenant (finding the tenant is its purpose); the stored SHA-256
// hashes of every candidate are compared in constant time. A malformed
// secret is refused before any query. The last use is written at most
// once a minute per key, so authentication stays a read on busy keys.
func (db *DB) Authenticate(ctx context.Context, secret string) (*convstore.APIKey, error) {
	if convstore.ValidateKeySecret(secret) != nil {
		return nil, errUnauthorized()
	}
	hash := convstore.HashKeySecret(secret)
	rows, err := db.reads.Query(ctx, `SELECT `+keyColumns+`, hash FROM api_keys WHERE prefix = $1`, convstore.KeyPrefix(secret))
	if err != nil {
		return nil, db.translate(ctx, err)
	}
	var found *convstore.APIKey
	for rows.Next() {
		var stored []byte
		k, err := scanKey(rows, &stored)
		if err != nil {
			rows.Close()
			return nil, db.translate(ctx, err)
		}
		// Compare every candidate, not stopping at a match, so the time
		// taken does not depend on which candidate matched.
		if subtle.ConstantTimeCompare(stored, hash) == 1 {
			found = k
		}
	}
	if err := rows.Err(); err != nil {
		return nil, db.translate(ctx, err)
	}
	if found == nil {
		return nil, errUnauthorized()
	}
	db.recordKeyUse(ctx, found)
	return found, nil
}

// recordKeyUse sets the key's last use to now, at most once per
// lastUsedResolution. A failure is logged, not returned: the key is
// valid, and a missed last-use write is not worth failing the request for.
func (db *DB) recordKeyUse(ctx context.Context, k *convstore.APIKey) {
	t := now()
	if k.LastUsedAt != nil && t.Sub(*k.LastUsedAt) < lastUsedResolution {
		return
	}
	tag, err := db.pool.Exec(ctx, `
		UPDATE api_keys SET last_used_at = $3
		WHERE tenant_id = $1 AND id = $2 AND (last_used_at IS NULL OR last_used_at < $4)`,
		idArg(k.TenantID), idArg(k.ID), t, t.Add(-lastUsedResolution))
	switch {
	case err != nil:
		db.logger.WarnContext(ctx, "postgres: recording a key's last use failed", "key", k.ID.UUID(), "error", err)
	case tag.RowsAffected() == 1:
		k.LastUsedAt = &t
	}
}

// CreateKey creates a key for the tenant and audits it in the same
// transaction. ENOTFOUND for a missing tenant.
func (db *DB) CreateKey(ctx context.Context, tenantID convstore.ID, c *convstore.KeyCreate, p convstore.DeleteParams) (*convstore.NewKey, error) {
	if err := c.Validate(); err != nil {
		return nil, err
	}
	if err := checkText("name", c.Name); err != nil {
		return nil, err
	}
	if err := checkDeleteParams(p); err != nil {
		return nil, err
	}
	var k *convstore.NewKey
	err := db.tx(ctx, func(tx pgx.Tx) error {
		// The tenant is checked first, not by the foreign key, whose
		// violation would log the id in the server's log.
		var one int
		if err := tx.QueryRow(ctx, `SELECT 1 FROM tenants WHERE id = $1`, idArg(tenantID)).Scan(&one); err != nil {
			return notFound(err, "tenant")
		}
		t := now()
		var err error
		if k, err = db.insertKey(ctx, tx, tenantID, c.Name, c.Scopes, convstore.NewKeySecret(), t); err != nil {
			return err
		}
		return db.insertAudit(ctx, tx, tenantID, convstore.AuditKeyCreate, convstore.ID{}, k.ID, p, t)
	})
	if err != nil {
		return nil, err
	}
	return k, nil
}

// FindKeys returns the tenant's keys, oldest first.
func (db *DB) FindKeys(ctx context.Context, tenantID convstore.ID) ([]*convstore.APIKey, error) {
	rows, err := db.reads.Query(ctx, `SELECT `+keyColumns+` FROM api_keys WHERE tenant_id = $1 ORDER BY id`, idArg(tenantID))
	if err != nil {
		return nil, db.translate(ctx, err)
	}
	keys, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (*convstore.APIKey, error) { return scanKey(row) })
	if err != nil {
		return nil, db.translate(ctx, err)
	}
	return keys, nil
}

// DeleteKey revokes a key, with its access tokens (by the cascade), and
// audits it in the same transaction. ECONFLICT for the tenant's last admin
// key.
//
// The tenant row is locked (FOR NO KEY UPDATE, which does not block
// inserts that merely refer to the tenant) so that two concurrent deletes
// of a tenant's last two admin keys, from any nodes, run one after the
// other and the second sees that it would lock the tenant out.
func (db *DB) DeleteKey(ctx context.Context, tenantID, keyID convstore.ID, p convstore.DeleteParams) error {
	if err := checkDeleteParams(p); err != nil {
		return err
	}
	return db.tx(ctx, func(tx pgx.Tx) error {
		var one int
		err := tx.QueryRow(ctx, `SELECT 1 FROM tenants WHERE id = $1 FOR NO KEY UPDATE`, idArg(tenantID)).Scan(&one)
		if err != nil {
			return notFound(err, "key")
		}
		var admin bool
		err = tx.QueryRow(ctx, `SELECT 'admin' = ANY (scopes) FROM api_keys WHERE tenant_id = $1 AND id = $2`,
			idArg(tenantID), idArg(keyID)).Scan(&admin)
		if err != nil {
			return notFound(err, "key")
		}
		if admin {
			var others int
			err := tx.QueryRow(ctx, `SELECT count(*) FROM api_keys WHERE tenant_id = $1 AND id <> $2 AND 'admin' = ANY (scopes)`,
				idArg(tenantID), idArg(keyID)).Scan(&others)
			if err != nil {
				return err
			}
			if others == 0 {
				return convstore.Errorf(convstore.ECONFLICT, "cannot delete the tenant's last admin key")
			}
		}
		if _, err = tx.Exec(ctx, `DELETE FROM api_keys WHERE tenant_id = $1 AND id = $2`, idArg(tenantID), idArg(keyID)); err != nil {
			return err
		}
		return db.insertAudit(ctx, tx, tenantID, convstore.AuditKeyRevoke, convstore.ID{}, keyID, p, now())
	})
}
