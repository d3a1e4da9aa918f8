package service

import (
	"bytes"
	"context"
	"crypto/sha256"

	"github.com/convstore/convstore"
	"github.com/convstore/convstore/driver"
)

// idempotencySweep is how many expired keys one sweep transaction deletes.
const idempotencySweep = 1000

// idempotencyKeyHash is what is stored of a client's key: its SHA-256, so
// that whatever a client put in a key is not kept.
func idempotencyKeyHash(key string) []byte {
	h := sha256.Sum256([]byte(key))
	return h[:]
}

// validIdempotentRequest checks the key (1 to MaxIdempotencyKeyLen
// printable ASCII characters) and that the request has a fingerprint.
func validIdempotentRequest(r *convstore.IdempotentRequest) error {
	if r == nil || len(r.Fingerprint) == 0 {
		return convstore.Invalidf("Idempotency-Key", "the request has no fingerprint")
	}
	if r.Key == "" || len(r.Key) > convstore.MaxIdempotencyKeyLen {
		return convstore.Invalidf("Idempotency-Key", "Idempotency-Key must hold 1 to %d characters.", convstore.MaxIdempotencyKeyLen)
	}
	for i := 0; i < len(r.Key); i++ {
		if c := r.Key[i]; c < 0x20 || c > 0x7e {
			return convstore.Invalidf("Idempotency-Key", "Idempotency-Key must be printable ASCII.")
		}
	}
	return nil
}

// ClaimIdempotencyKey claims the tenant's key for r, in one write: a new
// key, or one whose claim lapsed or whose answer expired, is claimed for
// r; otherwise the row found decides (another request: Reused; r still
// running: ECONFLICT; r answered: its answer).
func (s *Service) ClaimIdempotencyKey(ctx context.Context, tenantID convstore.ID, r *convstore.IdempotentRequest) (*convstore.IdempotencyClaim, error) {
	if err := validIdempotentRequest(r); err != nil {
		return nil, err
	}
	var claim *convstore.IdempotencyClaim
	err := s.drv.Write(ctx, driver.WriteParams{}, func(ctx context.Context, tx driver.Tx) error {
		now := s.now()
		row := &driver.IdempotencyRow{TenantID: tenantID, KeyHash: idempotencyKeyHash(r.Key), RequestHash: r.Fingerprint,
			ClaimedAt: now, ExpiresAt: now.Add(s.idempotencyLease)}
		claim = &convstore.IdempotencyClaim{ClaimedAt: now}
		err := tx.IdempotencyInsert(ctx, row)
		if convstore.ErrorCode(err) != convstore.ECONFLICT {
			return err
		}
		old, err := tx.IdempotencyGet(ctx, tenantID, row.KeyHash)
		if err != nil {
			return err
		}
		switch {
		case !old.ExpiresAt.After(now):
			// A claim whose node died, or an answer past its retention:
			// the key is free again.
			return tx.IdempotencyReplace(ctx, row)
		case !bytes.Equal(old.RequestHash, r.Fingerprint):
			claim = &convstore.IdempotencyClaim{Reused: true}
		case old.Status == 0:
			return convstore.Errorf(convstore.ECONFLICT, "A request with this Idempotency-Key is still being processed; retry it later.")
		default:
			claim = &convstore.IdempotencyClaim{Answer: &convstore.IdempotentAnswer{Status: old.Status, ContentType: old.ContentType, Body: old.Body}}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return claim, nil
}

// SettleIdempotencyKey stores a's answer under the claim c for the
// retention, or releases the claim when a is nil.
func (s *Service) SettleIdempotencyKey(ctx context.Context, tenantID convstore.ID, r *convstore.IdempotentRequest, c *convstore.IdempotencyClaim, a *convstore.IdempotentAnswer) error {
	if err := validIdempotentRequest(r); err != nil {
		return err
	}
	if c == nil || c.ClaimedAt.IsZero() {
		return convstore.Invalidf("claim", "no claim to settle")
	}
	if a != nil && (a.Status < 100 || a.Status > 599 || len(a.Body) > convstore.MaxIdempotentAnswerBytes) {
		return convstore.Invalidf("answer", "an answer needs a status and at most %d bytes of body", convstore.MaxIdempotentAnswerBytes)
	}
	key := idempotencyKeyHash(r.Key)
	return s.drv.Write(ctx, driver.WriteParams{}, func(ctx context.Context, tx driver.Tx) error {
		if a == nil {
			return tx.IdempotencyRelease(ctx, tenantID, key, c.ClaimedAt)
		}
		return tx.IdempotencySettle(ctx, &driver.IdempotencyRow{TenantID: tenantID, KeyHash: key, RequestHash: r.Fingerprint,
			ClaimedAt: c.ClaimedAt, Status: a.Status, ContentType: a.ContentType, Body: a.Body,
			ExpiresAt: s.now().Add(s.idempotencyRetention)})
	})
}

// SweepIdempotencyKeys deletes every expired key (answers past their
// retention, claims that lapsed), returning how many. Expired keys are
// free whether or not they have been swept.
func (s *Service) SweepIdempotencyKeys(ctx context.Context) (int, error) {
	return s.sweepExpired(ctx, func(ctx context.Context, tx driver.Tx) (int, error) {
		return tx.IdempotencyDeleteExpired(ctx, s.now(), idempotencySweep)
	}, idempotencySweep)
}

// sweepExpired runs del in short transactions until one deletes fewer
// than limit rows.
func (s *Service) sweepExpired(ctx context.Context, del func(ctx context.Context, tx driver.Tx) (int, error), limit int) (int, error) {
	total := 0
	for {
		n := 0
		err := s.drv.Write(ctx, driver.WriteParams{}, func(ctx context.Context, tx driver.Tx) error {
			var err error
			n, err = del(ctx, tx)
			return err
		})
		total += n
		if err != nil || n < limit {
			return total, err
		}
	}
}
