package service

import (
	"context"

	"github.com/convstore/convstore"
	"github.com/convstore/convstore/driver"
)

var _ convstore.DigestService = (*Service)(nil)

// FindConversationDigests returns a page of conversations with the ends
// of their message lists, in two queries of one snapshot: the page, then
// every conversation's ends at once.
func (s *Service) FindConversationDigests(ctx context.Context, tenantID convstore.ID, f convstore.ConversationFilter, o convstore.DigestOptions) ([]*convstore.ConversationDigest, bool, error) {
	if err := f.Validate(); err != nil {
		return nil, false, err
	}
	if err := o.Validate(); err != nil {
		return nil, false, err
	}
	var convs []*convstore.Conversation
	var ends map[convstore.ID]*driver.MessageEnds
	err := s.drv.Read(ctx, func(ctx context.Context, r driver.Reader) error {
		var err error
		convs, err = r.ConversationList(ctx, &driver.ConversationListParams{TenantID: tenantID, Filter: &f, Page: pageOf(f.PageFilter, f.Offset)})
		if err != nil {
			return err
		}
		ids := make([]convstore.ID, 0, len(convs))
		for _, c := range convs[:min(len(convs), f.Limit)] {
			if c.MessageCount > 0 {
				ids = append(ids, c.ID)
			}
		}
		ends, err = r.MessageListEnds(ctx, &driver.MessageListEndsParams{TenantID: tenantID, ConversationIDs: ids, First: o.First, Last: o.Last})
		return err
	})
	if err != nil {
		return nil, false, err
	}
	convs, more := trim(convs, f.Limit)
	out := make([]*convstore.ConversationDigest, len(convs))
	for i, c := range convs {
		d := &convstore.ConversationDigest{Conversation: c, First: []*convstore.Message{}, Last: []*convstore.Message{}}
		if e := ends[c.ID]; e != nil {
			d.First, d.Last = e.First, e.Last
		}
		out[i] = d
	}
	return out, more, nil
}
