package sqlite

import (
	"context"
	"strings"

	"github.com/convstore/convstore"
	"github.com/convstore/convstore/driver"
)

// End-user records (0023). With one writer, EndUserLock needs no lock.

const endUserColumns = `id, tenant_id, user_id, user_idx, external_id, external_idx, name, metadata, moved, index_root,
	key_epoch, wrapped_key, created_at, updated_at`

var (
	qEndUserGet      = stmt(`SELECT ` + endUserColumns + ` FROM end_users WHERE tenant_id = ? AND id = ?`)
	qEndUserInsert   = stmt(`INSERT INTO end_users (` + endUserColumns + `) VALUES (` + placeholders(14) + `) ON CONFLICT DO NOTHING`)
	qEndUserExternal = stmt(`SELECT 1 FROM end_users WHERE tenant_id = ? AND external_idx = ?`)
	qEndUserDelete   = stmt(`DELETE FROM end_users WHERE tenant_id = ? AND id = ? RETURNING ` + endUserColumns)
	qEndUserMetaIns  = stmt(`INSERT INTO end_user_meta_index (tenant_id, end_user_id, key_idx, pair_idx)
		VALUES (?, ?, ?, ?) ON CONFLICT DO NOTHING`)
	qEndUserMetaDel = stmt(`DELETE FROM end_user_meta_index WHERE tenant_id = ? AND end_user_id = ?`)
	qEndUserKeys    = stmt(`SELECT tenant_id, id, key_epoch, wrapped_key, created_at FROM end_users
		WHERE key_epoch >= ? AND key_epoch < ? ORDER BY key_epoch, tenant_id, id LIMIT ?`)
	qEndUserRewrap = stmt(`UPDATE end_users SET key_epoch = ?, wrapped_key = ? WHERE tenant_id = ? AND id = ?
		AND key_epoch IS NOT NULL`)
	qEndUserBelow   = stmt(`SELECT ` + endUserColumns + ` FROM end_users WHERE index_root < ? ORDER BY tenant_id, id LIMIT ?`)
	qEndUserKeyList = stmt(`SELECT tenant_id, id, key_epoch, wrapped_key, created_at FROM end_users
		WHERE key_epoch IS NOT NULL AND (tenant_id, id) > (?, ?) ORDER BY tenant_id, id LIMIT ?`)
	qEndUserEpochs = stmt(`SELECT key_epoch, count(*) FROM end_users WHERE key_epoch IS NOT NULL
		GROUP BY key_epoch ORDER BY key_epoch`)
)

func scanEndUser(row scanner) (*driver.EndUserRow, error) {
	u := &driver.EndUserRow{}
	err := row.Scan(idScan{&u.ID}, idScan{&u.TenantID}, sealedScan{&u.UserID}, bytesScan{&u.UserIndex},
		sealedScan{&u.ExternalID}, bytesScan{&u.ExternalIndex}, sealedScan{&u.Name}, bytesScan{&u.Meta}, &u.Moved,
		&u.IndexRoot, epochScan{&u.KeyEpoch}, bytesScan{&u.WrappedKey}, timeScan{&u.CreatedAt}, timeScan{&u.UpdatedAt})
	if err != nil {
		return nil, err
	}
	return u, nil
}

func (o *ops) EndUserGet(ctx context.Context, tenantID, id convstore.ID) (*driver.EndUserRow, error) {
	return one(ctx, o, qEndUserGet, []any{idArg(tenantID), idArg(id)}, "end user", scanEndUser)
}

func (o *ops) EndUserGetByExternal(ctx context.Context, tenantID convstore.ID, indexes [][]byte, externalID string) (*driver.EndUserRow, error) {
	args := []any{idArg(tenantID)}
	for _, idx := range indexes {
		args = append(args, idx)
	}
	args = append(args, externalID, externalID)
	q := `SELECT ` + endUserColumns + ` FROM end_users WHERE tenant_id = ? AND (external_idx IN (` +
		placeholders(max(len(indexes), 1)) + `) OR external_idx IS NULL AND external_id IN (?, CAST(? AS BLOB))) LIMIT 1`
	if len(indexes) == 0 {
		args = append(args[:1], append([]any{nil}, args[1:]...)...)
	}
	return one(ctx, o, q, args, "end user", scanEndUser)
}

func (o *ops) EndUserList(ctx context.Context, p *driver.EndUserListParams) ([]*driver.EndUserRow, error) {
	var sb strings.Builder
	sb.WriteString(`SELECT ` + endUserColumns + ` FROM end_users WHERE tenant_id = ?`)
	args := []any{idArg(p.TenantID)}
	if len(p.UserIndexes) > 0 {
		sb.WriteString(` AND (user_idx IN (` + placeholders(len(p.UserIndexes)) + `) OR user_idx IS NULL AND user_id IN (?, CAST(? AS BLOB)))`)
		for _, idx := range p.UserIndexes {
			args = append(args, idx)
		}
		args = append(args, p.UserID, p.UserID)
	}
	for _, alts := range p.MetaPairs {
		sb.WriteString(` AND EXISTS (SELECT 1 FROM end_user_meta_index mi WHERE mi.tenant_id = end_users.tenant_id
			AND mi.end_user_id = end_users.id AND mi.pair_idx IN (` + placeholders(len(alts)) + `))`)
		for _, a := range alts {
			args = append(args, a)
		}
	}
	if p.CreatedAfter != nil {
		sb.WriteString(` AND created_at > ?`)
		args = append(args, floorMicros(*p.CreatedAfter))
	}
	if p.CreatedBefore != nil {
		sb.WriteString(` AND created_at < ?`)
		args = append(args, ceilMicros(*p.CreatedBefore))
	}
	q, args := pageOf(sb.String(), p.Page, args)
	return list(ctx, o, q, args, scanEndUser)
}

func (o *ops) EndUserKeyEpochs(ctx context.Context) ([]driver.EpochKeys, error) {
	return o.epochCounts(ctx, qEndUserEpochs)
}

func (o *ops) EndUserListBelowRoot(ctx context.Context, root uint32, limit int) ([]*driver.EndUserRow, error) {
	return list(ctx, o, qEndUserBelow, []any{int64(root), limit}, scanEndUser)
}

func (o *ops) EndUserKeyList(ctx context.Context, p *driver.ConversationKeyListParams) ([]*driver.ConversationKey, error) {
	return list(ctx, o, qEndUserKeyList, []any{idArg(p.AfterTenant), idArg(p.AfterConversation), p.Limit}, scanEndUserKey)
}

func (o *ops) HoldOnUser(ctx context.Context, tenantID convstore.ID, indexes [][]byte) (convstore.ID, error) {
	var id convstore.ID
	if len(indexes) == 0 {
		return id, convstore.NotFound("hold")
	}
	in := placeholders(len(indexes))
	args := []any{idArg(tenantID)}
	for range 2 {
		for _, idx := range indexes {
			args = append(args, idx)
		}
	}
	err := o.run.queryRow(ctx, `SELECT id FROM holds WHERE tenant_id = ? AND (user_idx IN (`+in+`) OR user_idx_alt IN (`+in+`))
		ORDER BY id LIMIT 1`, args...).Scan(idScan{&id})
	return id, o.db.notFound(err, "hold")
}

// EndUserInsert inserts with ON CONFLICT DO NOTHING: no row inserted
// means the external id or the user id is taken, told apart by a lookup.
func (o *ops) EndUserInsert(ctx context.Context, u *driver.EndUserRow) error {
	res, err := o.run.exec(ctx, qEndUserInsert, idArg(u.ID), idArg(u.TenantID), sealedArg(u.UserID), bytesArg(u.UserIndex),
		nullSealedArg(u.ExternalID), bytesArg(u.ExternalIndex), sealedArg(u.Name), bytesArg(u.Meta), u.Moved,
		int64(u.IndexRoot), nullEpoch(u.KeyEpoch), bytesArg(u.WrappedKey), micros(u.CreatedAt), micros(u.UpdatedAt))
	err = o.db.insertedOne(res, err, driver.ErrEndUserTaken, "tenant")
	if err != nil && convstore.ErrorCode(err) == convstore.ECONFLICT && len(u.ExternalIndex) > 0 &&
		o.exists(ctx, qEndUserExternal, "end user", idArg(u.TenantID), u.ExternalIndex) == nil {
		return driver.ErrExternalIDTaken()
	}
	if err != nil {
		return err
	}
	return o.endUserMetaInsert(ctx, u)
}

func (o *ops) endUserMetaInsert(ctx context.Context, u *driver.EndUserRow) error {
	for _, m := range u.MetaIndex {
		if _, err := o.run.exec(ctx, qEndUserMetaIns, idArg(u.TenantID), idArg(u.ID), m.Key, m.Pair); err != nil {
			return o.db.translate(err)
		}
	}
	return nil
}

func (o *ops) EndUserLock(ctx context.Context, tenantID, id convstore.ID) (*driver.EndUserRow, error) {
	return o.EndUserGet(ctx, tenantID, id)
}

func (o *ops) EndUserUpdate(ctx context.Context, u *driver.EndUserRow) (*driver.EndUserRow, error) {
	row, err := one(ctx, o, `UPDATE end_users SET user_id = ?, user_idx = ?, external_id = ?, external_idx = ?, name = ?,
		metadata = ?, moved = ?, index_root = ?, key_epoch = ?, wrapped_key = ?, updated_at = max(updated_at, ?)
		WHERE tenant_id = ? AND id = ? RETURNING `+endUserColumns,
		[]any{sealedArg(u.UserID), bytesArg(u.UserIndex), nullSealedArg(u.ExternalID), bytesArg(u.ExternalIndex),
			sealedArg(u.Name), bytesArg(u.Meta), u.Moved, int64(u.IndexRoot), nullEpoch(u.KeyEpoch), bytesArg(u.WrappedKey), micros(u.UpdatedAt),
			idArg(u.TenantID), idArg(u.ID)}, "end user", scanEndUser)
	if err != nil {
		return nil, err
	}
	if _, err := o.run.exec(ctx, qEndUserMetaDel, idArg(u.TenantID), idArg(u.ID)); err != nil {
		return nil, o.db.translate(err)
	}
	return row, o.endUserMetaInsert(ctx, u)
}

// EndUserDelete deletes the row (its key with it) and, explicitly rather
// than by the cascade alone, its pair indexes.
func (o *ops) EndUserDelete(ctx context.Context, tenantID, id convstore.ID) (*driver.EndUserRow, error) {
	if _, err := o.run.exec(ctx, qEndUserMetaDel, idArg(tenantID), idArg(id)); err != nil {
		return nil, o.db.translate(err)
	}
	return one(ctx, o, qEndUserDelete, []any{idArg(tenantID), idArg(id)}, "end user", scanEndUser)
}

func (o *ops) EndUserKeyClaim(ctx context.Context, p *driver.ConversationKeyClaimParams) ([]*driver.ConversationKey, error) {
	return list(ctx, o, qEndUserKeys, []any{int64(p.From), int64(p.Before), p.Limit}, scanEndUserKey)
}

// scanEndUserKey scans a record's key as a conversation key.
func scanEndUserKey(row scanner) (*driver.ConversationKey, error) {
	k := &driver.ConversationKey{}
	if err := row.Scan(idScan{&k.TenantID}, idScan{&k.ConversationID}, epochScan{&k.Epoch}, &k.Wrapped, timeScan{&k.CreatedAt}); err != nil {
		return nil, err
	}
	return k, nil
}

func (o *ops) EndUserKeyRewrap(ctx context.Context, keys []*driver.ConversationKey) (int, error) {
	return o.rewrapEach(ctx, qEndUserRewrap, len(keys), func(i int) []any {
		k := keys[i]
		return []any{int64(k.Epoch), k.Wrapped, idArg(k.TenantID), idArg(k.ConversationID)}
	})
}
