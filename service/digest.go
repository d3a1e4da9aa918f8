package service

import (
	"context"
	"slices"

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

// FindMessagePages reads a page of each range in one query (one snapshot).
func (s *Service) FindMessagePages(ctx context.Context, tenantID convstore.ID, ranges []convstore.MessageRange) ([]convstore.MessagePage, error) {
	ranges = slices.Clone(ranges) // normalized in place
	if err := convstore.NormalizeMessageRanges(ranges); err != nil {
		return nil, err
	}
	p := &driver.MessageListRangesParams{TenantID: tenantID, Ranges: make([]driver.MessageRange, len(ranges))}
	for i, r := range ranges {
		p.Ranges[i] = driver.MessageRange{ConversationID: r.ConversationID, Page: pageOf(r.PageFilter, 0)}
	}
	var rows [][]*convstore.Message
	err := s.drv.Read(ctx, func(ctx context.Context, r driver.Reader) error {
		var err error
		rows, err = r.MessageListRanges(ctx, p)
		return err
	})
	if err != nil {
		return nil, err
	}
	out := make([]convstore.MessagePage, len(ranges))
	for i, r := range ranges {
		out[i].Messages, out[i].More = trim(rows[i], r.Limit)
	}
	return out, nil
}

// FindArtifactPages reads a page of each range in one query (one
// snapshot).
func (s *Service) FindArtifactPages(ctx context.Context, tenantID convstore.ID, ranges []convstore.ArtifactRange) ([]convstore.ArtifactPage, error) {
	ranges = slices.Clone(ranges)
	if err := convstore.NormalizeArtifactRanges(ranges); err != nil {
		return nil, err
	}
	p := &driver.ArtifactListRangesParams{TenantID: tenantID, Ranges: make([]driver.ArtifactRange, len(ranges))}
	for i, r := range ranges {
		p.Ranges[i] = driver.ArtifactRange{ConversationID: r.ConversationID, Type: r.Type, Page: pageOf(r.PageFilter, 0)}
	}
	var rows [][]*convstore.Artifact
	err := s.drv.Read(ctx, func(ctx context.Context, r driver.Reader) error {
		var err error
		rows, err = r.ArtifactListRanges(ctx, p)
		return err
	})
	if err != nil {
		return nil, err
	}
	out := make([]convstore.ArtifactPage, len(ranges))
	for i, r := range ranges {
		out[i].Artifacts, out[i].More = trim(rows[i], r.Limit)
	}
	return out, nil
}
