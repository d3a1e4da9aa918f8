package service

import (
	"context"
	"errors"

	"github.com/convstore/convstore"
	"github.com/convstore/convstore/driver"
)

// FindRestoreWindow returns the tenant's restore window in days (0: off).
func (s *Service) FindRestoreWindow(ctx context.Context, tenantID convstore.ID) (int, error) {
	if _, err := s.drv.Reads().TenantGet(ctx, tenantID); err != nil {
		return 0, err
	}
	return s.drv.Reads().RestoreWindowGet(ctx, tenantID)
}

// SetRestoreWindow sets the tenant's restore window and audits it as a
// retention change (the window is part of the tenant's retention
// settings); setting the value it has writes nothing, so a PUT of the
// retention object that keeps the window audits only its policies.
func (s *Service) SetRestoreWindow(ctx context.Context, tenantID convstore.ID, days int, p convstore.DeleteParams) error {
	if err := p.Validate(); err != nil {
		return err
	}
	if err := convstore.ValidateRestoreWindow(days); err != nil {
		return err
	}
	return s.drv.Write(ctx, driver.WriteParams{}, func(ctx context.Context, tx driver.Tx) error {
		if _, err := tx.TenantGet(ctx, tenantID); err != nil {
			return err
		}
		if old, err := tx.RestoreWindowGet(ctx, tenantID); err != nil || old == days {
			return err
		}
		if err := tx.RestoreWindowSet(ctx, tenantID, days); err != nil {
			return err
		}
		return s.audit(ctx, tx, s.now(), tenantID, convstore.AuditRetentionUpdate, convstore.ID{}, tenantID, p)
	})
}

// RestoreConversation brings back a conversation deleted within its
// restore window, in one transaction: its purge job is removed (a job due
// later is one no purger has started), the row unmarked, its tombstone
// removed, its receipt marked restored, and the restore audited. Its data
// key was kept, so everything it held reads again as before.
func (s *Service) RestoreConversation(ctx context.Context, tenantID, id convstore.ID, p convstore.DeleteParams) (*convstore.Conversation, error) {
	if err := p.Validate(); err != nil {
		return nil, err
	}
	var c *convstore.Conversation
	err := s.writeEvents(ctx, driver.OnConversation(tenantID, id), func(ctx context.Context, tx driver.Tx) error {
		now := s.now()
		deletionID, err := tx.ConversationRestore(ctx, tenantID, id, now)
		if err != nil {
			return err
		}
		if err := s.audit(ctx, tx, now, tenantID, convstore.AuditConversationRestore, id, deletionID, p); err != nil {
			return err
		}
		// Nothing was erased: no processor has a purge to confirm.
		if _, err := tx.ConfirmationWithdraw(ctx, tenantID, convstore.ID{}, deletionID, now); err != nil {
			return err
		}
		// A re-index skips hidden conversations: one restored after it
		// gets its indexes under the current root here.
		if s.z.ring != nil {
			if _, err := s.reindexConversation(ctx, tx, tenantID, id, s.z.currentRoot()); err != nil {
				return err
			}
		}
		if err := s.emit(ctx, tx, now, conversationRestored(tenantID, id, deletionID, p, now)); err != nil {
			return err
		}
		row, err := tx.ConversationGetByID(ctx, tenantID, id)
		if err != nil {
			return err
		}
		c, err = s.z.openConversation(ctx, tx, row)
		return err
	})
	if err != nil {
		return nil, err
	}
	return c, nil
}

// errJobHeld is expirePurgeJob's answer for a conversation a legal hold
// covers: its window's end waits for the hold's release.
var errJobHeld = errors.New("service: the conversation is held")

// expirePurgeJob ends a job's restore window before its first batch: the
// data key is destroyed (and its epoch put on the receipt) in a
// transaction of its own, so from its commit the conversation is as an
// immediate delete leaves it. A conversation a hold covers (placed while
// it was restorable) keeps its key and rows: the job stays leased for a
// purge interval and is looked at again then, so a released hold lets
// the purge go on at the purger's next look (errJobHeld).
func (s *Service) expirePurgeJob(ctx context.Context, j *driver.PurgeJob) error {
	held := false
	err := s.drv.Write(ctx, driver.WriteParams{}, func(ctx context.Context, tx driver.Tx) error {
		now := s.now()
		if err := tx.PurgeJobRenew(ctx, j.ConversationID, s.purge.owner, now.Add(s.purge.lease)); err != nil {
			return err
		}
		// After the renewal, which locks the job: a hold placed on the
		// conversation locks it too (PurgeJobLockWindowed).
		h, err := tx.HoldsOn(ctx, j.TenantID, []convstore.ID{j.ConversationID})
		if err != nil {
			return err
		}
		if held = len(h) > 0; held {
			return tx.PurgeJobRenew(ctx, j.ConversationID, s.purge.owner, now.Add(s.purge.recheck()))
		}
		return tx.PurgeJobExpire(ctx, j)
	})
	if err == nil && held {
		return errJobHeld
	}
	s.z.forget(j.TenantID, j.ConversationID)
	return err
}
