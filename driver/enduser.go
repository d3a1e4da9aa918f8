package driver

import (
	"context"
	"time"

	"github.com/convstore/convstore"
)

// EndUserRow is an end-user record as stored: UserID, ExternalID, Name
// and Meta hold sealed bytes (plaintext when sealing is off), UserIndex
// and ExternalIndex their blind indexes, MetaIndex (written, never read
// back) the metadata's pair indexes. Its data key is kept in the row,
// wrapped by epoch KeyEpoch (0: none), so the row's delete destroys it.
// Moved marks a row moved from a conversation by migration 0023, whose
// values are sealed in a conversation's context.
type EndUserRow struct {
	ID, TenantID  convstore.ID
	UserID        string
	UserIndex     []byte
	ExternalID    string
	ExternalIndex []byte
	Name          string
	Meta          []byte
	MetaIndex     []MetaIndex
	Moved         bool
	IndexRoot     uint32 // the index root its indexes are under (1: the first)
	KeyEpoch      uint32
	WrappedKey    []byte
	CreatedAt     time.Time
	UpdatedAt     time.Time
}

// EndUserListParams select a page of a tenant's end-user records.
type EndUserListParams struct {
	TenantID convstore.ID
	// UserIndexes, if any, keep the records whose user_idx is one of
	// them, or (stored before sealing, without an index) whose plaintext
	// user id is UserID.
	UserIndexes [][]byte
	UserID      string
	// MetaPairs: a record matches if it has each (any of the
	// alternatives of each, under the live index roots).
	MetaPairs     [][][]byte
	CreatedAfter  *time.Time // exclusive
	CreatedBefore *time.Time // exclusive
	Page          Page
}

// EndUserReader reads end-user records.
type EndUserReader interface {
	// EndUserGet returns a record. ENOTFOUND "end user".
	EndUserGet(ctx context.Context, tenantID, id convstore.ID) (*EndUserRow, error)
	// EndUserGetByExternal returns the record whose external_idx is one
	// of indexes, or (stored before sealing) whose plaintext external id
	// is externalID. ENOTFOUND "end user".
	EndUserGetByExternal(ctx context.Context, tenantID convstore.ID, indexes [][]byte, externalID string) (*EndUserRow, error)
	// EndUserList returns a page of records.
	EndUserList(ctx context.Context, p *EndUserListParams) ([]*EndUserRow, error)
	// EndUserKeyEpochs counts the end-user records' wrapped data keys of
	// every tenant by epoch, as ConversationKeyEpochs does.
	EndUserKeyEpochs(ctx context.Context) ([]EpochKeys, error)
	// EndUserListBelowRoot returns up to limit records of any tenant (a
	// system job: the re-index) whose indexes are under a root below
	// root, by (tenant, id).
	EndUserListBelowRoot(ctx context.Context, root uint32, limit int) ([]*EndUserRow, error)
	// EndUserKeyList returns a page of the records' wrapped keys of every
	// tenant, as ConversationKeyList does the conversations' (a system
	// job: a restore carries them into a backup).
	EndUserKeyList(ctx context.Context, p *ConversationKeyListParams) ([]*ConversationKey, error)
	// HoldOnUser returns the oldest hold of the tenant whose user_idx or
	// user_idx_alt is one of indexes. ENOTFOUND "hold".
	HoldOnUser(ctx context.Context, tenantID convstore.ID, indexes [][]byte) (convstore.ID, error)
}

// EndUserTx writes end-user records.
type EndUserTx interface {
	// EndUserInsert stores a record and its pair indexes. ECONFLICT
	// ErrExternalIDTaken or ErrEndUserTaken; ENOTFOUND "tenant".
	EndUserInsert(ctx context.Context, u *EndUserRow) error
	// EndUserLock returns the record, locked against other writes until
	// the transaction ends. ENOTFOUND "end user".
	EndUserLock(ctx context.Context, tenantID, id convstore.ID) (*EndUserRow, error)
	// EndUserUpdate replaces the record's sealed values, indexes, index
	// root, Moved, key and pair indexes with u's, and sets updated_at to u's unless the
	// stored one is later. ENOTFOUND "end user".
	EndUserUpdate(ctx context.Context, u *EndUserRow) (*EndUserRow, error)
	// EndUserDelete deletes the record with its key and pair indexes and
	// returns it as it was. ENOTFOUND "end user".
	EndUserDelete(ctx context.Context, tenantID, id convstore.ID) (*EndUserRow, error)
	// EndUserKeyClaim claims up to p.Limit records' wrapped keys of epochs
	// p.From <= epoch < p.Before for a re-wrap in the same transaction
	// (ConversationID is the record's id).
	EndUserKeyClaim(ctx context.Context, p *ConversationKeyClaimParams) ([]*ConversationKey, error)
	// EndUserKeyRewrap stores each key's new Epoch and Wrapped and returns
	// how many records it changed.
	EndUserKeyRewrap(ctx context.Context, keys []*ConversationKey) (int, error)
}

// ErrEndUserTaken is EndUserInsert's conflict on the user id.
func ErrEndUserTaken() error {
	return convstore.Errorf(convstore.ECONFLICT, "an end user with this user id already exists")
}
