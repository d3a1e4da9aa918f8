package metrics

import (
	"context"

	"github.com/convstore/convstore"
)

// Store returns s with its deletes counted: conversation deletes with the
// sizes their receipts report, and single records by kind, each by the
// door that asked. Everything else passes through unchanged.
func (m *Metrics) Store(s convstore.Store) convstore.Store {
	return &store{Store: s, m: m}
}

// store is the counting decorator of Store.
type store struct {
	convstore.Store
	m *Metrics
}

// Kinds of record_deletes_total.
const (
	kindMessage    = "message"
	kindArtifact   = "artifact"
	kindAttachment = "attachment"
)

func doorLabel(door string) string {
	if door == "" {
		return doorNone
	}
	return door
}

func (s *store) DeleteConversation(ctx context.Context, tenantID, id convstore.ID, p convstore.DeleteParams) (*convstore.Deletion, error) {
	d, err := s.Store.DeleteConversation(ctx, tenantID, id, p)
	if err == nil && d != nil {
		door := doorLabel(p.Door)
		s.m.conversationDeletes.WithLabelValues(door).Inc()
		s.m.deletedMessages.WithLabelValues(door).Add(float64(d.Messages))
		s.m.deletedArtifacts.WithLabelValues(door).Add(float64(d.Artifacts))
		s.m.deletedAttachments.WithLabelValues(door).Add(float64(d.Attachments))
		s.m.deletedBytes.WithLabelValues(door).Add(float64(d.AttachmentBytes))
		s.m.deleteSize.WithLabelValues(door).Observe(float64(d.Messages))
	}
	return d, err
}

func (s *store) DeleteMessage(ctx context.Context, tenantID, conversationID, id convstore.ID, p convstore.DeleteParams) error {
	err := s.Store.DeleteMessage(ctx, tenantID, conversationID, id, p)
	s.countRecord(err, p, kindMessage)
	return err
}

func (s *store) DeleteArtifact(ctx context.Context, tenantID, conversationID, id convstore.ID, p convstore.DeleteParams) error {
	err := s.Store.DeleteArtifact(ctx, tenantID, conversationID, id, p)
	s.countRecord(err, p, kindArtifact)
	return err
}

func (s *store) DeleteAttachment(ctx context.Context, tenantID, conversationID convstore.ID, name string, p convstore.DeleteParams) error {
	err := s.Store.DeleteAttachment(ctx, tenantID, conversationID, name, p)
	s.countRecord(err, p, kindAttachment)
	return err
}

func (s *store) countRecord(err error, p convstore.DeleteParams, kind string) {
	if err == nil {
		s.m.recordDeletes.WithLabelValues(doorLabel(p.Door), kind).Inc()
	}
}

// FindHeldConversations passes convstore.HeldFinder through (the console
// marks held conversations with it); EUNSUPPORTED when the wrapped store
// has none.
func (s *store) FindHeldConversations(ctx context.Context, tenantID convstore.ID, ids []convstore.ID) (map[convstore.ID]convstore.ID, error) {
	if hf, ok := s.Store.(convstore.HeldFinder); ok {
		return hf.FindHeldConversations(ctx, tenantID, ids)
	}
	return nil, convstore.Errorf(convstore.EUNSUPPORTED, "this store cannot tell which conversations are held")
}
