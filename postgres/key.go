package postgres

import (
	"context"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/convstore/convstore"
	"github.com/convstore/convstore/driver"
)

const keyColumns = `tenant_id, id, name, prefix, scopes, created_at, last_used_at, processor`

// scanKey scans a row of keyColumns, then extra.
func scanKey(row pgx.Row, extra ...any) (*convstore.APIKey, error) {
	k := &convstore.APIKey{}
	var scopes []string
	dest := append([]any{scanID(&k.TenantID), scanID(&k.ID), &k.Name, &k.Prefix, &scopes, &k.CreatedAt, &k.LastUsedAt, &k.Processor}, extra...)
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

func scanAPIKey(row pgx.Row) (*convstore.APIKey, error) { return scanKey(row) }

// KeyListByPrefix is the one key lookup without a tenant: finding the
// tenant is its purpose.
func (o *ops) KeyListByPrefix(ctx context.Context, prefix string) ([]*driver.KeyRow, error) {
	return list(ctx, o, newQuery(`SELECT `+keyColumns+`, hash FROM api_keys WHERE prefix = $1`, prefix),
		func(row pgx.Row) (*driver.KeyRow, error) {
			r := &driver.KeyRow{}
			k, err := scanKey(row, &r.Hash)
			if err != nil {
				return nil, err
			}
			r.APIKey = *k
			return r, nil
		})
}

func (o *ops) KeyList(ctx context.Context, tenantID convstore.ID) ([]*convstore.APIKey, error) {
	return list(ctx, o, newQuery(`SELECT `+keyColumns+` FROM api_keys WHERE tenant_id = $1 ORDER BY id`, idArg(tenantID)), scanAPIKey)
}

// KeyInsert inserts only under an existing tenant (INSERT … SELECT), and
// with ON CONFLICT DO NOTHING: neither a taken hash nor a missing tenant
// becomes a violation whose DETAIL line would write the value to the
// server's log. No row inserted is told apart by a lookup.
func (o *ops) KeyInsert(ctx context.Context, k *driver.KeyRow) error {
	scopes := make([]string, len(k.Scopes))
	for i, s := range k.Scopes {
		scopes[i] = string(s)
	}
	n, err := o.exec(ctx, `
		INSERT INTO api_keys (tenant_id, id, name, prefix, hash, scopes, created_at, last_used_at, processor)
		SELECT id, $2, $3, $4, $5, $6, $7, $8, $9 FROM tenants WHERE id = $1
		ON CONFLICT DO NOTHING`,
		idArg(k.TenantID), idArg(k.ID), k.Name, k.Prefix, k.Hash, scopes, k.CreatedAt, k.LastUsedAt, k.Processor)
	if err != nil || n == 1 {
		return err
	}
	if err := o.exists(ctx, "tenant", `SELECT 1 FROM tenants WHERE id = $1`, idArg(k.TenantID)); err != nil {
		return err
	}
	return driver.ErrKeyTaken()
}

// KeyLock takes FOR KEY SHARE on the key's row: a concurrent KeyDelete
// (on any node) either ran first, and the key is missing, or waits for
// this transaction and then deletes what it wrote with the key.
func (o *ops) KeyLock(ctx context.Context, tenantID, id convstore.ID) error {
	return o.exists(ctx, "key", `SELECT 1 FROM api_keys WHERE tenant_id = $1 AND id = $2 FOR KEY SHARE`, idArg(tenantID), idArg(id))
}

func (o *ops) KeyDelete(ctx context.Context, tenantID, id convstore.ID) error {
	return o.execOne(ctx, "key", `DELETE FROM api_keys WHERE tenant_id = $1 AND id = $2`, idArg(tenantID), idArg(id))
}

// KeyTouch writes a batch of uses in one statement, the uses as parallel
// arrays; of two uses of one key the later counts.
func (o *ops) KeyTouch(ctx context.Context, uses []driver.KeyUse) error {
	if len(uses) == 0 {
		return nil
	}
	tenants, keys, ats := make([][]byte, len(uses)), make([][]byte, len(uses)), make([]time.Time, len(uses))
	for i, u := range uses {
		tenants[i], keys[i], ats[i] = idBytes(u.TenantID), idBytes(u.KeyID), u.At
	}
	_, err := o.exec(ctx, `
		UPDATE api_keys k SET last_used_at = u.at
		FROM (SELECT tenant_id, key_id, max(at) AS at
		      FROM unnest($1::bytea[], $2::bytea[], $3::timestamptz[]) AS x(tenant_id, key_id, at)
		      GROUP BY tenant_id, key_id) u
		WHERE k.tenant_id = u.tenant_id AND k.id = u.key_id AND (k.last_used_at IS NULL OR k.last_used_at < u.at)`,
		tenants, keys, ats)
	return err
}
