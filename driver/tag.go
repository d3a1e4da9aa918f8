package driver

import (
	"context"
	"time"

	"github.com/convstore/convstore"
)

// TagRow is a tag definition as stored (migration 0026): Title and
// Description hold sealed bytes (plaintext when sealing is off). Its data
// key is kept in the row, wrapped by epoch KeyEpoch (0: none), so the
// row's delete destroys it, as an end-user record's.
type TagRow struct {
	ID, TenantID convstore.ID
	Title        string
	Description  string
	CreatedBy    convstore.ID
	KeyEpoch     uint32
	WrappedKey   []byte
	CreatedAt    time.Time
	UpdatedAt    time.Time
}

// TagReader reads tag definitions and conversations' tags.
type TagReader interface {
	// TagGet returns a tag. ENOTFOUND "tag".
	TagGet(ctx context.Context, tenantID, id convstore.ID) (*TagRow, error)
	// TagList returns a page of the tenant's tags.
	TagList(ctx context.Context, tenantID convstore.ID, p Page) ([]*TagRow, error)
	// ConversationTagList returns the (conversation, tag) links of the
	// given conversations of the tenant, by conversation then attachment
	// order; other tenants' conversations have none.
	ConversationTagList(ctx context.Context, tenantID convstore.ID, conversationIDs []convstore.ID) ([]ConversationTag, error)
	// TagKeyEpochs counts the tags' wrapped data keys of every tenant by
	// epoch, as ConversationKeyEpochs does.
	TagKeyEpochs(ctx context.Context) ([]EpochKeys, error)
	// TagKeyList returns a page of the tags' wrapped keys of every
	// tenant, as ConversationKeyList does the conversations' (a system
	// job: a restore carries them into a backup; ConversationID is the
	// tag's id).
	TagKeyList(ctx context.Context, p *ConversationKeyListParams) ([]*ConversationKey, error)
}

// ConversationTag links a conversation to a tag.
type ConversationTag struct {
	ConversationID, TagID convstore.ID
}

// TagTx writes tag definitions and conversations' tags.
type TagTx interface {
	// TagInsert stores a tag. ENOTFOUND "tenant" if the tenant is missing.
	TagInsert(ctx context.Context, t *TagRow) error
	// TagLock returns the tag, locked against other writes until the
	// transaction ends. ENOTFOUND "tag".
	TagLock(ctx context.Context, tenantID, id convstore.ID) (*TagRow, error)
	// TagUpdate replaces the tag's sealed values, key and updated_at with
	// t's. ENOTFOUND "tag".
	TagUpdate(ctx context.Context, t *TagRow) error
	// TagDelete deletes the tag with its key and every link to it.
	// ENOTFOUND "tag".
	TagDelete(ctx context.Context, tenantID, id convstore.ID) error
	// ConversationTagAdd links the conversation to each tag (all of the
	// tenant, checked by the caller), leaving existing links as they are,
	// and returns how many links the conversation has after.
	ConversationTagAdd(ctx context.Context, tenantID, conversationID convstore.ID, tagIDs []convstore.ID, now time.Time) (int, error)
	// ConversationTagRemove removes the link, if any.
	ConversationTagRemove(ctx context.Context, tenantID, conversationID, tagID convstore.ID) error
	// TagKeyClaim claims up to p.Limit tags' wrapped keys of epochs
	// p.From <= epoch < p.Before for a re-wrap in the same transaction
	// (ConversationID is the tag's id).
	TagKeyClaim(ctx context.Context, p *ConversationKeyClaimParams) ([]*ConversationKey, error)
	// TagKeyRewrap stores each key's new Epoch and Wrapped and returns
	// how many tags it changed.
	TagKeyRewrap(ctx context.Context, keys []*ConversationKey) (int, error)
}
