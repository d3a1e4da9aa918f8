package sqlite

import (
	"context"

	"github.com/convstore/convstore/driver"
)

// The wrapped keys of erasure jobs' selectors, for key rotation: only
// jobs that may still run have one (a final job's is cleared). A claim
// needs no lock: the transaction is the only writer until it commits.

var (
	qErasureKeyClaim = stmt(`SELECT tenant_id, id, key_epoch, wrapped_key FROM erasures
		WHERE wrapped_key IS NOT NULL AND key_epoch >= ? AND key_epoch < ? ORDER BY key_epoch, id LIMIT ?`)
	qErasureKeyRewrap = stmt(`UPDATE erasures SET key_epoch = ?, wrapped_key = ?
		WHERE tenant_id = ? AND id = ? AND wrapped_key IS NOT NULL`)
	qErasureKeyEpochs = stmt(`SELECT key_epoch, count(*) FROM erasures WHERE wrapped_key IS NOT NULL
		GROUP BY key_epoch ORDER BY key_epoch`)
)

func (o *ops) ErasureKeyClaim(ctx context.Context, p *driver.ConversationKeyClaimParams) ([]*driver.ErasureKey, error) {
	return list(ctx, o, qErasureKeyClaim, []any{int64(p.From), int64(p.Before), p.Limit}, func(row scanner) (*driver.ErasureKey, error) {
		k := &driver.ErasureKey{}
		err := row.Scan(idScan{&k.TenantID}, idScan{&k.ErasureID}, epochScan{&k.Epoch}, &k.Wrapped)
		return k, err
	})
}

func (o *ops) ErasureKeyRewrap(ctx context.Context, keys []*driver.ErasureKey) (int, error) {
	return o.rewrapEach(ctx, qErasureKeyRewrap, len(keys), func(i int) []any {
		k := keys[i]
		return []any{int64(k.Epoch), k.Wrapped, idArg(k.TenantID), idArg(k.ErasureID)}
	})
}

func (o *ops) ErasureKeyEpochs(ctx context.Context) ([]driver.EpochKeys, error) {
	return o.epochCounts(ctx, qErasureKeyEpochs)
}
