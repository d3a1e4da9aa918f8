package convstore

import (
	"context"
	"time"
)

// DefaultIdempotencyRetention is how long the answer to a request made with
// an Idempotency-Key is kept for its retries.
const DefaultIdempotencyRetention = 24 * time.Hour

// MaxIdempotentAnswerBytes bounds the body of an answer kept for retries;
// a longer one is not kept (its retry runs again).
const MaxIdempotentAnswerBytes = 64 << 10

// MaxIdempotencyKeyLen bounds an Idempotency-Key, in bytes.
const MaxIdempotencyKeyLen = 255

// IdempotentRequest is a request made with an Idempotency-Key: the key the
// client chose and a fingerprint of what the request asks (a hash of its
// method and target, and of its body where one matters), which tells a
// retry from another request that reuses the key.
type IdempotentRequest struct {
	Key         string
	Fingerprint []byte
}

// IdempotentAnswer is the answer to the first request made with a key,
// replayed to its retries.
type IdempotentAnswer struct {
	Status      int
	ContentType string
	Body        []byte
}

// IdempotencyClaim is the outcome of claiming a key: the caller runs the
// request and settles the claim (Answer nil, Reused false), replays
// Answer, or refuses a key that named another request (Reused).
type IdempotencyClaim struct {
	Answer *IdempotentAnswer
	Reused bool
	// ClaimedAt names the claim to SettleIdempotencyKey: a claim that
	// lapsed and was taken over is not settled by its first holder.
	ClaimedAt time.Time
}

// IdempotencyService keeps the answers of requests made with an
// Idempotency-Key, per tenant and key, so that a retry gets the first
// answer instead of running again.
type IdempotencyService interface {
	// ClaimIdempotencyKey claims the tenant's key for r. A key that
	// already answered r (within the retention) gives that answer; one
	// that answered or runs another request is Reused; one that a
	// request is still running under is ECONFLICT. A claim nobody settles
	// (its node died) lapses after a few minutes.
	ClaimIdempotencyKey(ctx context.Context, tenantID ID, r *IdempotentRequest) (*IdempotencyClaim, error)
	// SettleIdempotencyKey stores the answer to r under the key claimed
	// for it, kept for the retention; a nil answer releases the claim (the
	// request failed in a way its retry should not repeat: a fault, a
	// rate limit, a client gone). ENOTFOUND if the claim is gone.
	SettleIdempotencyKey(ctx context.Context, tenantID ID, r *IdempotentRequest, c *IdempotencyClaim, a *IdempotentAnswer) error
}
