package postgres

import (
	"context"

	"github.com/jackc/pgx/v5"

	"github.com/convstore/convstore"
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
	return o.rewrapArrays(ctx, `UPDATE erasures e SET key_epoch = u.epoch, wrapped_key = u.wrapped
		FROM unnest($1::bytea[], $2::bytea[], $3::bigint[], $4::bytea[]) AS u(tenant_id, id, epoch, wrapped)
		WHERE e.tenant_id = u.tenant_id AND e.id = u.id AND e.wrapped_key IS NOT NULL`, len(keys),
		func(i int) (convstore.ID, convstore.ID, uint32, []byte) {
			return keys[i].TenantID, keys[i].ErasureID, keys[i].Epoch, keys[i].Wrapped
		})
}

func (o *ops) ErasureKeyEpochs(ctx context.Context) ([]driver.EpochKeys, error) {
	return o.epochCounts(ctx, `SELECT key_epoch, count(*) FROM erasures WHERE wrapped_key IS NOT NULL
		GROUP BY key_epoch ORDER BY key_epoch`)
}
