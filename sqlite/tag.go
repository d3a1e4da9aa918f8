package sqlite

import (
	"context"
	"time"

	"github.com/convstore/convstore"
	"github.com/convstore/convstore/driver"
)

// Tag definitions and conversations' tags (0026). With one writer,
// TagLock needs no lock.

const tagColumns = `id, tenant_id, title, description, created_by, key_epoch, wrapped_key, created_at, updated_at`

var (
	qTagGet    = stmt(`SELECT ` + tagColumns + ` FROM tags WHERE tenant_id = ? AND id = ?`)
	qTagInsert = stmt(`INSERT INTO tags (` + tagColumns + `) VALUES (` + placeholders(9) + `)`)
	qTagUpdate = stmt(`UPDATE tags SET title = ?, description = ?, key_epoch = ?, wrapped_key = ?,
		updated_at = max(updated_at, ?) WHERE tenant_id = ? AND id = ?`)
	qTagDelete   = stmt(`DELETE FROM tags WHERE tenant_id = ? AND id = ?`)
	qTagLinksDel = stmt(`DELETE FROM conversation_tags WHERE tenant_id = ? AND tag_id = ?`)
	qTagKeys     = stmt(`SELECT tenant_id, id, key_epoch, wrapped_key, created_at FROM tags
		WHERE key_epoch >= ? AND key_epoch < ? ORDER BY key_epoch, tenant_id, id LIMIT ?`)
	qTagRewrap = stmt(`UPDATE tags SET key_epoch = ?, wrapped_key = ? WHERE tenant_id = ? AND id = ?
		AND key_epoch IS NOT NULL`)
	qTagKeyList = stmt(`SELECT tenant_id, id, key_epoch, wrapped_key, created_at FROM tags
		WHERE key_epoch IS NOT NULL AND (tenant_id, id) > (?, ?) ORDER BY tenant_id, id LIMIT ?`)
	qTagEpochs = stmt(`SELECT key_epoch, count(*) FROM tags WHERE key_epoch IS NOT NULL
		GROUP BY key_epoch ORDER BY key_epoch`)
	qConvTagAdd = stmt(`INSERT INTO conversation_tags (tenant_id, conversation_id, tag_id, created_at)
		VALUES (?, ?, ?, ?) ON CONFLICT DO NOTHING`)
	qConvTagCount  = stmt(`SELECT count(*) FROM conversation_tags WHERE tenant_id = ? AND conversation_id = ?`)
	qConvTagRemove = stmt(`DELETE FROM conversation_tags WHERE tenant_id = ? AND conversation_id = ? AND tag_id = ?`)
)

func scanTag(row scanner) (*driver.TagRow, error) {
	t := &driver.TagRow{}
	err := row.Scan(idScan{&t.ID}, idScan{&t.TenantID}, sealedScan{&t.Title}, sealedScan{&t.Description},
		idScan{&t.CreatedBy}, epochScan{&t.KeyEpoch}, bytesScan{&t.WrappedKey}, timeScan{&t.CreatedAt}, timeScan{&t.UpdatedAt})
	if err != nil {
		return nil, err
	}
	return t, nil
}

func (o *ops) TagGet(ctx context.Context, tenantID, id convstore.ID) (*driver.TagRow, error) {
	return one(ctx, o, qTagGet, []any{idArg(tenantID), idArg(id)}, "tag", scanTag)
}

func (o *ops) TagList(ctx context.Context, tenantID convstore.ID, p driver.Page) ([]*driver.TagRow, error) {
	q, args := pageOf(`SELECT `+tagColumns+` FROM tags WHERE tenant_id = ?`, p, []any{idArg(tenantID)})
	return list(ctx, o, q, args, scanTag)
}

func (o *ops) ConversationTagList(ctx context.Context, tenantID convstore.ID, conversationIDs []convstore.ID) ([]driver.ConversationTag, error) {
	if len(conversationIDs) == 0 {
		return []driver.ConversationTag{}, nil
	}
	args := []any{idArg(tenantID)}
	for _, id := range conversationIDs {
		args = append(args, idArg(id))
	}
	return list(ctx, o, `SELECT conversation_id, tag_id FROM conversation_tags WHERE tenant_id = ? AND conversation_id IN (`+
		placeholders(len(conversationIDs))+`) ORDER BY conversation_id, created_at, tag_id`, args,
		func(row scanner) (driver.ConversationTag, error) {
			var l driver.ConversationTag
			err := row.Scan(idScan{&l.ConversationID}, idScan{&l.TagID})
			return l, err
		})
}

func (o *ops) TagKeyEpochs(ctx context.Context) ([]driver.EpochKeys, error) {
	return o.epochCounts(ctx, qTagEpochs)
}

func (o *ops) TagKeyList(ctx context.Context, p *driver.ConversationKeyListParams) ([]*driver.ConversationKey, error) {
	return list(ctx, o, qTagKeyList, []any{idArg(p.AfterTenant), idArg(p.AfterConversation), p.Limit}, scanEndUserKey)
}

func (o *ops) TagInsert(ctx context.Context, t *driver.TagRow) error {
	res, err := o.run.exec(ctx, qTagInsert, idArg(t.ID), idArg(t.TenantID), sealedArg(t.Title), sealedArg(t.Description),
		nullID(t.CreatedBy), nullEpoch(t.KeyEpoch), bytesArg(t.WrappedKey), micros(t.CreatedAt), micros(t.UpdatedAt))
	return o.db.insertedOne(res, err, func() error { return convstore.Errorf(convstore.ECONFLICT, "the tag exists") }, "tenant")
}

func (o *ops) TagLock(ctx context.Context, tenantID, id convstore.ID) (*driver.TagRow, error) {
	return o.TagGet(ctx, tenantID, id)
}

func (o *ops) TagUpdate(ctx context.Context, t *driver.TagRow) error {
	res, err := o.run.exec(ctx, qTagUpdate, sealedArg(t.Title), sealedArg(t.Description), nullEpoch(t.KeyEpoch),
		bytesArg(t.WrappedKey), micros(t.UpdatedAt), idArg(t.TenantID), idArg(t.ID))
	return o.db.affectedOne(res, err, "tag")
}

// TagDelete deletes the links explicitly, not by the cascade alone, then
// the row (its key with it).
func (o *ops) TagDelete(ctx context.Context, tenantID, id convstore.ID) error {
	if _, err := o.run.exec(ctx, qTagLinksDel, idArg(tenantID), idArg(id)); err != nil {
		return o.db.translate(err)
	}
	res, err := o.run.exec(ctx, qTagDelete, idArg(tenantID), idArg(id))
	return o.db.affectedOne(res, err, "tag")
}

func (o *ops) ConversationTagAdd(ctx context.Context, tenantID, conversationID convstore.ID, tagIDs []convstore.ID, now time.Time) (int, error) {
	for _, tag := range tagIDs {
		if _, err := o.run.exec(ctx, qConvTagAdd, idArg(tenantID), idArg(conversationID), idArg(tag), micros(now)); err != nil {
			return 0, o.db.translate(err)
		}
	}
	var n int
	err := o.run.queryRow(ctx, qConvTagCount, idArg(tenantID), idArg(conversationID)).Scan(&n)
	return n, o.db.translate(err)
}

func (o *ops) ConversationTagRemove(ctx context.Context, tenantID, conversationID, tagID convstore.ID) error {
	_, err := o.run.exec(ctx, qConvTagRemove, idArg(tenantID), idArg(conversationID), idArg(tagID))
	return o.db.translate(err)
}

func (o *ops) TagKeyClaim(ctx context.Context, p *driver.ConversationKeyClaimParams) ([]*driver.ConversationKey, error) {
	return list(ctx, o, qTagKeys, []any{int64(p.From), int64(p.Before), p.Limit}, scanEndUserKey)
}

func (o *ops) TagKeyRewrap(ctx context.Context, keys []*driver.ConversationKey) (int, error) {
	return o.rewrapEach(ctx, qTagRewrap, len(keys), func(i int) []any {
		k := keys[i]
		return []any{int64(k.Epoch), k.Wrapped, idArg(k.TenantID), idArg(k.ConversationID)}
	})
}
