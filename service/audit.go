package service

import (
	"context"
	"time"

	"github.com/convstore/convstore"
	"github.com/convstore/convstore/driver"
)

// audit records a destructive or administrative action in the
// transaction that performs it: who, through which door and request, and
// which ids, never content. conversationID is zero for actions on keys and
// tenants.
func (s *Service) audit(ctx context.Context, tx driver.Tx, now time.Time, tenantID convstore.ID, action string,
	conversationID, targetID convstore.ID, p convstore.DeleteParams) error {
	return tx.AuditInsert(ctx, &convstore.AuditEntry{
		ID:              s.newID(),
		TenantID:        tenantID,
		Action:          action,
		ActorKeyID:      p.ActorKeyID,
		Door:            p.Door,
		RequestID:       p.RequestID,
		ClientRequestID: p.ClientRequestID,
		ConversationID:  conversationID,
		TargetID:        targetID,
		CreatedAt:       now,
		Policy:          p.Policy,
	})
}

// FindAuditEntries returns a page of the audit entries the filter
// selects, newest first by default: the engine filters, so a page costs
// the same however rare the entries it keeps.
func (s *Service) FindAuditEntries(ctx context.Context, tenantID convstore.ID, f convstore.AuditFilter) ([]*convstore.AuditEntry, bool, error) {
	if err := f.Normalize(convstore.OrderDesc); err != nil {
		return nil, false, err
	}
	if err := f.Validate(); err != nil {
		return nil, false, err
	}
	list, err := s.drv.Reads().AuditList(ctx, &driver.AuditListParams{TenantID: tenantID, Action: f.Action,
		ActorKeyID: f.ActorKeyID, ConversationID: f.ConversationID, TargetID: f.TargetID, Door: f.Door,
		CreatedAfter: f.CreatedAfter, CreatedBefore: f.CreatedBefore, Page: pageOf(f.PageFilter, 0)})
	if err != nil {
		return nil, false, err
	}
	list, more := trim(list, f.Limit)
	return list, more, nil
}
