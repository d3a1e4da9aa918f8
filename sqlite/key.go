package sqlite

import (
	"context"

	"github.com/convstore/convstore"
	"github.com/convstore/convstore/driver"
)

const keyColumns = `id, tenant_id, name, prefix, scopes, created_at, last_used_at, processor`

var (
	qKeyByPrefix = stmt(`SELECT ` + keyColumns + `, hash FROM api_keys WHERE prefix = ?`)
	qKeyList     = stmt(`SELECT ` + keyColumns + ` FROM api_keys WHERE tenant_id = ? ORDER BY id`)
	qKeyExists   = stmt(`SELECT 1 FROM api_keys WHERE tenant_id = ? AND id = ?`)
	qKeyInsert   = stmt(`INSERT INTO api_keys (id, tenant_id, name, prefix, hash, scopes, created_at, last_used_at, processor)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING`)
	qKeyDelete = stmt(`DELETE FROM api_keys WHERE tenant_id = ? AND id = ?`)
	qKeyTouch  = stmt(`UPDATE api_keys SET last_used_at = ?1
		WHERE tenant_id = ?2 AND id = ?3 AND (last_used_at IS NULL OR last_used_at < ?1)`)
)

func scanKey(row scanner, extra ...any) (*convstore.APIKey, error) {
	k := &convstore.APIKey{}
	var scopes string
	if err := row.Scan(append([]any{idScan{&k.ID}, idScan{&k.TenantID}, &k.Name, &k.Prefix, &scopes,
		timeScan{&k.CreatedAt}, nullTimeScan{&k.LastUsedAt}, &k.Processor}, extra...)...); err != nil {
		return nil, err
	}
	k.Scopes = parseScopes(scopes)
	return k, nil
}

func scanKeyRow(row scanner) (*driver.KeyRow, error) {
	k := &driver.KeyRow{}
	var scopes string
	if err := row.Scan(idScan{&k.ID}, idScan{&k.TenantID}, &k.Name, &k.Prefix, &scopes,
		timeScan{&k.CreatedAt}, nullTimeScan{&k.LastUsedAt}, &k.Processor, &k.Hash); err != nil {
		return nil, err
	}
	k.Scopes = parseScopes(scopes)
	return k, nil
}

func (o *ops) KeyListByPrefix(ctx context.Context, prefix string) ([]*driver.KeyRow, error) {
	return list(ctx, o, qKeyByPrefix, []any{prefix}, scanKeyRow)
}

func (o *ops) KeyList(ctx context.Context, tenantID convstore.ID) ([]*convstore.APIKey, error) {
	return list(ctx, o, qKeyList, []any{idArg(tenantID)}, func(row scanner) (*convstore.APIKey, error) { return scanKey(row) })
}

func (o *ops) KeyInsert(ctx context.Context, k *driver.KeyRow) error {
	res, err := o.run.exec(ctx, qKeyInsert, idArg(k.ID), idArg(k.TenantID), k.Name, k.Prefix, k.Hash,
		scopesArg(k.Scopes), micros(k.CreatedAt), nullMicros(k.LastUsedAt), k.Processor)
	return o.db.insertedOne(res, err, driver.ErrKeyTaken, "tenant")
}

// KeyLock only checks that the key exists: with one writer, nothing can
// delete it before the transaction ends.
func (o *ops) KeyLock(ctx context.Context, tenantID, id convstore.ID) error {
	return o.exists(ctx, qKeyExists, "key", idArg(tenantID), idArg(id))
}

func (o *ops) KeyDelete(ctx context.Context, tenantID, id convstore.ID) error {
	res, err := o.run.exec(ctx, qKeyDelete, idArg(tenantID), idArg(id))
	return o.db.affectedOne(res, err, "key")
}

func (o *ops) KeyTouch(ctx context.Context, uses []driver.KeyUse) error {
	for _, u := range uses {
		if _, err := o.run.exec(ctx, qKeyTouch, micros(u.At), idArg(u.TenantID), idArg(u.KeyID)); err != nil {
			return o.db.translate(err)
		}
	}
	return nil
}
