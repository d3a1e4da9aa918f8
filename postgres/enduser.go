package postgres

import (
	"context"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/convstore/convstore"
	"github.com/convstore/convstore/driver"
)

// End-user records (0023). Writers run concurrently: EndUserLock takes
// the row FOR UPDATE, and a key claim skips rows others hold.

const endUserColumns = `tenant_id, id, user_id, user_idx, external_id, external_idx, name, metadata, moved, index_root,
	key_epoch, wrapped_key, created_at, updated_at`

func scanEndUser(row pgx.Row) (*driver.EndUserRow, error) {
	u := &driver.EndUserRow{}
	var epoch *int64
	var root int64
	err := row.Scan(scanID(&u.TenantID), scanID(&u.ID), scanSealed(&u.UserID), scanBytes(&u.UserIndex),
		scanSealed(&u.ExternalID), scanBytes(&u.ExternalIndex), scanSealed(&u.Name), scanBytes(&u.Meta), &u.Moved, &root, &epoch,
		scanBytes(&u.WrappedKey), &u.CreatedAt, &u.UpdatedAt)
	if err != nil {
		return nil, err
	}
	if epoch != nil {
		u.KeyEpoch = uint32(*epoch)
	}
	u.IndexRoot = uint32(root)
	u.CreatedAt, u.UpdatedAt = u.CreatedAt.UTC(), u.UpdatedAt.UTC()
	return u, nil
}

func (o *ops) EndUserGet(ctx context.Context, tenantID, id convstore.ID) (*driver.EndUserRow, error) {
	return one(ctx, o, "end user", scanEndUser,
		`SELECT `+endUserColumns+` FROM end_users WHERE tenant_id = $1 AND id = $2`, idArg(tenantID), idArg(id))
}

func (o *ops) EndUserGetByExternal(ctx context.Context, tenantID convstore.ID, indexes [][]byte, externalID string) (*driver.EndUserRow, error) {
	if indexes == nil {
		indexes = [][]byte{}
	}
	return one(ctx, o, "end user", scanEndUser,
		`SELECT `+endUserColumns+` FROM end_users WHERE tenant_id = $1 AND
			(external_idx = ANY ($2::bytea[]) OR external_idx IS NULL AND external_id = $3) LIMIT 1`,
		idArg(tenantID), indexes, []byte(externalID))
}

func (o *ops) EndUserList(ctx context.Context, p *driver.EndUserListParams) ([]*driver.EndUserRow, error) {
	q := newQuery(`SELECT `+endUserColumns+` FROM end_users WHERE tenant_id = $1`, idArg(p.TenantID))
	if len(p.UserIndexes) > 0 {
		q.and("(user_idx = ANY (?::bytea[]) OR user_idx IS NULL AND user_id = ?)", p.UserIndexes, []byte(p.UserID))
	}
	for _, alts := range p.MetaPairs {
		q.and(`EXISTS (SELECT 1 FROM end_user_meta_index mi WHERE mi.tenant_id = end_users.tenant_id
			AND mi.end_user_id = end_users.id AND mi.pair_idx = ANY (?::bytea[]))`, alts)
	}
	if p.CreatedAfter != nil {
		q.and("created_at > ?", p.CreatedAfter.Truncate(time.Microsecond))
	}
	if p.CreatedBefore != nil {
		b := p.CreatedBefore.Truncate(time.Microsecond)
		if b.Before(*p.CreatedBefore) {
			b = b.Add(time.Microsecond)
		}
		q.and("created_at < ?", b)
	}
	return list(ctx, o, q.page(p.Page), scanEndUser)
}

func (o *ops) EndUserKeyEpochs(ctx context.Context) ([]driver.EpochKeys, error) {
	return o.epochCounts(ctx, `SELECT key_epoch, count(*) FROM end_users WHERE key_epoch IS NOT NULL
		GROUP BY key_epoch ORDER BY key_epoch`)
}

func (o *ops) EndUserListBelowRoot(ctx context.Context, root uint32, limit int) ([]*driver.EndUserRow, error) {
	return list(ctx, o, newQuery(`SELECT `+endUserColumns+` FROM end_users WHERE index_root < $1 ORDER BY tenant_id, id LIMIT $2`,
		int64(root), limit), scanEndUser)
}

func (o *ops) EndUserKeyList(ctx context.Context, p *driver.ConversationKeyListParams) ([]*driver.ConversationKey, error) {
	return list(ctx, o, newQuery(`SELECT tenant_id, id, key_epoch, wrapped_key, created_at FROM end_users
		WHERE key_epoch IS NOT NULL AND (tenant_id, id) > ($1, $2) ORDER BY tenant_id, id LIMIT $3`,
		// Not idArg: the zero id is a position here (before every key), not NULL.
		p.AfterTenant[:], p.AfterConversation[:], p.Limit), scanConvKey)
}

func (o *ops) HoldOnUser(ctx context.Context, tenantID convstore.ID, indexes [][]byte) (convstore.ID, error) {
	var id convstore.ID
	if len(indexes) == 0 {
		return id, convstore.NotFound("hold")
	}
	err := o.q.QueryRow(ctx, `SELECT id FROM holds WHERE tenant_id = $1
		AND (user_idx = ANY ($2::bytea[]) OR user_idx_alt = ANY ($2::bytea[])) ORDER BY id LIMIT 1`,
		idArg(tenantID), indexes).Scan(scanID(&id))
	return id, o.notFound(ctx, err, "hold")
}

// EndUserInsert inserts with ON CONFLICT DO NOTHING (a conflict never
// puts a value in the server's log); no row is a missing tenant or a
// taken external or user id, told apart by lookups.
func (o *ops) EndUserInsert(ctx context.Context, u *driver.EndUserRow) error {
	n, err := o.exec(ctx, `INSERT INTO end_users (`+endUserColumns+`)
		SELECT id, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14 FROM tenants WHERE id = $1
		ON CONFLICT DO NOTHING`,
		idArg(u.TenantID), idArg(u.ID), sealedArg(u.UserID), bytesArg(u.UserIndex), nullSealedArg(u.ExternalID),
		bytesArg(u.ExternalIndex), sealedArg(u.Name), bytesArg(u.Meta), u.Moved, int64(u.IndexRoot), nullEpoch(u.KeyEpoch),
		bytesArg(u.WrappedKey), u.CreatedAt, u.UpdatedAt)
	if err != nil {
		return err
	}
	if n == 1 {
		return o.endUserMetaInsert(ctx, u)
	}
	if err := o.exists(ctx, "tenant", `SELECT 1 FROM tenants WHERE id = $1`, idArg(u.TenantID)); err != nil {
		return err
	}
	if len(u.ExternalIndex) > 0 {
		var taken bool
		err := o.q.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM end_users WHERE tenant_id = $1 AND external_idx = $2)`,
			idArg(u.TenantID), u.ExternalIndex).Scan(&taken)
		if err != nil {
			return o.fail(ctx, err)
		}
		if taken {
			return driver.ErrExternalIDTaken()
		}
	}
	return driver.ErrEndUserTaken()
}

func (o *ops) endUserMetaInsert(ctx context.Context, u *driver.EndUserRow) error {
	if len(u.MetaIndex) == 0 {
		return nil
	}
	keys, pairs := make([][]byte, len(u.MetaIndex)), make([][]byte, len(u.MetaIndex))
	for i, m := range u.MetaIndex {
		keys[i], pairs[i] = m.Key, m.Pair
	}
	_, err := o.exec(ctx, `
		INSERT INTO end_user_meta_index (tenant_id, end_user_id, key_idx, pair_idx)
		SELECT $1, $2, x.k, x.p FROM unnest($3::bytea[], $4::bytea[]) AS x(k, p)
		ON CONFLICT DO NOTHING`, idArg(u.TenantID), idArg(u.ID), keys, pairs)
	return err
}

func (o *ops) EndUserLock(ctx context.Context, tenantID, id convstore.ID) (*driver.EndUserRow, error) {
	return one(ctx, o, "end user", scanEndUser,
		`SELECT `+endUserColumns+` FROM end_users WHERE tenant_id = $1 AND id = $2 FOR UPDATE`, idArg(tenantID), idArg(id))
}

func (o *ops) EndUserUpdate(ctx context.Context, u *driver.EndUserRow) (*driver.EndUserRow, error) {
	row, err := one(ctx, o, "end user", scanEndUser, `UPDATE end_users SET user_id = $3, user_idx = $4, external_id = $5,
		external_idx = $6, name = $7, metadata = $8, moved = $9, index_root = $13, key_epoch = $10, wrapped_key = $11,
		updated_at = greatest(updated_at, $12) WHERE tenant_id = $1 AND id = $2 RETURNING `+endUserColumns,
		idArg(u.TenantID), idArg(u.ID), sealedArg(u.UserID), bytesArg(u.UserIndex), nullSealedArg(u.ExternalID),
		bytesArg(u.ExternalIndex), sealedArg(u.Name), bytesArg(u.Meta), u.Moved, nullEpoch(u.KeyEpoch),
		bytesArg(u.WrappedKey), u.UpdatedAt, int64(u.IndexRoot))
	if err != nil {
		return nil, err
	}
	if _, err := o.exec(ctx, `DELETE FROM end_user_meta_index WHERE tenant_id = $1 AND end_user_id = $2`,
		idArg(u.TenantID), idArg(u.ID)); err != nil {
		return nil, err
	}
	return row, o.endUserMetaInsert(ctx, u)
}

// EndUserDelete deletes the row (its key with it); the pair indexes go
// by the cascade.
func (o *ops) EndUserDelete(ctx context.Context, tenantID, id convstore.ID) (*driver.EndUserRow, error) {
	return one(ctx, o, "end user", scanEndUser,
		`DELETE FROM end_users WHERE tenant_id = $1 AND id = $2 RETURNING `+endUserColumns, idArg(tenantID), idArg(id))
}

func (o *ops) EndUserKeyClaim(ctx context.Context, p *driver.ConversationKeyClaimParams) ([]*driver.ConversationKey, error) {
	return list(ctx, o, newQuery(`SELECT tenant_id, id, key_epoch, wrapped_key, created_at FROM end_users
		WHERE key_epoch >= $1 AND key_epoch < $2 ORDER BY key_epoch, tenant_id, id LIMIT $3 FOR UPDATE SKIP LOCKED`,
		int64(p.From), int64(p.Before), p.Limit), scanConvKey)
}

func (o *ops) EndUserKeyRewrap(ctx context.Context, keys []*driver.ConversationKey) (int, error) {
	return o.rewrapArrays(ctx, `UPDATE end_users e SET key_epoch = x.epoch, wrapped_key = x.wrapped
		FROM unnest($1::bytea[], $2::bytea[], $3::bigint[], $4::bytea[]) AS x(tenant_id, id, epoch, wrapped)
		WHERE e.tenant_id = x.tenant_id AND e.id = x.id AND e.key_epoch IS NOT NULL`, len(keys),
		func(i int) (convstore.ID, convstore.ID, uint32, []byte) {
			return keys[i].TenantID, keys[i].ConversationID, keys[i].Epoch, keys[i].Wrapped
		})
}
