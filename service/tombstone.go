package service

import (
	"context"
	"time"

	"github.com/convstore/convstore"
	"github.com/convstore/convstore/driver"
)

// DefaultTombstoneRetention is how long a deleted conversation's external
// id stays refused.
const DefaultTombstoneRetention = 30 * 24 * time.Hour

// tombstoneRetention is Options.TombstoneRetention as the service keeps
// it: 0 for ever.
func tombstoneRetention(v time.Duration) time.Duration {
	switch {
	case v == 0:
		return DefaultTombstoneRetention
	case v < 0:
		return 0
	}
	return v
}

// tombstoneSweep is how many expired tombstones one sweep transaction
// deletes.
const tombstoneSweep = 1000

// bury writes, in tx, the tombstone of the conversation about to be
// deleted, if it has an external id: the blind index as stored (one it
// was stored without, before sealing, is computed), never the value.
// ENOTFOUND "conversation" if it is missing.
func (s *Service) bury(ctx context.Context, tx driver.Tx, tenantID, id convstore.ID, deletedAt time.Time) error {
	row, err := tx.ConversationGetByID(ctx, tenantID, id)
	if err != nil {
		return err
	}
	idx := row.ExternalIndex
	if idx == nil && row.ExternalID != "" {
		c, err := s.z.openConversation(ctx, tx, row)
		if err != nil {
			return err
		}
		if idx, err = s.z.index(tenantID, "external_id", c.ExternalID); err != nil {
			return err
		}
	}
	if idx == nil {
		return nil // native ids are random and never issued again
	}
	t := &driver.TombstoneRow{TenantID: tenantID, ConversationID: id, ExternalIndex: idx, DeletedAt: deletedAt}
	if s.tombstoneRetention > 0 {
		t.ExpiresAt = deletedAt.Add(s.tombstoneRetention)
	}
	return tx.TombstoneInsert(ctx, t)
}

// buried reports, as convstore.TombstoneError, whether a live tombstone holds
// one of idxs (a value's indexes under every live root).
func buried(ctx context.Context, tx driver.Tx, tenantID convstore.ID, idxs [][]byte, now time.Time) error {
	_, err := tx.TombstoneGetByExternal(ctx, tenantID, idxs, now)
	switch convstore.ErrorCode(err) {
	case "":
		return convstore.TombstoneError()
	case convstore.ENOTFOUND:
		return nil
	}
	return err
}

// SweepTombstones deletes every expired tombstone, returning how many.
// Expired tombstones refuse nothing whether or not they have been swept.
func (s *Service) SweepTombstones(ctx context.Context) (int, error) {
	return s.sweepExpired(ctx, func(ctx context.Context, tx driver.Tx) (int, error) {
		return tx.TombstoneDeleteExpired(ctx, s.now(), tombstoneSweep)
	}, tombstoneSweep)
}
