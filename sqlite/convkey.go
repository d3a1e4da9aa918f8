package sqlite

import (
	"context"
	"database/sql"
	"errors"

	"github.com/convstore/convstore"
	"github.com/convstore/convstore/driver"
)

var (
	qConvKeyGet = stmt(`SELECT epoch, wrapped_key, created_at FROM conversation_keys
		WHERE tenant_id = ? AND conversation_id = ?`)
	qConvKeyInsert = stmt(`INSERT INTO conversation_keys (tenant_id, conversation_id, epoch, wrapped_key, created_at)
		VALUES (?, ?, ?, ?, ?) ON CONFLICT DO NOTHING`)
	qConvKeyDelete = stmt(`DELETE FROM conversation_keys WHERE tenant_id = ? AND conversation_id = ? RETURNING epoch`)
	qStoreMetaGet  = stmt(`SELECT value FROM store_meta WHERE name = ?`)
	qStoreMetaPut  = stmt(`INSERT INTO store_meta (name, value) VALUES (?, ?) ON CONFLICT DO NOTHING`)
)

func (o *ops) ConversationKeyGet(ctx context.Context, tenantID, conversationID convstore.ID) (*driver.ConversationKey, error) {
	k := &driver.ConversationKey{TenantID: tenantID, ConversationID: conversationID}
	err := o.run.queryRow(ctx, qConvKeyGet, idArg(tenantID), idArg(conversationID)).
		Scan(&k.Epoch, &k.Wrapped, timeScan{&k.CreatedAt})
	if err != nil {
		return nil, o.db.notFound(err, "conversation key")
	}
	return k, nil
}

// ConversationKeyInsert checks the conversation first: the foreign key
// would accept a conversation marked deleted, whose key must stay gone.
func (o *ops) ConversationKeyInsert(ctx context.Context, k *driver.ConversationKey) error {
	if err := o.exists(ctx, qConvExists, "conversation", idArg(k.TenantID), idArg(k.ConversationID)); err != nil {
		return err
	}
	res, err := o.run.exec(ctx, qConvKeyInsert, idArg(k.TenantID), idArg(k.ConversationID), k.Epoch, k.Wrapped, micros(k.CreatedAt))
	return o.db.insertedOne(res, err, driver.ErrConversationKeyTaken, "conversation")
}

// conversationKeyDelete removes a conversation's data key (ConversationDelete
// calls it before the row goes) and returns the epoch that wrapped it, 0
// if it had none (the receipt's key_epoch).
func (o *ops) conversationKeyDelete(ctx context.Context, tenantID, conversationID convstore.ID) (uint32, error) {
	var epoch uint32
	err := o.run.queryRow(ctx, qConvKeyDelete, idArg(tenantID), idArg(conversationID)).Scan(&epoch)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, nil
	}
	return epoch, o.db.translate(err)
}

func (o *ops) StoreMetaGet(ctx context.Context, name string) (string, error) {
	var v string
	if err := o.run.queryRow(ctx, qStoreMetaGet, name).Scan(&v); err != nil {
		return "", o.db.notFound(err, "store meta")
	}
	return v, nil
}

func (o *ops) StoreMetaInsert(ctx context.Context, name, value string) (string, error) {
	if _, err := o.run.exec(ctx, qStoreMetaPut, name, value); err != nil {
		return "", o.db.translate(err)
	}
	v, err := o.StoreMetaGet(ctx, name)
	if errors.Is(err, sql.ErrNoRows) {
		return "", o.db.translate(err)
	}
	return v, err
}
