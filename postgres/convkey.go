package postgres

import (
	"context"
	"errors"

	"github.com/jackc/pgx/v5"

	"github.com/convstore/convstore"
	"github.com/convstore/convstore/driver"
)

func (o *ops) ConversationKeyGet(ctx context.Context, tenantID, conversationID convstore.ID) (*driver.ConversationKey, error) {
	k := &driver.ConversationKey{TenantID: tenantID, ConversationID: conversationID}
	var epoch int64
	err := o.q.QueryRow(ctx, `SELECT epoch, wrapped_key, created_at FROM conversation_keys
		WHERE tenant_id = $1 AND conversation_id = $2`, idArg(tenantID), idArg(conversationID)).
		Scan(&epoch, &k.Wrapped, &k.CreatedAt)
	if err != nil {
		return nil, o.notFound(ctx, err, "conversation key")
	}
	k.Epoch, k.CreatedAt = uint32(epoch), k.CreatedAt.UTC()
	return k, nil
}

// ConversationKeyInsert inserts only under an existing conversation and
// ON CONFLICT DO NOTHING, so neither a missing parent nor a second key
// raises an error that would abort the transaction; a row count of zero
// is told apart by a lookup.
func (o *ops) ConversationKeyInsert(ctx context.Context, k *driver.ConversationKey) error {
	n, err := o.exec(ctx, `
		INSERT INTO conversation_keys (tenant_id, conversation_id, epoch, wrapped_key, created_at)
		SELECT $1, $2, $3, $4, $5 WHERE EXISTS (SELECT 1 FROM conversations WHERE tenant_id = $1 AND id = $2 AND NOT deleted)
		ON CONFLICT DO NOTHING`,
		idArg(k.TenantID), idArg(k.ConversationID), int64(k.Epoch), k.Wrapped, k.CreatedAt)
	if err != nil || n == 1 {
		return err
	}
	if err := o.exists(ctx, "conversation", `SELECT 1 FROM conversations WHERE tenant_id = $1 AND id = $2 AND NOT deleted`,
		idArg(k.TenantID), idArg(k.ConversationID)); err != nil {
		return err
	}
	return driver.ErrConversationKeyTaken()
}

// conversationKeyDelete removes a conversation's data key (ConversationDelete
// calls it under the row lock, before the row goes) and returns the epoch
// that wrapped it, 0 if it had none (the receipt's key_epoch). Under READ
// COMMITTED the DELETE waits for a rotation that holds the key and reads
// the epoch it committed.
func (o *ops) conversationKeyDelete(ctx context.Context, tenantID, conversationID convstore.ID) (uint32, error) {
	var epoch int64
	err := o.q.QueryRow(ctx, `DELETE FROM conversation_keys WHERE tenant_id = $1 AND conversation_id = $2 RETURNING epoch`,
		idArg(tenantID), idArg(conversationID)).Scan(&epoch)
	if errors.Is(err, pgx.ErrNoRows) {
		return 0, nil
	}
	if err != nil {
		return 0, o.fail(ctx, err)
	}
	return uint32(epoch), nil
}

func (o *ops) StoreMetaGet(ctx context.Context, name string) (string, error) {
	var v string
	if err := o.q.QueryRow(ctx, `SELECT value FROM store_meta WHERE name = $1`, name).Scan(&v); err != nil {
		return "", o.notFound(ctx, err, "store meta")
	}
	return v, nil
}

// StoreMetaInsert inserts ON CONFLICT DO NOTHING, then reads back: two
// nodes starting at once store one value, and each sees it.
func (o *ops) StoreMetaInsert(ctx context.Context, name, value string) (string, error) {
	if _, err := o.exec(ctx, `INSERT INTO store_meta (name, value) VALUES ($1, $2) ON CONFLICT DO NOTHING`, name, value); err != nil {
		return "", err
	}
	return o.StoreMetaGet(ctx, name)
}
