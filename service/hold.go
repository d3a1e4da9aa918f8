package service

import (
	"bytes"
	"context"
	"slices"

	"github.com/convstore/convstore"
	"github.com/convstore/convstore/driver"
)

var (
	_ convstore.HoldService = (*Service)(nil)
	_ convstore.HeldFinder  = (*Service)(nil)
)

// CreateHold places a legal hold and audits it in one transaction. A hold
// on a user stores the user id's blind index only, under the current
// index root (and the older live one, see HoldRow.UserIndexAlt), so it
// matches conversations' user_idx; the re-index after a rotation carries
// it to the new root (reindex.go).
func (s *Service) CreateHold(ctx context.Context, tenantID convstore.ID, c *convstore.HoldCreate, p convstore.DeleteParams) (*convstore.Hold, error) {
	if err := c.Validate(); err != nil {
		return nil, err
	}
	if err := p.Validate(); err != nil {
		return nil, err
	}
	var row *driver.HoldRow
	err := s.writeEvents(ctx, driver.OnConversation(tenantID, c.ConversationID), func(ctx context.Context, tx driver.Tx) error {
		now := s.now()
		row = &driver.HoldRow{ID: s.newID(), TenantID: tenantID, ConversationID: c.ConversationID, AgentID: c.AgentID,
			Reason: c.Reason, ActorKeyID: p.ActorKeyID, CreatedAt: now}
		if !c.ConversationID.IsZero() {
			// An exclusive lock: every delete in the conversation locks
			// its row before it checks for holds, so it either sees this
			// hold committed or runs before it starts (or it finds the
			// conversation gone).
			err := tx.ConversationLock(ctx, tenantID, c.ConversationID, driver.LockUpdate, "conversation")
			if convstore.ErrorCode(err) == convstore.ENOTFOUND {
				// Deleted within its restore window, its key not yet
				// destroyed: the hold keeps the purger from destroying
				// it (expirePurgeJob), so it locks that job instead.
				err = tx.PurgeJobLockWindowed(ctx, tenantID, c.ConversationID)
			}
			if err != nil {
				return err
			}
		}
		if c.UserID != "" {
			// Under the current root, and while a re-index runs under
			// the next older live one too: the user's conversations are
			// under either until re-indexed.
			idxs, err := s.z.indexes(tenantID, "user_id", c.UserID)
			if err != nil {
				return err
			}
			row.UserIndex, row.IndexRoot = idxs[0], s.z.currentRoot()
			if len(idxs) > 1 {
				row.UserIndexAlt = idxs[1]
			}
		}
		if err := tx.HoldInsert(ctx, row); err != nil {
			return err
		}
		if err := s.audit(ctx, tx, now, tenantID, convstore.AuditHoldCreate, c.ConversationID, row.ID, p); err != nil {
			return err
		}
		return s.emit(ctx, tx, now, holdEvent(convstore.EventHoldPlaced, row, p, now))
	})
	if err != nil {
		return nil, err
	}
	return holdOf(row), nil
}

// FindHoldByID returns a hold. ENOTFOUND if missing or released.
func (s *Service) FindHoldByID(ctx context.Context, tenantID, id convstore.ID) (*convstore.Hold, error) {
	row, err := s.drv.Reads().HoldGet(ctx, tenantID, id)
	if err != nil {
		return nil, err
	}
	return holdOf(row), nil
}

// FindHolds returns a page of holds, newest first by default.
func (s *Service) FindHolds(ctx context.Context, tenantID convstore.ID, f convstore.HoldFilter) ([]*convstore.Hold, bool, error) {
	if err := f.Normalize(convstore.OrderDesc); err != nil {
		return nil, false, err
	}
	rows, err := s.drv.Reads().HoldList(ctx, tenantID, pageOf(f.PageFilter, 0))
	if err != nil {
		return nil, false, err
	}
	rows, more := trim(rows, f.Limit)
	out := make([]*convstore.Hold, len(rows))
	for i, r := range rows {
		out[i] = holdOf(r)
	}
	return out, more, nil
}

// DeleteHold releases a hold and audits it in one transaction.
func (s *Service) DeleteHold(ctx context.Context, tenantID, id convstore.ID, p convstore.DeleteParams) error {
	if err := p.Validate(); err != nil {
		return err
	}
	return s.writeEvents(ctx, driver.WriteParams{}, func(ctx context.Context, tx driver.Tx) error {
		row, err := tx.HoldGet(ctx, tenantID, id)
		if err != nil {
			return err
		}
		if err := tx.HoldDelete(ctx, tenantID, id); err != nil {
			return err
		}
		now := s.now()
		if err := s.audit(ctx, tx, now, tenantID, convstore.AuditHoldRelease, row.ConversationID, id, p); err != nil {
			return err
		}
		return s.emit(ctx, tx, now, holdEvent(convstore.EventHoldReleased, row, p, now))
	})
}

// FindHeldConversations returns which of ids are held, each with a hold
// covering it, in one driver query.
func (s *Service) FindHeldConversations(ctx context.Context, tenantID convstore.ID, ids []convstore.ID) (map[convstore.ID]convstore.ID, error) {
	if len(ids) > convstore.MaxHeldBatch {
		return nil, convstore.Invalidf("ids", "at most %d conversations can be checked at once", convstore.MaxHeldBatch)
	}
	// Distinct, as the driver requires; the caller's slice stays as it is.
	ids = slices.Clone(ids)
	slices.SortFunc(ids, func(a, b convstore.ID) int { return bytes.Compare(a[:], b[:]) })
	return s.drv.Reads().HoldsOn(ctx, tenantID, slices.Compact(ids))
}

// refuseHeld returns EHELD if a hold covers the conversation. Every delete
// of a conversation or of anything in it calls it first, in its
// transaction: a hold preserves the evidence whole. A conversation that is
// missing passes, to be reported missing by the delete itself.
func (s *Service) refuseHeld(ctx context.Context, tx driver.Tx, tenantID, conversationID convstore.ID) error {
	held, err := tx.HoldsOn(ctx, tenantID, []convstore.ID{conversationID})
	if err != nil {
		return err
	}
	if h, ok := held[conversationID]; ok {
		return convstore.Held(h)
	}
	return nil
}

// holdOf turns a stored hold into the domain's.
func holdOf(r *driver.HoldRow) *convstore.Hold {
	h := &convstore.Hold{ID: r.ID, TenantID: r.TenantID, ConversationID: r.ConversationID, AgentID: r.AgentID,
		Reason: r.Reason, ActorKeyID: r.ActorKeyID, CreatedAt: r.CreatedAt}
	switch {
	case !r.ConversationID.IsZero():
		h.Kind = convstore.HoldOnConversation
	case r.AgentID != "":
		h.Kind = convstore.HoldOnAgent
	default:
		h.Kind = convstore.HoldOnUser
	}
	return h
}
