package driver

import (
	"context"
	"time"

	"github.com/convstore/convstore"
)

// TombstoneRow is what a deleted conversation leaves to refuse late
// writes: its id and the blind index of its external id, never content.
type TombstoneRow struct {
	TenantID, ConversationID convstore.ID
	ExternalIndex            []byte // blind index of the external id (the conversation's, as stored)
	DeletedAt                time.Time
	ExpiresAt                time.Time // zero: kept for ever
}

// TombstoneTx writes and finds tombstones.
type TombstoneTx interface {
	// TombstoneInsert stores a tombstone; one the conversation already
	// has is kept (a delete re-applied by a restore).
	TombstoneInsert(ctx context.Context, t *TombstoneRow) error
	// TombstoneGetByExternal returns a tombstone of the tenant whose
	// external index is one of indexes and that has not expired at now.
	// ENOTFOUND "tombstone".
	TombstoneGetByExternal(ctx context.Context, tenantID convstore.ID, indexes [][]byte, now time.Time) (*TombstoneRow, error)
	// TombstoneDeleteExpired deletes at most limit tombstones of any
	// tenant that expire at or before now, returning how many. A driver
	// with several nodes skips rows another transaction holds.
	TombstoneDeleteExpired(ctx context.Context, now time.Time, limit int) (int, error)
}
