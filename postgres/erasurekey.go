package postgres

import (
	"context"

	"github.com/jackc/pgx/v5"

	"github.com/convstore/convstore/driver"
)

// The wrapped keys of erasure jobs' selectors, for key rotation: only
// jobs that may still run have one (a final job's is cleared). A claim
// locks the jobs' rows (FOR UPDATE SKIP LOCKED): nodes re-wrapping at
// once take different keys, and a runner finishing a job waits for the
// re-wrap, then clears the new key.

func (o *ops) ErasureKeyClaim(ctx context.Context, p *driver.ConversationKeyClaimParams) ([]*driver.ErasureKey, error) {
	return list(ctx, o, newQuery(`SELECT tenant_id, id, key_epoch, wrapped_key FROM erasures
		WHERE wrapped_key IS NOT NULL AND key_epoch >= $1 AND key_epoch < $2
		ORDER BY key_epoch, id LIMIT $3 FOR UPDATE SKIP LOCKED`, int64(p.From), int64(p.Before), p.Limit),
		func(row pgx.Row) (*driver.ErasureKey, error) {
			k := &driver.ErasureKey{}
			var epoch int64
			err := row.Scan(scanID(&k.TenantID), scanID(&k.ErasureID), &epoch, &k.Wrapped)
			k.Epoch = uint32(epoch)
			return k, err
		})
}

// ErasureKeyRewrap updates every key in one statement, from arrays.
func (o *ops) ErasureKeyRewrap(ctx context.Context, keys []*driver.ErasureKey) (int, error) {
	if len(keys) == 0 {
		return 0, nil
	}
	tenants, ids, epochs, wrapped := make([][]byte, len(keys)), make([][]byte, len(keys)), make([]int64, len(keys)), make([][]byte, len(keys))
	for i, k := range keys {
		tenants[i], ids[i], epochs[i], wrapped[i] = k.TenantID[:], k.ErasureID[:], int64(k.Epoch), k.Wrapped
	}
	n, err := o.exec(ctx, `UPDATE erasures e SET key_epoch = u.epoch, wrapped_key = u.wrapped
		FROM unnest($1::bytea[], $2::bytea[], $3::bigint[], $4::bytea[]) AS u(tenant_id, id, epoch, wrapped)
		WHERE e.tenant_id = u.tenant_id AND e.id = u.id AND e.wrapped_key IS NOT NULL`, tenants, ids, epochs, wrapped)
	return int(n), err
}

func (o *ops) ErasureKeyEpochs(ctx context.Context) ([]driver.EpochKeys, error) {
	return list(ctx, o, newQuery(`SELECT key_epoch, count(*) FROM erasures WHERE wrapped_key IS NOT NULL
		GROUP BY key_epoch ORDER BY key_epoch`),
		func(row pgx.Row) (driver.EpochKeys, error) {
			var epoch int64
			var e driver.EpochKeys
			err := row.Scan(&epoch, &e.Keys)
			e.Epoch = uint32(epoch)
			return e, err
		})
}
