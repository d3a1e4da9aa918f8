package service

import (
	"context"

	"github.com/convstore/convstore"
	"github.com/convstore/convstore/driver"
)

// FindDeletionByID returns a receipt. ENOTFOUND if missing.
func (s *Service) FindDeletionByID(ctx context.Context, tenantID, id convstore.ID) (*convstore.Deletion, error) {
	return s.drv.Reads().DeletionGet(ctx, tenantID, id)
}

// FindDeletions returns a page of receipts, newest first by default.
func (s *Service) FindDeletions(ctx context.Context, tenantID convstore.ID, f convstore.DeletionFilter) ([]*convstore.Deletion, bool, error) {
	if err := f.Normalize(convstore.OrderDesc); err != nil {
		return nil, false, err
	}
	if err := f.Validate(); err != nil {
		return nil, false, err
	}
	list, err := s.drv.Reads().DeletionList(ctx, &driver.DeletionListParams{
		TenantID: tenantID, ConversationID: f.ConversationID, ErasureID: f.ErasureID,
		Door: f.Door, Policy: f.Policy, Page: pageOf(f.PageFilter, 0)})
	if err != nil {
		return nil, false, err
	}
	list, more := trim(list, f.Limit)
	return list, more, nil
}
