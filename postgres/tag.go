package postgres

import (
	"context"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/convstore/convstore"
	"github.com/convstore/convstore/driver"
)

// Tag definitions and conversations' tags (0026). Writers run
// concurrently: TagLock takes the row FOR UPDATE, and a key claim skips
// rows others hold.

const tagColumns = `tenant_id, id, title, description, created_by, key_epoch, wrapped_key, created_at, updated_at`

func scanTag(row pgx.Row) (*driver.TagRow, error) {
	t := &driver.TagRow{}
	var epoch *int64
	err := row.Scan(scanID(&t.TenantID), scanID(&t.ID), scanSealed(&t.Title), scanSealed(&t.Description),
		scanID(&t.CreatedBy), &epoch, scanBytes(&t.WrappedKey), &t.CreatedAt, &t.UpdatedAt)
	if err != nil {
		return nil, err
	}
	if epoch != nil {
		t.KeyEpoch = uint32(*epoch)
	}
	t.CreatedAt, t.UpdatedAt = t.CreatedAt.UTC(), t.UpdatedAt.UTC()
	return t, nil
}

func (o *ops) TagGet(ctx context.Context, tenantID, id convstore.ID) (*driver.TagRow, error) {
	return one(ctx, o, "tag", scanTag, `SELECT `+tagColumns+` FROM tags WHERE tenant_id = $1 AND id = $2`,
		idArg(tenantID), idArg(id))
}

func (o *ops) TagList(ctx context.Context, tenantID convstore.ID, p driver.Page) ([]*driver.TagRow, error) {
	return list(ctx, o, newQuery(`SELECT `+tagColumns+` FROM tags WHERE tenant_id = $1`, idArg(tenantID)).page(p), scanTag)
}

func (o *ops) ConversationTagList(ctx context.Context, tenantID convstore.ID, conversationIDs []convstore.ID) ([]driver.ConversationTag, error) {
	if len(conversationIDs) == 0 {
		return []driver.ConversationTag{}, nil
	}
	return list(ctx, o, newQuery(`SELECT conversation_id, tag_id FROM conversation_tags
		WHERE tenant_id = $1 AND conversation_id = ANY ($2::bytea[]) ORDER BY conversation_id, created_at, tag_id`,
		idArg(tenantID), idsArg(conversationIDs)), func(row pgx.Row) (driver.ConversationTag, error) {
		var l driver.ConversationTag
		err := row.Scan(scanID(&l.ConversationID), scanID(&l.TagID))
		return l, err
	})
}

func (o *ops) TagKeyEpochs(ctx context.Context) ([]driver.EpochKeys, error) {
	return o.epochCounts(ctx, `SELECT key_epoch, count(*) FROM tags WHERE key_epoch IS NOT NULL
		GROUP BY key_epoch ORDER BY key_epoch`)
}

func (o *ops) TagKeyList(ctx context.Context, p *driver.ConversationKeyListParams) ([]*driver.ConversationKey, error) {
	return list(ctx, o, newQuery(`SELECT tenant_id, id, key_epoch, wrapped_key, created_at FROM tags
		WHERE key_epoch IS NOT NULL AND (tenant_id, id) > ($1, $2) ORDER BY tenant_id, id LIMIT $3`,
		// Not idArg: the zero id is a position here (before every key), not NULL.
		p.AfterTenant[:], p.AfterConversation[:], p.Limit), scanConvKey)
}

// TagInsert inserts through the tenant's row: no row is a missing tenant.
func (o *ops) TagInsert(ctx context.Context, t *driver.TagRow) error {
	return o.execOne(ctx, "tenant", `INSERT INTO tags (`+tagColumns+`)
		SELECT id, $2, $3, $4, $5, $6, $7, $8, $9 FROM tenants WHERE id = $1`,
		idArg(t.TenantID), idArg(t.ID), sealedArg(t.Title), sealedArg(t.Description), idArg(t.CreatedBy),
		nullEpoch(t.KeyEpoch), bytesArg(t.WrappedKey), t.CreatedAt, t.UpdatedAt)
}

func (o *ops) TagLock(ctx context.Context, tenantID, id convstore.ID) (*driver.TagRow, error) {
	return one(ctx, o, "tag", scanTag, `SELECT `+tagColumns+` FROM tags WHERE tenant_id = $1 AND id = $2 FOR UPDATE`,
		idArg(tenantID), idArg(id))
}

func (o *ops) TagUpdate(ctx context.Context, t *driver.TagRow) error {
	return o.execOne(ctx, "tag", `UPDATE tags SET title = $3, description = $4, key_epoch = $5, wrapped_key = $6,
		updated_at = greatest(updated_at, $7) WHERE tenant_id = $1 AND id = $2`,
		idArg(t.TenantID), idArg(t.ID), sealedArg(t.Title), sealedArg(t.Description), nullEpoch(t.KeyEpoch),
		bytesArg(t.WrappedKey), t.UpdatedAt)
}

// TagDelete deletes the row (its key with it); the links go by the
// cascade.
func (o *ops) TagDelete(ctx context.Context, tenantID, id convstore.ID) error {
	return o.execOne(ctx, "tag", `DELETE FROM tags WHERE tenant_id = $1 AND id = $2`, idArg(tenantID), idArg(id))
}

func (o *ops) ConversationTagAdd(ctx context.Context, tenantID, conversationID convstore.ID, tagIDs []convstore.ID, now time.Time) (int, error) {
	if _, err := o.exec(ctx, `INSERT INTO conversation_tags (tenant_id, conversation_id, tag_id, created_at)
		SELECT $1, $2, x.t, $4 FROM unnest($3::bytea[]) AS x(t) ON CONFLICT DO NOTHING`,
		idArg(tenantID), idArg(conversationID), idsArg(tagIDs), now); err != nil {
		return 0, err
	}
	var n int
	err := o.q.QueryRow(ctx, `SELECT count(*) FROM conversation_tags WHERE tenant_id = $1 AND conversation_id = $2`,
		idArg(tenantID), idArg(conversationID)).Scan(&n)
	return n, o.fail(ctx, err)
}

func (o *ops) ConversationTagRemove(ctx context.Context, tenantID, conversationID, tagID convstore.ID) error {
	_, err := o.exec(ctx, `DELETE FROM conversation_tags WHERE tenant_id = $1 AND conversation_id = $2 AND tag_id = $3`,
		idArg(tenantID), idArg(conversationID), idArg(tagID))
	return err
}

func (o *ops) TagKeyClaim(ctx context.Context, p *driver.ConversationKeyClaimParams) ([]*driver.ConversationKey, error) {
	return list(ctx, o, newQuery(`SELECT tenant_id, id, key_epoch, wrapped_key, created_at FROM tags
		WHERE key_epoch >= $1 AND key_epoch < $2 ORDER BY key_epoch, tenant_id, id LIMIT $3 FOR UPDATE SKIP LOCKED`,
		int64(p.From), int64(p.Before), p.Limit), scanConvKey)
}

func (o *ops) TagKeyRewrap(ctx context.Context, keys []*driver.ConversationKey) (int, error) {
	return o.rewrapArrays(ctx, `UPDATE tags t SET key_epoch = x.epoch, wrapped_key = x.wrapped
		FROM unnest($1::bytea[], $2::bytea[], $3::bigint[], $4::bytea[]) AS x(tenant_id, id, epoch, wrapped)
		WHERE t.tenant_id = x.tenant_id AND t.id = x.id AND t.key_epoch IS NOT NULL`, len(keys),
		func(i int) (convstore.ID, convstore.ID, uint32, []byte) {
			return keys[i].TenantID, keys[i].ConversationID, keys[i].Epoch, keys[i].Wrapped
		})
}
