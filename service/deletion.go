package service

import (
	"context"

	"github.com/convstore/convstore"
	"github.com/convstore/convstore/driver"
)

// FindDeletionByID returns a receipt. ENOTFOUND if missing.
func (s *Service) FindDeletionByID(ctx context.Context, tenantID, id convstore.ID) (*convstore.Deletion, error) {
	r := s.drv.Reads()
	d, err := r.DeletionGet(ctx, tenantID, id)
	if err != nil {
		return nil, err
	}
	if err := s.withConfirmations(ctx, r, tenantID, []*convstore.Deletion{d}); err != nil {
		return nil, err
	}
	return d, nil
}

// FindDeletions returns a page of receipts, newest first by default.
func (s *Service) FindDeletions(ctx context.Context, tenantID convstore.ID, f convstore.DeletionFilter) ([]*convstore.Deletion, bool, error) {
	if err := f.Normalize(convstore.OrderDesc); err != nil {
		return nil, false, err
	}
	if err := f.Validate(); err != nil {
		return nil, false, err
	}
	r := s.drv.Reads()
	list, err := r.DeletionList(ctx, &driver.DeletionListParams{
		TenantID: tenantID, ConversationID: f.ConversationID, ErasureID: f.ErasureID,
		Door: f.Door, Policy: f.Policy, State: f.State, Now: s.now(), Page: pageOf(f.PageFilter, 0)})
	if err != nil {
		return nil, false, err
	}
	list, more := trim(list, f.Limit)
	if err := s.withConfirmations(ctx, r, tenantID, list); err != nil {
		return nil, false, err
	}
	return list, more, nil
}
