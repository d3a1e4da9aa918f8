package sqlite

import (
	"context"

	"github.com/convstore/convstore/driver"
)

// Key rotation ops. SQLite has one writer, so a claim needs no lock: the
// transaction that reads the keys is the only one that can change them
// until it commits.

var (
	qConvKeyClaim = stmt(`SELECT tenant_id, conversation_id, epoch, wrapped_key, created_at FROM conversation_keys
		WHERE epoch >= ? AND epoch < ? ORDER BY epoch, tenant_id, conversation_id LIMIT ?`)
	qConvKeyRewrap = stmt(`UPDATE conversation_keys SET epoch = ?, wrapped_key = ?
		WHERE tenant_id = ? AND conversation_id = ?`)
	qConvKeyEpochs = stmt(`SELECT epoch, count(*) FROM conversation_keys GROUP BY epoch ORDER BY epoch`)
	qConvKeyList   = stmt(`SELECT tenant_id, conversation_id, epoch, wrapped_key, created_at FROM conversation_keys
		WHERE (tenant_id, conversation_id) > (?, ?) ORDER BY tenant_id, conversation_id LIMIT ?`)
)

func scanConvKey(row scanner) (*driver.ConversationKey, error) {
	k := &driver.ConversationKey{}
	if err := row.Scan(idScan{&k.TenantID}, idScan{&k.ConversationID}, &k.Epoch, &k.Wrapped, timeScan{&k.CreatedAt}); err != nil {
		return nil, err
	}
	return k, nil
}

func (o *ops) ConversationKeyClaim(ctx context.Context, p *driver.ConversationKeyClaimParams) ([]*driver.ConversationKey, error) {
	return list(ctx, o, qConvKeyClaim, []any{int64(p.From), int64(p.Before), p.Limit}, scanConvKey)
}

func (o *ops) ConversationKeyRewrap(ctx context.Context, keys []*driver.ConversationKey) (int, error) {
	return o.rewrapEach(ctx, qConvKeyRewrap, len(keys), func(i int) []any {
		k := keys[i]
		return []any{int64(k.Epoch), k.Wrapped, idArg(k.TenantID), idArg(k.ConversationID)}
	})
}

// rewrapEach runs the rewrap statement q once per key (args gives the
// i-th key's arguments) and counts the rows it changed.
func (o *ops) rewrapEach(ctx context.Context, q string, n int, args func(i int) []any) (int, error) {
	changed := 0
	for i := range n {
		res, err := o.run.exec(ctx, q, args(i)...)
		if err != nil {
			return changed, o.db.translate(err)
		}
		c, err := res.RowsAffected()
		if err != nil {
			return changed, o.db.translate(err)
		}
		changed += int(c)
	}
	return changed, nil
}

func (o *ops) ConversationKeyEpochs(ctx context.Context) ([]driver.EpochKeys, error) {
	return o.epochCounts(ctx, qConvKeyEpochs)
}

// epochCounts reads q's (epoch, count) rows.
func (o *ops) epochCounts(ctx context.Context, q string) ([]driver.EpochKeys, error) {
	return list(ctx, o, q, nil, func(row scanner) (driver.EpochKeys, error) {
		var e driver.EpochKeys
		err := row.Scan(epochScan{&e.Epoch}, &e.Keys)
		return e, err
	})
}

func (o *ops) ConversationKeyList(ctx context.Context, p *driver.ConversationKeyListParams) ([]*driver.ConversationKey, error) {
	return list(ctx, o, qConvKeyList, []any{idArg(p.AfterTenant), idArg(p.AfterConversation), p.Limit}, scanConvKey)
}
