package driver

import (
	"context"
	"time"

	"github.com/convstore/convstore"
)

// IdempotencyRow is one tenant's Idempotency-Key: the SHA-256 of the key
// and of the request it names, and, once settled, its answer.
type IdempotencyRow struct {
	TenantID    convstore.ID
	KeyHash     []byte // SHA-256 of the client's key
	RequestHash []byte // the request's fingerprint
	ClaimedAt   time.Time
	// Status is 0 while the request runs; then the answer's.
	Status      int
	ContentType string
	Body        []byte
	ExpiresAt   time.Time // the claim's lapse while running; the answer's end once settled
}

// IdempotencyTx stores Idempotency-Keys.
type IdempotencyTx interface {
	// IdempotencyInsert stores a new row. ECONFLICT
	// ErrIdempotencyKeyTaken if the tenant has a row of that key (after
	// which the transaction is still usable: the caller reads it).
	IdempotencyInsert(ctx context.Context, r *IdempotencyRow) error
	// IdempotencyGet returns the tenant's row of the key, locked until
	// the transaction ends. ENOTFOUND "idempotency key".
	IdempotencyGet(ctx context.Context, tenantID convstore.ID, keyHash []byte) (*IdempotencyRow, error)
	// IdempotencyReplace replaces every column of the tenant's row of
	// r's key (a lapsed claim or an expired answer taken over).
	// ENOTFOUND "idempotency key".
	IdempotencyReplace(ctx context.Context, r *IdempotencyRow) error
	// IdempotencySettle stores the answer (Status, ContentType, Body,
	// ExpiresAt) of the row claimed at r.ClaimedAt. ENOTFOUND
	// "idempotency key" if that claim is gone.
	IdempotencySettle(ctx context.Context, r *IdempotencyRow) error
	// IdempotencyRelease deletes the row claimed at claimedAt, if it is
	// still that claim.
	IdempotencyRelease(ctx context.Context, tenantID convstore.ID, keyHash []byte, claimedAt time.Time) error
	// IdempotencyDeleteExpired deletes at most limit rows of any tenant
	// that expire at or before now, returning how many. A driver with
	// several nodes skips rows another transaction holds.
	IdempotencyDeleteExpired(ctx context.Context, now time.Time, limit int) (int, error)
}
