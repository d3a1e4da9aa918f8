package postgres

import (
	"context"

	"github.com/jackc/pgx/v5"

	"github.com/convstore/convstore"
	"github.com/convstore/convstore/driver"
)

// Key rotation ops. Several nodes may re-wrap at once: a claim locks the
// keys it returns (FOR UPDATE SKIP LOCKED), so each node takes keys no
// other holds, and a conversation's delete (which deletes its key) waits
// for the claim's transaction, then deletes the re-wrapped key and reads
// its new epoch.

const convKeyColumns = `tenant_id, conversation_id, epoch, wrapped_key, created_at`

func scanConvKey(row pgx.Row) (*driver.ConversationKey, error) {
	k := &driver.ConversationKey{}
	var epoch int64
	if err := row.Scan(scanID(&k.TenantID), scanID(&k.ConversationID), &epoch, &k.Wrapped, &k.CreatedAt); err != nil {
		return nil, err
	}
	k.Epoch, k.CreatedAt = uint32(epoch), k.CreatedAt.UTC()
	return k, nil
}

func (o *ops) ConversationKeyClaim(ctx context.Context, p *driver.ConversationKeyClaimParams) ([]*driver.ConversationKey, error) {
	return list(ctx, o, newQuery(`SELECT `+convKeyColumns+` FROM conversation_keys WHERE epoch >= $1 AND epoch < $2
		ORDER BY epoch, tenant_id, conversation_id LIMIT $3 FOR UPDATE SKIP LOCKED`, int64(p.From), int64(p.Before), p.Limit), scanConvKey)
}

// ConversationKeyRewrap updates every key in one statement, from arrays.
func (o *ops) ConversationKeyRewrap(ctx context.Context, keys []*driver.ConversationKey) (int, error) {
	return o.rewrapArrays(ctx, `UPDATE conversation_keys k SET epoch = u.epoch, wrapped_key = u.wrapped
		FROM unnest($1::bytea[], $2::bytea[], $3::bigint[], $4::bytea[]) AS u(tenant_id, conversation_id, epoch, wrapped)
		WHERE k.tenant_id = u.tenant_id AND k.conversation_id = u.conversation_id`, len(keys),
		func(i int) (convstore.ID, convstore.ID, uint32, []byte) {
			return keys[i].TenantID, keys[i].ConversationID, keys[i].Epoch, keys[i].Wrapped
		})
}

// rewrapArrays runs a rewrap statement over n keys passed as four arrays
// (tenant ids, row ids, epochs, wrapped keys; key gives the i-th) and
// counts the rows it changed.
func (o *ops) rewrapArrays(ctx context.Context, sql string, n int, key func(i int) (convstore.ID, convstore.ID, uint32, []byte)) (int, error) {
	if n == 0 {
		return 0, nil
	}
	tenants, ids, epochs, wrapped := make([][]byte, n), make([][]byte, n), make([]int64, n), make([][]byte, n)
	for i := range n {
		t, id, epoch, w := key(i)
		tenants[i], ids[i], epochs[i], wrapped[i] = idBytes(t), idBytes(id), int64(epoch), w
	}
	changed, err := o.exec(ctx, sql, tenants, ids, epochs, wrapped)
	return int(changed), err
}

func (o *ops) ConversationKeyEpochs(ctx context.Context) ([]driver.EpochKeys, error) {
	return o.epochCounts(ctx, `SELECT epoch, count(*) FROM conversation_keys GROUP BY epoch ORDER BY epoch`)
}

// epochCounts reads sql's (epoch, count) rows.
func (o *ops) epochCounts(ctx context.Context, sql string) ([]driver.EpochKeys, error) {
	return list(ctx, o, newQuery(sql), func(row pgx.Row) (driver.EpochKeys, error) {
		var epoch int64
		var e driver.EpochKeys
		err := row.Scan(&epoch, &e.Keys)
		e.Epoch = uint32(epoch)
		return e, err
	})
}

func (o *ops) ConversationKeyList(ctx context.Context, p *driver.ConversationKeyListParams) ([]*driver.ConversationKey, error) {
	return list(ctx, o, newQuery(`SELECT `+convKeyColumns+` FROM conversation_keys
		WHERE (tenant_id, conversation_id) > ($1, $2) ORDER BY tenant_id, conversation_id LIMIT $3`,
		// Not idArg: the zero id is a position here (before every key), not NULL.
		p.AfterTenant[:], p.AfterConversation[:], p.Limit), scanConvKey)
}
